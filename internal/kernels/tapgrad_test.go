package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestTabWeightGrad checks TabWeightGrad, with the assembly kernels and
// with the Go loops, against the definition in float64: one image's
// weight gradient of a 3×3 convolution with padding 1, transposed, added
// to a gradient that already holds values, for output channels 16, 32, 64
// and 96, even and odd inputs, images from 1×1 up and grids that span
// several K blocks. The scratch starts as NaN; guard values after the
// gradient must stay.
func TestTabWeightGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 3))
	for _, s := range []struct{ cin, cout, h, w int }{
		{2, 16, 5, 7}, {4, 16, 32, 32}, {3, 32, 16, 16}, {5, 64, 8, 8},
		{6, 32, 1, 1}, {2, 16, 1, 9}, {3, 96, 7, 5}, {1, 32, 20, 3}, {2, 64, 30, 30},
	} {
		lx := TabLayout{C: s.cin, H: s.h, W: s.w}
		ly := TabLayout{C: s.cout, H: s.h, W: s.w}
		x := make([]float32, s.cin*s.h*s.w)
		dy := make([]float32, s.cout*s.h*s.w)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := range dy {
			dy[i] = float32(rng.NormFloat64())
		}
		xpad, dpad := make([]float32, lx.Len()), make([]float32, ly.Len())
		lx.Pad(x, xpad)
		ly.Pad(dy, dpad)
		n := 9 * s.cin * s.cout
		start := make([]float32, n)
		for i := range start {
			start[i] = float32(rng.NormFloat64())
		}
		// want[c·9+tap][co] and the sum of the magnitudes of its terms.
		want, mag := make([]float64, n), make([]float64, n)
		for c := 0; c < s.cin; c++ {
			for tap := range 9 {
				ky, kx := tap/3, tap%3
				for co := 0; co < s.cout; co++ {
					var sum, abs float64
					for y := 0; y < s.h; y++ {
						for xx := 0; xx < s.w; xx++ {
							iy, ix := y+ky-1, xx+kx-1
							if iy < 0 || iy >= s.h || ix < 0 || ix >= s.w {
								continue
							}
							p := float64(dy[(co*s.h+y)*s.w+xx]) * float64(x[(c*s.h+iy)*s.w+ix])
							sum += p
							abs += math.Abs(p)
						}
					}
					i := (c*9+tap)*s.cout + co
					want[i], mag[i] = float64(start[i])+sum, math.Abs(float64(start[i]))+abs
				}
			}
		}
		checkTapGrad(t, fmt.Sprintf("%+v", s), s.cout, start, want, mag, TabWeightGradScratch(ly), func(dyT, gT []float32) {
			TabWeightGrad(lx, ly, xpad, dpad, dyT, gT)
		})
	}
}

// TestTabWeightGradShapes checks which layers TabWeightGrad takes and that
// it panics on the others and on layouts of different sizes.
func TestTabWeightGradShapes(t *testing.T) {
	for _, c := range []struct {
		cin, cout int
		ok        bool
	}{{2, 16, true}, {3, 16, false}, {1, 32, true}, {3, 64, true}, {4, 48, false}, {4, 8, false}, {0, 32, false}} {
		if got := tapShapeOK(c.cin, c.cout); got != c.ok {
			t.Errorf("tapShapeOK(%d, %d) = %v, want %v", c.cin, c.cout, got, c.ok)
		}
		if TabWeightGradOK(c.cin, c.cout) && !c.ok {
			t.Errorf("TabWeightGradOK(%d, %d) is true", c.cin, c.cout)
		}
	}
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	lx, ly := TabLayout{C: 3, H: 4, W: 4}, TabLayout{C: 16, H: 4, W: 4}
	mustPanic("odd input channels with 16 outputs", func() {
		TabWeightGrad(lx, ly, make([]float32, lx.Len()), make([]float32, ly.Len()), make([]float32, TabWeightGradScratch(ly)), make([]float32, 9*3*16))
	})
	lx, ly = TabLayout{C: 2, H: 4, W: 4}, TabLayout{C: 32, H: 4, W: 5}
	mustPanic("different widths", func() {
		TabWeightGrad(lx, ly, make([]float32, lx.Len()), make([]float32, ly.Len()), make([]float32, TabWeightGradScratch(ly)), make([]float32, 9*2*32))
	})
	ly.W = 4
	mustPanic("short scratch", func() {
		TabWeightGrad(lx, ly, make([]float32, lx.Len()), make([]float32, ly.Len()), make([]float32, TabWeightGradScratch(ly)-1), make([]float32, 9*2*32))
	})
}

