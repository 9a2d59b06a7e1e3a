package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// dwKernels returns every row kernel this build and CPU can run, the
// pure-Go one first.
func dwKernels() map[string]dwRowsFunc {
	ks := map[string]dwRowsFunc{"go": dwRowsGo}
	for name, k := range dwRowKernels() {
		ks[name] = k
	}
	return ks
}

// withDwRows runs f with dwRows set to k.
func withDwRows(k dwRowsFunc, f func()) {
	defer func(old dwRowsFunc) { dwRows = old }(dwRows)
	dwRows = k
	f()
}

// dwNaive is the reference loop of DepthwiseConv2d, summed in float64.
func dwNaive(g *ConvGeom, n, m int, x, w, b []float32) []float64 {
	cout := g.C * m
	y := make([]float64, n*cout*g.OH*g.OW)
	for i := 0; i < n; i++ {
		for co := 0; co < cout; co++ {
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					acc := 0.0
					if b != nil {
						acc = float64(b[co])
					}
					for ki := 0; ki < g.KH; ki++ {
						for kj := 0; kj < g.KW; kj++ {
							iy, ix := oy*g.SH-g.PadT+ki*g.DH, ox*g.SW-g.PadL+kj*g.DW
							if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
								acc += float64(w[(co*g.KH+ki)*g.KW+kj]) * float64(x[((i*g.C+co/m)*g.H+iy)*g.W+ix])
							}
						}
					}
					y[((i*cout+co)*g.OH+oy)*g.OW+ox] = acc
				}
			}
		}
	}
	return y
}

// dwNaiveBackward returns the gradients of Σ y·dy with respect to x and w,
// summed in float64 from the definition.
func dwNaiveBackward(g *ConvGeom, n, m int, x, w, dy []float32) (dx, dw []float64) {
	cout := g.C * m
	dx = make([]float64, len(x))
	dw = make([]float64, len(w))
	for i := 0; i < n; i++ {
		for co := 0; co < cout; co++ {
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					d := float64(dy[((i*cout+co)*g.OH+oy)*g.OW+ox])
					for ki := 0; ki < g.KH; ki++ {
						for kj := 0; kj < g.KW; kj++ {
							iy, ix := oy*g.SH-g.PadT+ki*g.DH, ox*g.SW-g.PadL+kj*g.DW
							if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
								xi := ((i*g.C+co/m)*g.H+iy)*g.W + ix
								wi := (co*g.KH+ki)*g.KW + kj
								dx[xi] += float64(w[wi]) * d
								dw[wi] += float64(x[xi]) * d
							}
						}
					}
				}
			}
		}
	}
	return dx, dw
}

// closeTo reports the largest |got − want| / (1 + |want|).
func closeTo(got []float32, want []float64) float64 {
	worst := 0.0
	for i, v := range want {
		worst = math.Max(worst, math.Abs(float64(got[i])-v)/(1+math.Abs(v)))
	}
	return worst
}

// dwGeoms returns convGeoms (strides 1–3, asymmetric padding, dilations,
// rectangular kernels) plus wide planes for the vector kernels' blocks and
// masked tails.
func dwGeoms() []ConvGeom {
	gs := convGeoms()
	for _, w := range []int{16, 17, 33, 64, 65, 97, 130} {
		for _, s := range []int{1, 2} {
			g := ConvGeom{C: 2, H: 6, W: w, KH: 3, KW: 3, SH: s, SW: s, PadT: 1, PadL: 1, DH: 1, DW: 1}
			g.OH = (g.H+2-3)/s + 1
			g.OW = (g.W+2-3)/s + 1
			gs = append(gs, g)
		}
	}
	return gs
}

// TestDepthwiseConv2d checks the forward kernel, with every row kernel,
// against the naive loop, for multipliers 1 and 2, with and without bias.
func TestDepthwiseConv2d(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for name, k := range dwKernels() {
		for _, g := range dwGeoms() {
			for _, m := range []int{1, 2} {
				const n = 2
				x := randSlice(rng, n*g.C*g.H*g.W)
				w := randSlice(rng, g.C*m*g.KH*g.KW)
				var b []float32
				if m == 2 {
					b = randSlice(rng, g.C*m)
				}
				y := randSlice(rng, n*g.C*m*g.OH*g.OW) // garbage: must be overwritten
				withDwRows(k, func() { DepthwiseConv2d(&g, n, m, x, w, b, y) })
				if d := closeTo(y, dwNaive(&g, n, m, x, w, b)); d > 1e-5 {
					t.Errorf("%s %s m%d: relative diff %g", name, geomName(g), m, d)
				}
			}
		}
	}
}

