package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestEngMaxPoolPlanes compares EngMaxPoolPlanes with MaxPool2dPlanes over
// 3-wide windows of several heights, strides, paddings and sizes, with NaN
// among the inputs.
func TestEngMaxPoolPlanes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, kh := range []int{1, 3} {
		for _, s := range []int{1, 2, 3} {
			for _, pad := range []int{0, 1, 2} {
				for _, hw := range [][2]int{{1, 1}, {3, 3}, {7, 9}, {12, 11}} {
					g := ConvGeom{C: 3, H: hw[0], W: hw[1], KH: kh, KW: 3, SH: s, SW: s, PadT: pad, PadL: pad, DH: 1, DW: 1}
					g.OH = (g.H+2*pad-kh)/s + 1
					g.OW = (g.W+2*pad-3)/s + 1
					if g.OH < 1 || g.OW < 1 || pad >= 3 {
						continue
					}
					x := make([]float32, g.C*g.H*g.W)
					for i := range x {
						x[i] = float32(r.NormFloat64())
					}
					x[r.IntN(len(x))] = float32(math.NaN())
					want := make([]float32, g.C*g.OH*g.OW)
					got := make([]float32, len(want))
					MaxPool2dPlanes(&g, x, want, 0, g.C)
					EngMaxPoolPlanes(&g, x, got, 0, g.C)
					for i := range want {
						if got[i] != want[i] && !(got[i] != got[i] && want[i] != want[i]) {
							t.Fatalf("%+v: output %d = %g, want %g", g, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}
