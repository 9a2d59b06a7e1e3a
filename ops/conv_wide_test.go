package ops

import (
	"fmt"
	"math"
	"testing"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// TestConv2dWideWeightGrad checks the weight gradient formed as one product
// over the batch (convWideWeightGrad) against the per-image products it
// replaces, with the limits moved so that small layers take it: 3×3 with
// and without padding, stride 2, dilation 2, 1×1 read in place and 1×1
// with stride, batch 1, the unfolded batch kept by the forward pass or
// built in the backward pass, with a bias and an input gradient alongside,
// and the pool's recycled buffers filled with NaN. The forward output keeps
// its bits (the wide cache only changes the row stride the product reads),
// the gradients agree to rounding, and the wide route gives the same bits
// on 1, 2 and 3 threads.
func TestConv2dWideWeightGrad(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	defer func(a, b, c, d int, p bool) {
		convWideMaxOHW, convWideMinWeights, convWideMax, convColCacheMax, poisonRecycled = a, b, c, d, p
	}(convWideMaxOHW, convWideMinWeights, convWideMax, convColCacheMax, poisonRecycled)
	poisonRecycled = true
	type conv struct{ n, cin, cout, h, w, k, s, p, d int }
	cases := []conv{
		{3, 8, 32, 7, 7, 3, 1, 1, 1}, {2, 5, 7, 9, 6, 3, 2, 1, 1}, {2, 3, 8, 10, 10, 3, 1, 2, 2},
		{4, 16, 24, 5, 5, 1, 1, 0, 1}, {3, 6, 10, 8, 8, 1, 2, 0, 1}, {1, 4, 8, 11, 13, 3, 1, 0, 1},
		{17, 9, 33, 3, 5, 3, 1, 1, 1},
	}
	for _, c := range cases {
		for _, cached := range []bool{true, false} {
			var first []*tensor.Tensor // the wide route on one thread
			for _, th := range []int{1, 2, 3} {
				t.Run(fmt.Sprintf("%+v/cached=%v/threads=%d", c, cached, th), func(t *testing.T) {
					kernels.SetThreads(th)
					convColCacheMax = 0
					if cached {
						convColCacheMax = 1 << 22
					}
					run := func(wide bool) []*tensor.Tensor {
						convWideMaxOHW, convWideMinWeights = 0, math.MaxInt
						if wide {
							convWideMaxOHW, convWideMinWeights = 1<<20, 0
						}
						g := tensor.NewRNG(6)
						x := randParam(g, c.n, c.cin, c.h, c.w)
						w := randParam(g, c.cout, c.cin, c.k, c.k)
						b := randParam(g, c.cout)
						o := Conv2dOptions{Stride: [2]int{c.s, c.s}, Padding: SymmetricPadding(c.p, c.p), Dilation: [2]int{c.d, c.d}}
						var y *Var
						for range 2 { // the second step runs on recycled (poisoned) buffers
							x.ZeroGrad()
							w.ZeroGrad()
							b.ZeroGrad()
							y = Conv2d(x, w, b, o)
							Sum(Mul(y, y)).Backward()
						}
						return []*tensor.Tensor{y.Value, w.Grad, x.Grad, b.Grad}
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
					if j := firstDiff(got[0].Data(), want[0].Data()); j >= 0 {
						t.Fatalf("output [%d] = %v, per-image route %v", j, got[0].Data()[j], want[0].Data()[j])
					}
					for i := 1; i < len(got); i++ {
						scale := 0.0
						for _, v := range want[i].Data() {
							scale = math.Max(scale, math.Abs(float64(v)))
						}
						if d := tensor.MaxAbsDiff(got[i], want[i]); !(d <= 1e-5*scale) {
							t.Fatalf("gradient %d: max difference %g (scale %g)", i, d, scale)
						}
					}
				})
			}
		}
	}
}
