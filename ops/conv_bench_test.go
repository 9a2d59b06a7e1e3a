package ops

import (
	"fmt"
	"testing"

	"convnet/internal/kernels"
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

// TestConv2dColCache checks that the weight gradient is the same bit for
// bit whether the backward pass reads the unfolded input kept from the
// forward pass or unfolds it again (convColCacheMax = 0), with groups,
// stride and padding, on 1 and 2 threads.
func TestConv2dColCache(t *testing.T) {
	defer func(old int) { convColCacheMax = old }(convColCacheMax)
	g := tensor.NewRNG(5)
	xt := tensor.Randn(g, 0, 1, 5, 4, 11, 9)
	wt := tensor.Randn(g, 0, 1, 6, 2, 3, 3)
	gy := tensor.Randn(g, 0, 1, 5, 6, 6, 5)
	o := Conv2dOptions{Stride: [2]int{2, 2}, Padding: SymmetricPadding(1, 1), Groups: 2}
	run := func(limit int) [2]*tensor.Tensor {
		convColCacheMax = limit
		x, w := Param(xt), Param(wt)
		Conv2d(x, w, nil, o).BackwardWith(gy)
		return [2]*tensor.Tensor{x.Grad, w.Grad}
	}
	defer kernels.SetThreads(kernels.Threads())
	for _, th := range []int{1, 2} {
		kernels.SetThreads(th)
		cached, fresh := run(1<<30), run(0)
		for i, name := range []string{"dx", "dw"} {
			if !equalBits(cached[i], fresh[i]) {
				t.Errorf("%d threads: %s differs with the cached unfolded input", th, name)
			}
		}
	}
}