// TestDepthwiseConv2dBackward checks both backward kernels against the
// naive adjoint, and that they accumulate into their outputs.
func TestDepthwiseConv2dBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, g := range dwGeoms() {
		for _, m := range []int{1, 2} {
			const n = 3
			x := randSlice(rng, n*g.C*g.H*g.W)
			w := randSlice(rng, g.C*m*g.KH*g.KW)
			dy := randSlice(rng, n*g.C*m*g.OH*g.OW)
			wantX, wantW := dwNaiveBackward(&g, n, m, x, w, dy)
			dx, dw := randSlice(rng, len(x)), randSlice(rng, len(w))
			for i, v := range dx {
				wantX[i] += float64(v)
			}
			for i, v := range dw {
				wantW[i] += float64(v)
			}
			DepthwiseConv2dBackwardInput(&g, n, m, w, dy, dx)
			DepthwiseConv2dBackwardWeight(&g, n, m, x, dy, dw)
			if d := closeTo(dx, wantX); d > 1e-5 {
				t.Errorf("%s m%d: dx relative diff %g", geomName(g), m, d)
			}
			if d := closeTo(dw, wantW); d > 1e-5 {
				t.Errorf("%s m%d: dw relative diff %g", geomName(g), m, d)
			}
		}
	}
}

// TestDepthwiseDeterministic checks that the three kernels give
// bit-identical results on 1, 2 and 3 threads.
func TestDepthwiseDeterministic(t *testing.T) {
	defer SetThreads(Threads())
	rng := rand.New(rand.NewPCG(9, 10))
	g := ConvGeom{C: 7, H: 19, W: 37, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, DH: 1, DW: 1, OH: 10, OW: 19}
	const n, m = 3, 2
	x := randSlice(rng, n*g.C*g.H*g.W)
	w := randSlice(rng, g.C*m*g.KH*g.KW)
	b := randSlice(rng, g.C*m)
	dy := randSlice(rng, n*g.C*m*g.OH*g.OW)
	var ref [][]float32
	for _, th := range []int{1, 2, 3} {
		SetThreads(th)
		y := make([]float32, len(dy))
		dx := make([]float32, len(x))
		dw := make([]float32, len(w))
		DepthwiseConv2d(&g, n, m, x, w, b, y)
		DepthwiseConv2dBackwardInput(&g, n, m, w, dy, dx)
		DepthwiseConv2dBackwardWeight(&g, n, m, x, dy, dw)
		got := [][]float32{y, dx, dw}
		if ref == nil {
			ref = got
			continue
		}
		for i := range got {
			for j := range got[i] {
				if math.Float32bits(got[i][j]) != math.Float32bits(ref[i][j]) {
					t.Fatalf("%d threads: output %d differs at %d", th, i, j)
				}
			}
		}
	}
}

// TestDwRowKernels checks every assembly row kernel against dwRowsGo for
// many widths (full blocks and masked tails), kernel shapes, dilations,
// strides and row counts, with src and dst exactly as long as the taps and
// outputs need, and that dst is left alone outside the outputs.
func TestDwRowKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for name, k := range dwRowKernels() {
		for _, s := range []int{1, 2} {
			for n := 1; n <= 70; n++ {
				rows, kw, dil := 1+n%3, 1+n%7, 1+n%2
				nrows := 1 + n%3
				colStep := dil
				rowStride := (n-1)*s + (kw-1)*colStep + 1 + n%5
				srcStride := rowStride * rows
				dstStride := n + n%4
				srcLen := (nrows-1)*srcStride + (rows-1)*rowStride + (kw-1)*colStep + (n-1)*s + 1
				dstLen := (nrows-1)*dstStride + n
				src, w := randSlice(rng, srcLen), randSlice(rng, rows*kw)
				bias := float32(rng.NormFloat64())
				want, got := randSlice(rng, dstLen), make([]float32, dstLen)
				copy(got, want)
				dwRowsGo(want, src, w, n, rows, kw, rowStride, colStep, s, nrows, dstStride, srcStride, bias)
				k(got, src, w, n, rows, kw, rowStride, colStep, s, nrows, dstStride, srcStride, bias)
				for i := range want {
					if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*(1+math.Abs(float64(want[i]))) {
						t.Fatalf("%s s%d n%d rows%d kw%d: dst[%d] = %g, want %g", name, s, n, rows, kw, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// BenchmarkDepthwiseConv2d times the forward kernel alone on MobileNet-v2's
// 144×56×56 3×3 layer with every row kernel.
func BenchmarkDepthwiseConv2d(b *testing.B) {
	for name, k := range dwKernels() {
		for _, s := range []int{1, 2} {
			g := ConvGeom{C: 144, H: 56, W: 56, KH: 3, KW: 3, SH: s, SW: s, PadT: 1, PadL: 1, DH: 1, DW: 1}
			g.OH, g.OW = (56-1)/s+1, (56-1)/s+1
			rng := rand.New(rand.NewPCG(1, 2))
			x, w, bias := randSlice(rng, g.C*g.H*g.W), randSlice(rng, g.C*9), randSlice(rng, g.C)
			y := make([]float32, g.C*g.OH*g.OW)
			b.Run(name+"/s"+string(rune('0'+s)), func(b *testing.B) {
				withDwRows(k, func() {
					for b.Loop() {
						DepthwiseConv2d(&g, 1, 1, x, w, bias, y)
					}
				})
			})
		}
	}
}