// TestValidWeightGrad5x5 checks ValidWeightGrad5x5, with the assembly
// kernel and with the Go loop, against the definition in float64, added
// to a gradient that already holds values: LeNet-5's second convolution,
// a 5×5 image (one output pixel), narrow and wide images, 16 to 48 output
// channels, grids longer than a K block. The scratch starts as NaN; guard
// values after the gradient must stay.
func TestValidWeightGrad5x5(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 5))
	for _, s := range []struct{ c, h, w, cout int }{
		{6, 14, 14, 16}, {1, 5, 5, 16}, {3, 9, 7, 32}, {2, 20, 6, 48}, {2, 30, 40, 16}, {4, 6, 25, 16},
	} {
		oh, ow := s.h-4, s.w-4
		x := make([]float32, s.c*s.h*s.w)
		dy := make([]float32, s.cout*oh*ow)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := range dy {
			dy[i] = float32(rng.NormFloat64())
		}
		n := 25 * s.c * s.cout
		start := make([]float32, n)
		for i := range start {
			start[i] = float32(rng.NormFloat64())
		}
		want, mag := make([]float64, n), make([]float64, n)
		for c := 0; c < s.c; c++ {
			for tap := range 25 {
				ky, kx := tap/5, tap%5
				for co := 0; co < s.cout; co++ {
					var sum, abs float64
					for y := 0; y < oh; y++ {
						for xx := 0; xx < ow; xx++ {
							p := float64(dy[(co*oh+y)*ow+xx]) * float64(x[(c*s.h+y+ky)*s.w+xx+kx])
							sum += p
							abs += math.Abs(p)
						}
					}
					i := (c*25+tap)*s.cout + co
					want[i], mag[i] = float64(start[i])+sum, math.Abs(float64(start[i]))+abs
				}
			}
		}
		checkTapGrad(t, fmt.Sprintf("%+v", s), s.cout, start, want, mag, ValidWeightGrad5x5Scratch(s.h, s.w, s.cout), func(dyT, gT []float32) {
			ValidWeightGrad5x5(x, dy, s.c, s.h, s.w, s.cout, dyT, gT)
		})
	}
	for _, bad := range [][4]int{{1, 4, 5, 16}, {1, 5, 5, 8}, {0, 5, 5, 16}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("ValidWeightGrad5x5 of %v did not panic", bad)
				}
			}()
			c, h, w, cout := bad[0], bad[1], bad[2], bad[3]
			ValidWeightGrad5x5(make([]float32, 1000), make([]float32, 1000), c, h, w, cout, make([]float32, 10000), make([]float32, 10000))
		}()
	}
}

// checkTapGrad runs run, with the assembly kernels and with the Go loops,
// on a gradient that starts as start with guard values after it and on a
// scratch of scratch floats that starts as NaN; it fails t unless every
// element ends within float32 rounding of want (mag: the sum of the
// magnitudes of its terms) and the guards are intact. Element i belongs to
// output channel i mod cout.
func checkTapGrad(t *testing.T, name string, cout int, start []float32, want, mag []float64, scratch int, run func(dyT, gT []float32)) {
	t.Helper()
	n := len(start)
	for _, asm := range []bool{true, false} {
		old := tapAsm
		tapAsm = asm && old
		if asm && !tapAsm {
			continue
		}
		const guard = 16
		gT := make([]float32, n+guard)
		copy(gT, start)
		for i := n; i < len(gT); i++ {
			gT[i] = 7
		}
		dyT := make([]float32, scratch)
		for i := range dyT {
			dyT[i] = float32(math.NaN())
		}
		func() {
			defer func() { tapAsm = old }()
			run(dyT, gT[:n])
		}()
		for i := range n {
			if d := math.Abs(float64(gT[i]) - want[i]); !(d <= 1e-5*mag[i]+1e-6) {
				t.Fatalf("%s asm %v: gT[%d] (row %d, output %d) = %v, want %v", name, asm, i, i/cout, i%cout, gT[i], want[i])
			}
		}
		for i := n; i < len(gT); i++ {
			if gT[i] != 7 {
				t.Fatalf("%s asm %v: guard %d overwritten: %v", name, asm, i-n, gT[i])
			}
		}
	}
}
