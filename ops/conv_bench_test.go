package ops

import (
	"fmt"
	"testing"

	"convnet/tensor"
)

// BenchmarkConv2dTrain times forward and backward (input, weight and bias
// gradients) of LeNet-5's two convolutions at batch 64, the training step's
// convolution work: conv1 (1→6, 5×5, pad 2, 28×28; on the direct depthwise
// path, as Cin = 1) with a constant input as in training, and conv2
// (6→16, 5×5, 14×14; im2col + SGEMM).
func BenchmarkConv2dTrain(b *testing.B) {
	for _, l := range []struct {
		name          string
		cin, cout, hw int
		pad           int
		needX         bool
	}{
		{"lenet-conv1", 1, 6, 28, 2, false},
		{"lenet-conv2", 6, 16, 14, 0, true},
	} {
		b.Run(fmt.Sprintf("layer=%s", l.name), func(b *testing.B) {
			g := tensor.NewRNG(1)
			xt := tensor.Randn(g, 0, 1, 64, l.cin, l.hw, l.hw)
			x := Const(xt)
			if l.needX {
				x = Param(xt)
			}
			w := Param(tensor.Randn(g, 0, 1, l.cout, l.cin, 5, 5))
			bias := Param(tensor.Randn(g, 0, 1, l.cout))
			o := Conv2dOptions{Padding: SymmetricPadding(l.pad, l.pad)}
			oh := ConvOutputSize(l.hw, 5, 1, l.pad, l.pad, 1)
			gy := tensor.Randn(g, 0, 1, 64, l.cout, oh, oh)
			b.ReportAllocs()
			for b.Loop() {
				x.Grad, w.Grad, bias.Grad = nil, nil, nil
				Conv2d(x, w, bias, o).BackwardWith(gy)
			}
		})
	}
}
