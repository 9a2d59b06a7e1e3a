package ops_test

import (
	"testing"

	"convnet/ops"
	"convnet/tensor"
)

// TestGoldenUpconv compares ConvTranspose2d, Upsample2d and LRN, forward and
// backward, with PyTorch 1.13 (testdata/golden/upconv.safetensors; cases
// listed in tools/golden/README.md).
func TestGoldenUpconv(t *testing.T) {
	runGolden(t, "upconv", func(_ string, m map[string]any, in map[string]*ops.Var, _ map[string]*tensor.Tensor) *ops.Var {
		switch m["op"] {
		case "conv_transpose2d":
			o := ops.ConvTranspose2dOptions{Stride: pair(m["stride"]), Padding: pair(m["padding"]),
				OutputPadding: pair(m["output_padding"]), Dilation: pair(m["dilation"]), Groups: int(m["groups"].(float64))}
			return ops.ConvTranspose2d(in["x"], in["weight"], in["bias"], o)
		case "interpolate":
			o := ops.UpsampleOptions{Mode: m["mode"].(string)}
			if m["size"] != nil {
				o.Size = pair(m["size"])
			}
			if sc, ok := m["scale_factor"].([]any); ok {
				o.Scale = [2]float64{sc[0].(float64), sc[1].(float64)}
			}
			if a, ok := m["align_corners"].(bool); ok {
				o.AlignCorners = a
			}
			return ops.Upsample2d(in["x"], o)
		case "local_response_norm":
			f := func(k string) float32 { return float32(m[k].(float64)) }
			return ops.LRN(in["x"], int(m["size"].(float64)), f("alpha"), f("beta"), f("k"))
		}
		return nil
	})
}
