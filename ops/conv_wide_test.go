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
			compareConvRoutes(t, cases, 0, func(wide bool, _ convCase) {
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
			compareConvRoutes(t, cases, 0, func(blocks bool, c convCase) {
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
// route must give the same bits on 1, 2 and 3 threads; with tol 0 the
// forward output must have the second route's bits, and every tensor must
// lie within max(tol, 1e-5) times its largest element of the second
// route's.
func compareConvRoutes(t *testing.T, cases []convCase, tol float64, set func(first bool, c convCase)) {
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
			if j := firstDiff(got[0].Data(), want[0].Data()); j >= 0 && tol == 0 {
				t.Fatalf("%+v, %d threads: output [%d] = %v, other route %v", c, th, j, got[0].Data()[j], want[0].Data()[j])
			}
			for i := range got {
				scale := maxAbs(want[i].Data())
				if d := tensor.MaxAbsDiff(got[i], want[i]); !(d <= max(tol, 1e-5)*scale) {
					t.Fatalf("%+v, %d threads: tensor %d: max difference %g (scale %g)", c, th, i, d, scale)
				}
			}
		}
	}
}

// TestConv2dWinograd checks the Winograd route of 3×3 stride-1 padding-1
// convolutions (forward and input gradient) against the direct routes:
// groups of images that do and do not fill a group (16 tiles per 16×16
// image: 16 images to a group), fewer groups than threads and as many or
// more,
// outputs that do not fill the last tile row and column, a bias, and an
// input gradient added to another contribution as well as set afresh.
// The tolerance is Winograd F(4×4, 3×3)'s rounding in float32.
func TestConv2dWinograd(t *testing.T) {
	defer func(w bool, a, b int) { convWino, winoMinChannels, winoMinPixels = w, a, b }(convWino, winoMinChannels, winoMinPixels)
	winoMinChannels, winoMinPixels = 16, 0
	cases := []convCase{
		{4, 16, 24, 16, 16, 3, 1, 1, 1}, {20, 16, 16, 16, 16, 3, 1, 1, 1}, {50, 16, 16, 16, 16, 3, 1, 1, 1},
		{40, 17, 19, 10, 7, 3, 1, 1, 1}, {2, 32, 16, 33, 35, 3, 1, 1, 1}, {20, 24, 40, 8, 8, 3, 1, 1, 1},
	}
	for _, c := range cases {
		tiles := winoTiles(c.h, c.w)
		if !winoPays(c.n, c.cin, c.cout, c.h, c.w) || !winoPays(c.n, c.cout, c.cin, c.h, c.w) {
			t.Fatalf("%+v does not take the Winograd route (%d tiles per image)", c, tiles)
		}
	}
	compareConvRoutes(t, cases, 1e-4, func(wino bool, _ convCase) { convWino = wino })
	// The input gradient of an intermediate h added to another
	// contribution (h also feeds a sum of squares), which reaches h before
	// or after the convolution's depending on the order of the terms, and
	// so is set or added to.
	convWino = true
	if !winoPays(8, 16, 16, 12, 12) {
		t.Fatal("the shared-input case does not take the Winograd route")
	}
	for _, convFirst := range []bool{true, false} {
		run := func(wino bool) []*tensor.Tensor {
			convWino = wino
			g := tensor.NewRNG(8)
			x := randParam(g, 8, 16, 12, 12)
			w := randParam(g, 16, 16, 3, 3)
			h := Scale(x, 1)
			y := Conv2d(h, w, nil, Conv2dOptions{Padding: SymmetricPadding(1, 1)})
			a, b := Sum(Mul(y, y)), Sum(Mul(h, h))
			if convFirst {
				a, b = b, a
			}
			Add(a, b).Backward()
			return []*tensor.Tensor{x.Grad, w.Grad}
		}
		got, want := run(true), run(false)
		for i := range got {
			scale := maxAbs(want[i].Data())
			if d := tensor.MaxAbsDiff(got[i], want[i]); !(d <= 1e-4*scale) {
				t.Fatalf("shared input, conv first %v: tensor %d: max difference %g (scale %g)", convFirst, i, d, scale)
			}
		}
	}
}
