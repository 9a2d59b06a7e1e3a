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
// on 1, 2 and 3 threads (compareConvRoutes).
func TestConv2dWideWeightGrad(t *testing.T) {
	defer func(a, b, c int) {
		convWideMaxOHW, convWideMinWeights, convColCacheMax = a, b, c
	}(convWideMaxOHW, convWideMinWeights, convColCacheMax)
	cases := []convCase{
		{3, 8, 32, 7, 7, 3, 1, 1, 1}, {2, 5, 7, 9, 6, 3, 2, 1, 1}, {2, 3, 8, 10, 10, 3, 1, 2, 2},
		{4, 16, 24, 5, 5, 1, 1, 0, 1}, {3, 6, 10, 8, 8, 1, 2, 0, 1}, {1, 4, 8, 11, 13, 3, 1, 0, 1},
		{17, 9, 33, 3, 5, 3, 1, 1, 1},
	}
	for _, cached := range []bool{true, false} {
		t.Run(fmt.Sprintf("cached=%v", cached), func(t *testing.T) {
			convColCacheMax = 0
			if cached {
				convColCacheMax = 1 << 22
			}
			compareConvRoutes(t, cases, func(wide bool, _ convCase) {
				convWideMaxOHW, convWideMinWeights = 0, math.MaxInt
				if wide {
					convWideMaxOHW, convWideMinWeights = 1<<20, 0
				}
			})
		})
	}
}

// TestConv2dWeightGradRowBlocks checks the weight gradient that unfolds an
// image a few output rows at a time (convColTile) against the whole image
// at once: one and two rows per block, blocks that do not divide the
// height, strides, dilation and padding, as TestConv2dWideWeightGrad does.
func TestConv2dWeightGradRowBlocks(t *testing.T) {
	defer func(a, b int) { convColTile, convColCacheMax = a, b }(convColTile, convColCacheMax)
	convColCacheMax = 0
	cases := []convCase{
		{2, 3, 8, 13, 11, 7, 2, 3, 1}, {3, 5, 6, 12, 9, 3, 1, 0, 1}, {2, 4, 7, 15, 15, 3, 2, 1, 2},
		{1, 2, 5, 9, 20, 5, 1, 2, 1}, {3, 6, 10, 8, 8, 1, 2, 0, 1},
	}
	for _, rows := range []int{1, 2} {
		t.Run(fmt.Sprintf("rows=%d", rows), func(t *testing.T) {
			compareConvRoutes(t, cases, func(blocks bool, c convCase) {
				convColTile = 1 << 30
				if blocks {
					ow := ConvOutputSize(c.w, c.k, c.s, c.p, c.p, c.d)
					convColTile = rows * c.cin * c.k * c.k * ow
				}
			})
		})
	}
}

// convCase is a convolution: batch, channels in and out, input height and
// width, square kernel, stride, padding and dilation.
type convCase struct{ n, cin, cout, h, w, k, s, p, d int }

// compareConvRoutes runs a convolution with a bias and both gradients for
// each case, two steps (the second on the pool's recycled buffers, filled
// with NaN), with set(true, case) and set(false, case) choosing two routes. The first
// route must give the same bits on 1, 2 and 3 threads, the forward output
// of the second route's bits, and gradients within 1e-5 of the largest.
func compareConvRoutes(t *testing.T, cases []convCase, set func(first bool, c convCase)) {
	t.Helper()
	defer kernels.SetThreads(kernels.Threads())
	defer func(p bool) { poisonRecycled = p }(poisonRecycled)
	poisonRecycled = true
	for _, c := range cases {
		var first []*tensor.Tensor // the first route on one thread
		for _, th := range []int{1, 2, 3} {
			kernels.SetThreads(th)
			run := func(route bool) []*tensor.Tensor {
				set(route, c)
				g := tensor.NewRNG(6)
				x := randParam(g, c.n, c.cin, c.h, c.w)
				w := randParam(g, c.cout, c.cin, c.k, c.k)
				b := randParam(g, c.cout)
				o := Conv2dOptions{Stride: [2]int{c.s, c.s}, Padding: SymmetricPadding(c.p, c.p), Dilation: [2]int{c.d, c.d}}
				var y *Var
				for range 2 {
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
					t.Fatalf("%+v, %d threads: tensor %d [%d] differs from one thread's", c, th, i, j)
				}
			}
			if j := firstDiff(got[0].Data(), want[0].Data()); j >= 0 {
				t.Fatalf("%+v, %d threads: output [%d] = %v, other route %v", c, th, j, got[0].Data()[j], want[0].Data()[j])
			}
			for i := 1; i < len(got); i++ {
				scale := 0.0
				for _, v := range want[i].Data() {
					scale = math.Max(scale, math.Abs(float64(v)))
				}
				if d := tensor.MaxAbsDiff(got[i], want[i]); !(d <= 1e-5*scale) {
					t.Fatalf("%+v, %d threads: gradient %d: max difference %g (scale %g)", c, th, i, d, scale)
				}
			}
		}
	}
}
