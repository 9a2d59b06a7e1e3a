package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestPoolMax2x2MatchesGeneral checks the 2×2/2 fast path against the
// general loop, bit for bit and index for index, on data with ties, NaNs
// and infinities, for even and odd plane sizes.
func TestPoolMax2x2MatchesGeneral(t *testing.T) {
	defer func(old bool) { poolVector = old }(poolVector)
	r := rand.New(rand.NewSource(1))
	for _, vec := range []bool{false, true} {
		if vec && !poolKernels {
			continue
		}
		poolVector = vec
		// Rows of fewer than 16 windows, of exactly 16 and 32, and of more
		// with a remainder (the AVX-512 kernel's masked last block), with
		// even and odd plane sizes.
		for _, hw := range [][2]int{{2, 2}, {4, 6}, {5, 7}, {28, 28}, {9, 3}, {10, 10}, {2, 32}, {3, 33}, {4, 64}, {6, 66}, {56, 56}, {7, 95}, {112, 112}} {
			h, w := hw[0], hw[1]
			g := &ConvGeom{C: 1, H: h, W: w, KH: 2, KW: 2, SH: 2, SW: 2, DH: 1, DW: 1, OH: h / 2, OW: w / 2}
			checkPoolFastPath(t, r, g, fmt.Sprintf("vector %v, %dx%d", poolVector, h, w))
		}
	}
}

