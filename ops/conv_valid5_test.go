package ops

import (
	"fmt"
	"math"
	"testing"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// TestConv2dValid5x5MatchesIm2col checks the weight gradient of 5×5,
// stride-1, unpadded convolutions by kernels.ValidWeightGrad5x5 against
// the im2col route on the same data, to float32 rounding, with a second
// backward pass that adds to the gradients the first left; the output, the
// input gradient and the bias gradient must keep their bits, and every
// result must be the same on 1, 2 and 3 threads. Shapes: LeNet-5's second
// convolution, a 5×5 image, 32 and 48 output channels, one input channel.
func TestConv2dValid5x5MatchesIm2col(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	defer func(v bool) { convValid5 = v }(convValid5)
	if !kernels.ValidWeightGrad5x5OK(16) {
		t.Skip("ValidWeightGrad5x5 runs only with AVX-512; without it Conv2d never takes the route")
	}
	for _, c := range [][5]int{{4, 6, 16, 14, 14}, {3, 2, 32, 9, 7}, {1, 3, 16, 5, 5}, {5, 1, 48, 12, 8}} {
		var first []*tensor.Tensor
		for _, th := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%v/threads=%d", c, th), func(t *testing.T) {
				kernels.SetThreads(th)
				n, cin, cout, h, w := c[0], c[1], c[2], c[3], c[4]
				run := func(on bool) []*tensor.Tensor {
					convValid5 = on
					g := tensor.NewRNG(6)
					x := randParam(g, n, cin, h, w)
					wt, b := randParam(g, cout, cin, 5, 5), randParam(g, cout)
					y := Conv2d(x, wt, b, Conv2dOptions{})
					Sum(Mul(y, y)).Backward()
					Sum(Conv2d(x, wt, b, Conv2dOptions{})).Backward()
					return []*tensor.Tensor{y.Value, x.Grad, b.Grad, wt.Grad}
				}
				got, want := run(true), run(false)
				if first == nil {
					first = got
				}
				for i := range got {
					if j := firstDiff(got[i].Data(), first[i].Data()); j >= 0 {
						t.Fatalf("tensor %d [%d] differs from one thread's", i, j)
					}
				}
				for i := 0; i < 3; i++ {
					if j := firstDiff(got[i].Data(), want[i].Data()); j >= 0 {
						t.Fatalf("tensor %d [%d] = %v, im2col route %v", i, j, got[i].Data()[j], want[i].Data()[j])
					}
				}
				gd, wd := got[3].Data(), want[3].Data()
				scale := maxAbs(wd)
				for j := range gd {
					if d := math.Abs(float64(gd[j] - wd[j])); d > 1e-5*scale {
						t.Fatalf("weight gradient [%d] = %v, im2col route %v (scale %v)", j, gd[j], wd[j], scale)
					}
				}
			})
		}
	}
}
