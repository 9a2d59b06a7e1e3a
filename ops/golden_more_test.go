package ops_test

import (
	"testing"

	"convnet/ops"
	"convnet/tensor"
)

// TestGoldenMore replays testdata/golden/more.safetensors (written by
// tools/golden/gen_more.py with PyTorch 1.13): the ONNX-import ops,
// forward and backward, with the golden tolerance of golden_test.go.
func TestGoldenMore(t *testing.T) {
	f32 := func(v any) float32 { return float32(v.(float64)) }
	runGolden(t, "more", func(_ string, m map[string]any, in map[string]*ops.Var, _ map[string]*tensor.Tensor) *ops.Var {
		x := in["x"]
		switch m["op"] {
		case "elu":
			return ops.Elu(x, f32(m["alpha"]))
		case "selu":
			return ops.Selu(x, ops.SeluAlpha, ops.SeluGamma)
		case "softplus":
			return ops.Softplus(x)
		case "softsign":
			return ops.Softsign(x)
		case "exp":
			return ops.Exp(x)
		case "log":
			return ops.Log(x)
		case "sqrt":
			return ops.Sqrt(x)
		case "neg":
			return ops.Neg(x)
		case "abs":
			return ops.Abs(x)
		case "reciprocal":
			return ops.Reciprocal(x)
		case "erf":
			return ops.Erf(x)
		case "clip":
			return ops.Clip(x, f32(m["min"]), f32(m["max"]))
		case "prelu":
			return ops.PRelu(x, in["slope"])
		case "pow":
			return ops.Pow(in["a"], in["b"])
		case "maximum":
			return ops.Maximum(in["a"], in["b"])
		case "minimum":
			return ops.Minimum(in["a"], in["b"])
		case "transpose":
			return ops.Transpose(x, ints(m["perm"]))
		case "slice":
			return ops.Slice(x, ints(m["starts"]), ints(m["ends"]), ints(m["axes"]), ints(m["steps"]))
		case "gather":
			return ops.Gather(x, int(m["axis"].(float64)), ints(m["indices"]), ints(m["indices_shape"]))
		case "pad":
			return ops.Pad(x, ints(m["pads"]), m["mode"].(string), f32(m["value"]))
		case "expand":
			return ops.Expand(x, ints(m["shape"]))
		case "tile":
			return ops.Tile(x, ints(m["repeats"]))
		case "reduce_sum":
			return ops.SumAxes(x, ints(m["axes"]), m["keepdims"].(bool))
		case "reduce_mean":
			return ops.MeanAxes(x, ints(m["axes"]), m["keepdims"].(bool))
		case "instance_norm":
			return ops.InstanceNorm(x, in["scale"], in["bias"], m["eps"].(float64))
		case "global_max_pool":
			return ops.GlobalMaxPool2d(x)
		case "depth_to_space":
			return ops.DepthToSpace(x, int(m["blocksize"].(float64)), m["mode"].(string))
		case "space_to_depth":
			return ops.SpaceToDepth(x, int(m["blocksize"].(float64)))
		}
		return nil
	})
}
