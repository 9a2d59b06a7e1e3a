package kernels

import (
	"math"
	"math/rand"
	"testing"
)

// TestPoolMax2x2MatchesGeneral checks the 2×2/2 fast path against the
// general loop, bit for bit and index for index, on data with ties, NaNs
// and infinities, for even and odd plane sizes.
func TestPoolMax2x2MatchesGeneral(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	special := []float32{0, float32(math.Copysign(0, -1)), 1, 1, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	for _, hw := range [][2]int{{2, 2}, {4, 6}, {5, 7}, {28, 28}, {9, 3}} {
		h, w := hw[0], hw[1]
		g := &ConvGeom{C: 1, H: h, W: w, KH: 2, KW: 2, SH: 2, SW: 2, DH: 1, DW: 1, OH: h / 2, OW: w / 2}
		x := make([]float32, h*w)
		for i := range x {
			if r.Intn(4) == 0 {
				x[i] = special[r.Intn(len(special))]
			} else {
				x[i] = float32(r.Intn(5)) // many ties
			}
		}
		y1, y2 := make([]float32, g.OH*g.OW), make([]float32, g.OH*g.OW)
		a1, a2 := make([]int32, g.OH*g.OW), make([]int32, g.OH*g.OW)
		poolMaxPlane(g, x, y1, a1)
		poolMaxPlaneGeneral(g, x, y2, a2)
		for i := range y1 {
			if math.Float32bits(y1[i]) != math.Float32bits(y2[i]) || a1[i] != a2[i] {
				t.Fatalf("%dx%d output %d: fast %v@%d, general %v@%d", h, w, i, y1[i], a1[i], y2[i], a2[i])
			}
		}
	}
}

// BenchmarkMaxPool2x2 times the 2×2/2 max pool with argmax on LeNet-5's
// first pooling input at batch 64 (384 planes of 28×28, random data, so
// the comparisons are unpredictable).
func BenchmarkMaxPool2x2(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	g := &ConvGeom{C: 64 * 6, H: 28, W: 28, KH: 2, KW: 2, SH: 2, SW: 2, DH: 1, DW: 1, OH: 14, OW: 14}
	x := make([]float32, g.C*g.H*g.W)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	y := make([]float32, g.C*g.OH*g.OW)
	argmax := make([]int32, len(y))
	for b.Loop() {
		MaxPool2d(g, x, y, argmax)
	}
}
