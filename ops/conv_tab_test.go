package ops

import (
	"fmt"
	"math"
	"testing"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// TestConv2dTabMatchesIm2col checks the TabLayout route of 3×3, stride-1,
// padding-1 convolutions (conv_tab.go) against the im2col route on the same
// data: the output bit for bit (to float32 rounding where the forward pass
// by TabConvForward sums more than one K block of rows in one chain), the
// gradients of the input, weights and bias to float32 rounding. Two
// convolutions read the same input, so the
// second input gradient is added to the first's (the route's add path),
// and a second backward pass adds to the gradients the first left;
// the shapes cover batch 1 (columns split over threads) and batches above
// the thread count, few and many output channels (the weight gradient by
// tap broadcasts for 16 channels and multiples of 32, else by dot
// products or by the packed SGEMM), odd sizes, rows of 8 and of 16k
// pixels (written straight into the image) and 8×4 images, whose forward
// pass takes im2col (keeping the unfolded input) and whose input gradient
// the TabLayout; every result must have the same bits on 1, 2 and 3
// threads.
func TestConv2dTabMatchesIm2col(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	defer func(v, w bool) { convTab, convWino = v, w }(convTab, convWino)
	convWino = false   // this test is about the TabLayout route
	cases := [][5]int{ // N, Cin, Cout, H, W
		{1, 3, 5, 5, 7}, {3, 16, 16, 32, 32}, {2, 17, 33, 9, 4}, {5, 40, 24, 16, 16},
		{1, 64, 64, 7, 7}, {4, 1, 1, 1, 60}, {9, 8, 12, 14, 14}, {3, 64, 64, 8, 8}, {2, 8, 16, 8, 8}, {2, 8, 16, 8, 4},
		{3, 5, 96, 6, 6}, {2, 6, 32, 10, 10},
	}
	for _, c := range cases {
		var first []*tensor.Tensor // the TabLayout route on one thread
		for _, th := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%v/threads=%d", c, th), func(t *testing.T) {
				kernels.SetThreads(th)
				n, cin, cout, h, w := c[0], c[1], c[2], c[3], c[4]
				run := func(tab bool) []*tensor.Tensor {
					convTab = tab
					g := tensor.NewRNG(4)
					x := randParam(g, n, cin, h, w)
					w1, w2 := randParam(g, cout, cin, 3, 3), randParam(g, cout, cin, 3, 3)
					b := randParam(g, cout)
					o := Conv2dOptions{Padding: SymmetricPadding(1, 1)}
					y1, y2 := Conv2d(x, w1, b, o), Conv2d(x, w2, nil, o)
					Add(Sum(Mul(y1, y1)), Sum(Mul(y2, y2))).Backward()
					// A second pass adds to the gradients the first left.
					Sum(Mul(Conv2d(x, w1, b, o), Conv2d(x, w2, nil, o))).Backward()
					return []*tensor.Tensor{y1.Value, y2.Value, x.Grad, w1.Grad, w2.Grad, b.Grad}
				}
				convTab = true
				geom := &kernels.ConvGeom{KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, H: h, W: w}
				if !tabGeometry(geom, 1, [4]int{1, 1, 1, 1}) || tabForwardPays(geom) != (h != 8 || w != 4) {
					t.Fatal("shape does not take the expected route")
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
				// The forward pass by TabConvForward sums all of im2col's
				// rows in one chain: the bits of im2col + SGEMM only up to
				// one K block (9·Cin ≤ 256).
				exact := !(tapForward && kernels.TabConvForwardOK(cout, w) && n >= th) || 9*cin <= 256
				for i := range got {
					gd, wd := got[i].Data(), want[i].Data()
					if i < 2 && exact {
						if j := firstDiff(gd, wd); j >= 0 {
							t.Fatalf("output %d [%d] = %v, im2col %v", i, j, gd[j], wd[j])
						}
						continue
					}
					scale := maxAbs(wd)
					if d := tensor.MaxAbsDiff(got[i], want[i]); d > 1e-5*scale {
						t.Fatalf("tensor %d: max difference %g (scale %g)", i, d, scale)
					}
				}
			})
		}
	}
}

// maxAbs returns the largest magnitude in x (0 for an empty x), the scale
// against which the route comparisons measure their differences.
func maxAbs(x []float32) float64 {
	m := 0.0
	for _, v := range x {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// firstDiff returns the first index at which a and b differ in bits, or −1.
func firstDiff(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}
