package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestTabConvForward checks TabConvForward, with the assembly tiles and
// with the Go loop, against the convolution in float64 (to float32
// rounding of the sum of the terms' magnitudes), and the assembly against
// im2col + Sgemm bit for bit where the unfolded rows fit one of Sgemm's K
// blocks (9·C ≤ 256: both then form each sum as one chain in im2col's
// order): 16 and 32–96 output channels, rows of 8 to 32 pixels, one-row
// and one-channel images. The output starts as NaN; guard values after it
// must stay.
func TestTabConvForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 4))
	for _, s := range []struct{ cin, cout, h, w int }{
		{3, 32, 5, 8}, {16, 16, 32, 32}, {28, 32, 16, 16}, {64, 64, 8, 8}, {5, 16, 3, 16}, {7, 64, 2, 24}, {1, 32, 1, 8}, {2, 96, 4, 8}, {33, 32, 3, 8},
	} {
		l := TabLayout{C: s.cin, H: s.h, W: s.w}
		hw, ckk := s.h*s.w, 9*s.cin
		x := make([]float32, s.cin*hw)
		wd := make([]float32, s.cout*ckk)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := range wd {
			wd[i] = float32(rng.NormFloat64())
		}
		pad := make([]float32, l.Len())
		l.Pad(x, pad)
		wt := make([]float32, len(wd))
		TabConvWeights(wt, wd, s.cout, ckk)
		for _, asm := range []bool{true, false} {
			name := fmt.Sprintf("%+v asm %v", s, asm)
			old := tapAsm
			tapAsm = asm && old
			if asm && !tapAsm {
				tapAsm = old
				continue
			}
			const guard = 16
			dst := make([]float32, s.cout*hw+guard)
			for i := range dst {
				dst[i] = float32(math.NaN())
			}
			for i := s.cout * hw; i < len(dst); i++ {
				dst[i] = 7
			}
			func() {
				defer func() { tapAsm = old }()
				TabConvForward(l, pad, wt, s.cout, dst[:s.cout*hw])
			}()
			for co := range s.cout {
				for y := range s.h {
					for xx := range s.w {
						var sum, mag float64
						for c := range s.cin {
							for ky := range 3 {
								for kx := range 3 {
									iy, ix := y+ky-1, xx+kx-1
									if iy < 0 || iy >= s.h || ix < 0 || ix >= s.w {
										continue
									}
									p := float64(wd[co*ckk+c*9+ky*3+kx]) * float64(x[c*hw+iy*s.w+ix])
									sum += p
									mag += math.Abs(p)
								}
							}
						}
						got := dst[co*hw+y*s.w+xx]
						if d := math.Abs(float64(got) - sum); !(d <= 1e-5*mag+1e-6) {
							t.Fatalf("%s: output %d pixel (%d, %d) = %v, want %v", name, co, y, xx, got, sum)
						}
					}
				}
			}
			for i := s.cout * hw; i < len(dst); i++ {
				if dst[i] != 7 {
					t.Fatalf("%s: guard %d overwritten: %v", name, i-s.cout*hw, dst[i])
				}
			}
			if !asm || ckk > 256 {
				continue
			}
			g := ConvGeom{C: s.cin, H: s.h, W: s.w, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, DH: 1, DW: 1, OH: s.h, OW: s.w}
			col := make([]float32, ckk*hw)
			Im2col(&g, x, col)
			want := make([]float32, s.cout*hw)
			Sgemm(false, false, s.cout, hw, ckk, 1, wd, ckk, col, hw, 0, want, hw)
			if i := sameBits(dst[:s.cout*hw], want); i >= 0 {
				t.Fatalf("%s: output [%d] = %v, im2col + Sgemm %v", name, i, dst[i], want[i])
			}
		}
	}
	for _, bad := range [][2]int{{48, 8}, {32, 12}, {16, 8}, {8, 16}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("TabConvForward with %d outputs, rows of %d did not panic", bad[0], bad[1])
				}
			}()
			l := TabLayout{C: 2, H: 2, W: bad[1]}
			TabConvForward(l, make([]float32, l.Len()), make([]float32, 18*bad[0]), bad[0], make([]float32, bad[0]*2*bad[1]))
		}()
	}
}