// checkPoolFastPath fills a plane of g's input from r with ties, NaNs and
// infinities and fails unless poolMaxPlane gives poolMaxPlaneGeneral's
// values bit for bit and its indices, and the same values without
// indices; what names the case.
func checkPoolFastPath(t *testing.T, r *rand.Rand, g *ConvGeom, what string) {
	t.Helper()
	special := []float32{0, float32(math.Copysign(0, -1)), 1, 1, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	x := make([]float32, g.H*g.W)
	for i := range x {
		if r.Intn(4) == 0 {
			x[i] = special[r.Intn(len(special))]
		} else {
			x[i] = float32(r.Intn(5)) // many ties
		}
	}
	n := g.OH * g.OW
	// y1, a1 and y3 end in guard bands that the fast path must not write.
	y1, y2 := make([]float32, n+16), make([]float32, n)
	a1, a2 := make([]int32, n+16), make([]int32, n)
	y3 := make([]float32, n+16)
	for i := n; i < n+16; i++ {
		y1[i], a1[i], y3[i] = 7.5, 75, 7.5
	}
	poolMaxPlane(g, x, y1[:n], a1[:n])
	poolMaxPlaneGeneral(g, x, y2, a2)
	poolMaxPlane(g, x, y3[:n], nil)
	for i := n; i < n+16; i++ {
		if y1[i] != 7.5 || a1[i] != 75 || y3[i] != 7.5 {
			t.Fatalf("%s: the fast path wrote past its %d outputs", what, n)
		}
	}
	for i := range y2 {
		if math.Float32bits(y1[i]) != math.Float32bits(y2[i]) || a1[i] != a2[i] {
			t.Fatalf("%s output %d: fast %v@%d, general %v@%d", what, i, y1[i], a1[i], y2[i], a2[i])
		}
		if math.Float32bits(y3[i]) != math.Float32bits(y2[i]) {
			t.Fatalf("%s output %d: fast without argmax %v, general %v", what, i, y3[i], y2[i])
		}
	}
}

// TestPoolMax3x3S2MatchesGeneral checks the 3×3/2 fast path against the
// general loop, bit for bit and index for index, on data with ties, NaNs
// and infinities, with padding 0, 1 and 2 (bottom and right padding as
// ceil mode leaves them) and planes from smaller than the window to 112²
// (rows of 16 and more windows inside the plane take the AVX-512 kernel,
// and the rest of the row the Go loop).
func TestPoolMax3x3S2MatchesGeneral(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, hw := range [][2]int{{1, 1}, {2, 2}, {3, 3}, {4, 7}, {7, 4}, {9, 10}, {56, 56}, {112, 112}, {15, 33}, {5, 35}, {4, 36}, {3, 66}, {6, 67}} {
		for _, pad := range []int{0, 1, 2} {
			for _, extra := range []int{0, 1} { // bottom/right padding beyond pad (ceil mode)
				h, w := hw[0], hw[1]
				oh, ow := (h+2*pad+extra-3)/2+1, (w+2*pad+extra-3)/2+1
				if h+2*pad+extra < 3 || w+2*pad+extra < 3 {
					continue
				}
				g := &ConvGeom{C: 1, H: h, W: w, KH: 3, KW: 3, SH: 2, SW: 2, PadT: pad, PadL: pad, DH: 1, DW: 1, OH: oh, OW: ow}
				checkPoolFastPath(t, r, g, fmt.Sprintf("%dx%d pad %d+%d", h, w, pad, extra))
			}
		}
	}
}

// TestPoolMax1x1MatchesGeneral checks the 1×1 subsampling fast path
// against the general loop, bit for bit and index for index, on data with
// ties, NaNs and infinities, for strides 1 to 3 and outputs that do and do
// not reach the input's last row and column.
func TestPoolMax1x1MatchesGeneral(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for _, hw := range [][2]int{{1, 1}, {2, 3}, {8, 8}, {9, 7}, {32, 32}} {
		for _, st := range []int{1, 2, 3} {
			h, w := hw[0], hw[1]
			for _, extra := range []int{0, 1} { // one output row and column fewer
				oh, ow := (h-1)/st+1-extra, (w-1)/st+1-extra
				if oh < 1 || ow < 1 {
					continue
				}
				g := &ConvGeom{C: 1, H: h, W: w, KH: 1, KW: 1, SH: st, SW: st, DH: 1, DW: 1, OH: oh, OW: ow}
				checkPoolFastPath(t, r, g, fmt.Sprintf("%dx%d stride %d, %dx%d out", h, w, st, oh, ow))
			}
		}
	}
}

// TestPoolMaxValuesMatchesArgmaxPath checks the argmax-free reduction used by
// the inference engine against poolMaxPlane on windows with padding,
// strides, dilation and NaNs (values only; ±0 ties excluded).
func TestPoolMaxValuesMatchesArgmaxPath(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for _, g := range []ConvGeom{
		{C: 1, H: 7, W: 9, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, DH: 1, DW: 1, OH: 4, OW: 5},
		{C: 1, H: 8, W: 8, KH: 2, KW: 3, SH: 1, SW: 2, DH: 2, DW: 1, OH: 6, OW: 3},
		{C: 1, H: 6, W: 6, KH: 2, KW: 2, SH: 2, SW: 2, DH: 1, DW: 1, OH: 3, OW: 3},
	} {
		x := make([]float32, g.H*g.W)
		for i := range x {
			x[i] = float32(r.Intn(7)) - 3 + 0.5
			if r.Intn(10) == 0 {
				x[i] = float32(math.NaN())
			}
		}
		y1, y2 := make([]float32, g.OH*g.OW), make([]float32, g.OH*g.OW)
		poolMaxPlane(&g, x, y1, make([]int32, len(y1)))
		poolMaxPlaneValues(&g, x, y2)
		for i := range y1 {
			if y1[i] != y2[i] && !(y1[i] != y1[i] && y2[i] != y2[i]) {
				t.Fatalf("%+v output %d: argmax path %v, values path %v", g, i, y1[i], y2[i])
			}
		}
	}
}

// BenchmarkMaxPool2x2 times the 2×2/2 max pool with argmax on LeNet-5's
// first pooling input at batch 64 (384 planes of 28×28, random data, so
// the comparisons are unpredictable) and on a VGG-sized plane (64 planes of
// 112×112), by the Go loop and, where available, the AVX-512 kernel.
func BenchmarkMaxPool2x2(b *testing.B) {
	defer func(old bool) { poolVector = old }(poolVector)
	for _, hw := range []int{28, 112} {
		c := 64 * 6
		if hw > 28 {
			c = 64
		}
		g := &ConvGeom{C: c, H: hw, W: hw, KH: 2, KW: 2, SH: 2, SW: 2, DH: 1, DW: 1, OH: hw / 2, OW: hw / 2}
		for _, vec := range []bool{false, true} {
			if vec && !poolKernels {
				continue
			}
			name := map[bool]string{false: "go", true: "avx512"}[vec]
			b.Run(fmt.Sprintf("%dx%d/%s", hw, hw, name), func(b *testing.B) {
				poolVector = vec
				benchMaxPool(b, g)
			})
		}
	}
}

// BenchmarkMaxPool3x3S2 times the 3×3/2 max pool with argmax of the
// ResNet stem at batch 16 (1024 planes of 112×112 with padding 1).
func BenchmarkMaxPool3x3S2(b *testing.B) {
	benchMaxPool(b, &ConvGeom{C: 16 * 64, H: 112, W: 112, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, DH: 1, DW: 1, OH: 56, OW: 56})
}

// BenchmarkMaxPool1x1S2 times the 1×1/2 subsample with argmax of a CIFAR
// ResNet's option-A shortcut at batch 128 (2048 planes of 32×32).
func BenchmarkMaxPool1x1S2(b *testing.B) {
	benchMaxPool(b, &ConvGeom{C: 128 * 16, H: 32, W: 32, KH: 1, KW: 1, SH: 2, SW: 2, DH: 1, DW: 1, OH: 16, OW: 16})
}

// benchMaxPool times MaxPool2d with argmax on random normal planes of g.
func benchMaxPool(b *testing.B, g *ConvGeom) {
	r := rand.New(rand.NewSource(1))
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

// TestMaxPoolSubsampleBackward holds the subsample's backward pass to
// MaxPool2dBackward with the argmax MaxPool2d records, bit for bit, adding
// into a gradient that already holds values, for strides 1 to 3 and
// outputs that do and do not reach the input's last row and column; and
// checks which geometries count as a subsample.
func TestMaxPoolSubsampleBackward(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for _, c := range []struct{ h, w, s, oh, ow int }{
		{6, 6, 2, 3, 3}, {7, 5, 2, 4, 3}, {7, 5, 2, 3, 2}, {9, 10, 3, 3, 4}, {4, 4, 1, 4, 4}, {32, 32, 2, 16, 16},
	} {
		g := &ConvGeom{C: 3, H: c.h, W: c.w, KH: 1, KW: 1, SH: c.s, SW: c.s, DH: 1, DW: 1, OH: c.oh, OW: c.ow}
		if !MaxPoolIsSubsample(g) {
			t.Fatalf("%+v: not a subsample", c)
		}
		x := make([]float32, g.C*c.h*c.w)
		dy := make([]float32, g.C*c.oh*c.ow)
		dx1 := make([]float32, len(x))
		for i := range x {
			x[i] = float32(r.NormFloat64())
			dx1[i] = float32(r.NormFloat64())
		}
		for i := range dy {
			dy[i] = float32(r.NormFloat64())
		}
		dx2 := append([]float32(nil), dx1...)
		y := make([]float32, len(dy))
		am := make([]int32, len(dy))
		MaxPool2d(g, x, y, am)
		MaxPool2dBackward(g, am, dy, dx1)
		MaxPoolSubsampleBackward(g, dy, dx2)
		for i := range dx1 {
			if math.Float32bits(dx1[i]) != math.Float32bits(dx2[i]) {
				t.Fatalf("%+v: dx[%d] = %v, with argmax %v", c, i, dx2[i], dx1[i])
			}
		}
	}
	for _, g := range []*ConvGeom{
		{C: 1, H: 4, W: 4, KH: 2, KW: 2, SH: 2, SW: 2, DH: 1, DW: 1, OH: 2, OW: 2},
		{C: 1, H: 4, W: 4, KH: 1, KW: 1, SH: 2, SW: 2, PadT: 1, PadL: 1, DH: 1, DW: 1, OH: 3, OW: 3},
	} {
		if MaxPoolIsSubsample(g) {
			t.Fatalf("%+v counted as a subsample", *g)
		}
	}
}
