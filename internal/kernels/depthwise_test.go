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

// dwWeightPlanes returns every weight-gradient plane kernel this build and
// CPU can run, by the names of dwKernels.
func dwWeightPlanes() map[string]dwWeightPlaneFunc {
	ks := map[string]dwWeightPlaneFunc{"go": dwWeightPlaneGo}
	for name, k := range dwWeightKernels() {
		ks[name] = k
	}
	return ks
}

// withDwWeight runs f with dwWeightPlane set to k.
func withDwWeight(k dwWeightPlaneFunc, f func()) {
	defer func(old dwWeightPlaneFunc) { dwWeightPlane = old }(dwWeightPlane)
	dwWeightPlane = k
	f()
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

// TestDepthwiseConv2dBackward checks both backward kernels, with every row
// and weight-gradient kernel, against the naive adjoint, and that they
// accumulate into their outputs.
func TestDepthwiseConv2dBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for name, k := range dwKernels() {
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
				withDwRows(k, func() {
					withDwWeight(dwWeightPlanes()[name], func() {
						DepthwiseConv2dBackwardInput(&g, n, m, w, dy, dx)
						DepthwiseConv2dBackwardWeight(&g, n, m, x, dy, dw)
					})
				})
				if d := closeTo(dx, wantX); d > 1e-5 {
					t.Errorf("%s %s m%d: dx relative diff %g", name, geomName(g), m, d)
				}
				if d := closeTo(dw, wantW); d > 1e-5 {
					t.Errorf("%s %s m%d: dw relative diff %g", name, geomName(g), m, d)
				}
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

// dwRowCase returns a random row-kernel call for column stride s and n
// outputs (tests vary the rest with n): kernel shape, dilation, left and
// right padding, residual, clamp and row counts (full groups of four and
// single rows), with src and dst exactly as long as the taps and outputs
// need. scratch receives the mask table.
func dwRowCase(rng *rand.Rand, scratch *dwScratchBuf, s, n int) dwRowsArgs {
	rows, kw, dil := 1+n%3, 1+n%7, 1+n%2
	padL := (n / 3) % (kw*dil + 1)
	// The last output's taps end up to padR columns past the row.
	padR := (n / 5) % (kw * dil)
	width := max(1, (n-1)*s+(kw-1)*dil+1-padL-padR)
	a := dwRowsArgs{
		n: n, rows: rows, kw: kw, colStep: dil, s: s, padL: padL, width: width,
		nrows: 1 + n%9, bias: float32(rng.NormFloat64()),
	}
	a.rowStride = width + n%5
	a.srcStride = a.rowStride*rows + n%3
	a.dstStride = n + n%4
	a.src = randSlice(rng, (a.nrows-1)*a.srcStride+(rows-1)*a.rowStride+width)
	a.w = randSlice(rng, rows*kw)
	a.lo, a.hi, _ = dwClamp(Activation{})
	switch n % 4 {
	case 1:
		a.lo, a.hi, _ = dwClamp(Activation{Kind: ActReLU})
	case 2:
		a.lo, a.hi = -0.5, 0.7
	case 3:
		a.resStride = n + 1
		a.res = randSlice(rng, (a.nrows-1)*a.resStride+n)
	}
	a.mask = dwMasks(scratch, n, s, kw, dil, padL, width)
	a.dst = make([]float32, (a.nrows-1)*a.dstStride+n)
	return a
}

// TestDwRowKernels checks every assembly row kernel against dwRowsGo for
// many widths (full vectors and masked tails), kernel shapes, paddings,
// dilations, strides, residuals, clamps and row counts, and that dst is
// left alone outside the outputs.
func TestDwRowKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	scratch := new(dwScratchBuf)
	for name, k := range dwRowKernels() {
		for _, s := range []int{1, 2} {
			for n := 1; n <= 90; n++ {
				a := dwRowCase(rng, scratch, s, n)
				want := randSlice(rng, len(a.dst))
				copy(a.dst, want)
				got := a
				got.dst = append([]float32(nil), want...)
				dwRowsGo(&a)
				k(&got)
				for i := range want {
					if d := math.Abs(float64(got.dst[i] - a.dst[i])); d > 1e-5*(1+math.Abs(float64(a.dst[i]))) {
						t.Fatalf("%s s%d n%d rows%d kw%d pad%d width%d nrows%d: dst[%d] = %g, want %g",
							name, s, n, a.rows, a.kw, a.padL, a.width, a.nrows, i, got.dst[i], a.dst[i])
					}
				}
			}
		}
	}
}

// TestDwRowKernelsSpecialValues checks that the assembly kernels skip the
// taps in the padding (an infinite weight on a padding tap must not give
// NaN) and that their clamps give bit for bit what ApplyAct gives for ±0,
// NaN, ±∞ and values at the bounds.
func TestDwRowKernelsSpecialValues(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	vals := []float32{0, negZero, nan, inf, -inf, 6, -6, 3, -3, 7, 1e-30, -1e-30}
	scratch := new(dwScratchBuf)
	for name, k := range dwRowKernels() {
		for _, s := range []int{1, 2} {
			for _, act := range []Activation{{}, {Kind: ActReLU}, {Kind: ActReLU6}, {Kind: ActClip, Lo: -1, Hi: 2}} {
				// Three taps width + 1 apart, padding width + 1: the first
				// and last are in the padding for every output, with an
				// infinite weight, the middle one (weight 1) reads x[o·s],
				// so dst = bias + x[o·s].
				n := 2 * len(vals)
				width := (n-1)*s + 1
				src := make([]float32, width)
				for o := 0; o < n; o++ {
					src[o*s] = vals[o%len(vals)]
				}
				for _, bias := range []float32{0, negZero} {
					lo, hi, _ := dwClamp(act)
					a := dwRowsArgs{src: src, w: []float32{inf, 1, inf}, n: n, rows: 1, kw: 3, colStep: width + 1, s: s,
						padL: width + 1, width: width, nrows: 1, bias: bias, lo: lo, hi: hi, dst: make([]float32, n)}
					a.mask = dwMasks(scratch, n, s, 3, width+1, width+1, width)
					k(&a)
					want := make([]float32, n)
					for o := range want {
						want[o] = bias + src[o*s]
					}
					ApplyAct(act, want)
					for o := range want {
						if math.Float32bits(a.dst[o]) != math.Float32bits(want[o]) {
							t.Errorf("%s s%d %v bias %g: dst[%d] = %g (%#x), want %g (%#x)", name, s, act, bias, o,
								a.dst[o], math.Float32bits(a.dst[o]), want[o], math.Float32bits(want[o]))
						}
					}
				}
			}
		}
	}
}

// TestDepthwiseConvPlanesEpilogue checks that DepthwiseConvPlanes with a
// residual and each activation gives bit for bit the convolution without
// epilogue, then the residual added, then ApplyAct.
func TestDepthwiseConvPlanesEpilogue(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, g := range dwGeoms() {
		ohw := g.OH * g.OW
		x := randSlice(rng, g.C*g.H*g.W)
		w := randSlice(rng, g.C*g.KH*g.KW)
		b := randSlice(rng, g.C)
		res := randSlice(rng, g.C*ohw)
		x[len(x)/2] = float32(math.NaN())
		for _, act := range []Activation{{}, {Kind: ActReLU}, {Kind: ActReLU6}, {Kind: ActClip, Lo: -0.5, Hi: 0.5}, {Kind: ActSigmoid}} {
			want := make([]float32, g.C*ohw)
			DepthwiseConvPlanes(&g, x, w, want, &Epilogue{Bias: b}, 0, g.C)
			for i, v := range res {
				want[i] += v
			}
			ApplyAct(act, want)
			got := make([]float32, g.C*ohw)
			ep := &Epilogue{Bias: b, Residual: res, ResLd: ohw, Act: act}
			DepthwiseConvPlanes(&g, x, w, got, ep, 0, 1)
			DepthwiseConvPlanes(&g, x, w, got, ep, 1, g.C)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s %v: y[%d] = %g, want %g", geomName(g), act, i, got[i], want[i])
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

// BenchmarkDepthwiseConvPlanes times the inference entry point, with its
// ReLU6 epilogue, on MobileNet-v2's largest depthwise layers (c…, 3×3) and
// with a SiLU post on EfficientNet-b0's (e…, k3 or k5).
func BenchmarkDepthwiseConvPlanes(b *testing.B) {
	for _, l := range []struct {
		name        string
		c, hw, k, s int
	}{
		{"c32_112_s1", 32, 112, 3, 1},
		{"c96_112_s2", 96, 112, 3, 2},
		{"c144_56_s1", 144, 56, 3, 1},
		{"c144_56_s2", 144, 56, 3, 2},
		{"c192_28_s1", 192, 28, 3, 1},
		{"c576_14_s1", 576, 14, 3, 1},
		{"c576_14_s2", 576, 14, 3, 2},
		{"c960_7_s1", 960, 7, 3, 1},
		{"e144_56_k5_s2", 144, 56, 5, 2},
		{"e240_28_k5_s1", 240, 28, 5, 1},
		{"e240_28_k3_s2", 240, 28, 3, 2},
		{"e672_14_k5_s1", 672, 14, 5, 1},
		{"e672_14_k5_s2", 672, 14, 5, 2},
		{"e1152_7_k5_s1", 1152, 7, 5, 1},
	} {
		p := l.k / 2
		g := ConvGeom{C: l.c, H: l.hw, W: l.hw, KH: l.k, KW: l.k, SH: l.s, SW: l.s, PadT: p, PadL: p, DH: 1, DW: 1}
		g.OH, g.OW = (l.hw+2*p-l.k)/l.s+1, (l.hw+2*p-l.k)/l.s+1
		rng := rand.New(rand.NewPCG(1, 2))
		x, w, bias := randSlice(rng, g.C*g.H*g.W), randSlice(rng, g.C*l.k*l.k), randSlice(rng, g.C)
		y := make([]float32, g.C*g.OH*g.OW)
		ep := &Epilogue{Bias: bias, Act: Activation{Kind: ActReLU6}}
		var post Activation
		if l.name[0] == 'e' {
			ep.Act, post = Activation{}, Activation{Kind: ActSiLU}
		}
		b.Run(l.name, func(b *testing.B) {
			for b.Loop() {
				DepthwiseConvPlanesPost(&g, x, w, y, ep, post, 0, g.C)
			}
		})
	}
}

// BenchmarkDepthwiseBackward times the two backward kernels alone on
// MobileNet-v2's 3×3 depthwise layers at batch 4 (part=dx: the input
// gradient, part=dw: the filter gradient).
func BenchmarkDepthwiseBackward(b *testing.B) {
	const n = 4
	for _, l := range []struct {
		name     string
		c, hw, s int
	}{
		{"c32_112_s1", 32, 112, 1},
		{"c96_112_s2", 96, 112, 2},
		{"c144_56_s1", 144, 56, 1},
		{"c576_14_s1", 576, 14, 1},
		{"c960_7_s1", 960, 7, 1},
	} {
		g := ConvGeom{C: l.c, H: l.hw, W: l.hw, KH: 3, KW: 3, SH: l.s, SW: l.s, PadT: 1, PadL: 1, DH: 1, DW: 1}
		g.OH, g.OW = (l.hw-1)/l.s+1, (l.hw-1)/l.s+1
		rng := rand.New(rand.NewPCG(1, 2))
		x, w := randSlice(rng, n*g.C*g.H*g.W), randSlice(rng, g.C*9)
		dy := randSlice(rng, n*g.C*g.OH*g.OW)
		dx, dw := make([]float32, len(x)), make([]float32, len(w))
		b.Run(l.name+"/part=dx", func(b *testing.B) {
			for b.Loop() {
				DepthwiseConv2dBackwardInput(&g, n, 1, w, dy, dx)
			}
		})
		b.Run(l.name+"/part=dw", func(b *testing.B) {
			for b.Loop() {
				DepthwiseConv2dBackwardWeight(&g, n, 1, x, dy, dw)
			}
		})
	}
}

// dwPlaneGeoms returns the geometries of the inference tests: dwGeoms and
// square planes of EfficientNet's and MobileNet's sizes with 3×3 and 5×5
// kernels, strides 1 and 2, "same" and no padding.
func dwPlaneGeoms() []ConvGeom {
	gs := dwGeoms()
	for _, hw := range []int{1, 3, 7, 14, 17, 20, 28} {
		for _, k := range []int{3, 5} {
			for _, s := range []int{1, 2} {
				for _, pad := range []int{0, k / 2} {
					if hw+2*pad < k {
						continue
					}
					g := ConvGeom{C: 3, H: hw, W: hw, KH: k, KW: k, SH: s, SW: s, PadT: pad, PadL: pad, DH: 1, DW: 1}
					g.OH = (hw+2*pad-k)/s + 1
					g.OW = g.OH
					gs = append(gs, g)
				}
			}
		}
	}
	return gs
}

// TestDepthwiseConvPlanesSiLU checks that DepthwiseConvPlanesPost with a
// SiLU post (fused into the row kernels) gives bit for bit the plane
// without it, then EngApplyAct, with and without a residual and a clamp,
// for inputs that reach both ends of the exponential's range and NaN.
func TestDepthwiseConvPlanesSiLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	silu := Activation{Kind: ActSiLU}
	for _, g := range dwPlaneGeoms() {
		ohw := g.OH * g.OW
		x := randSlice(rng, g.C*g.H*g.W)
		for i := range x {
			x[i] *= float32(1 + i%4*40) // up to ±120: e^−v clamped at both ends
		}
		x[len(x)/2] = float32(math.NaN())
		w := randSlice(rng, g.C*g.KH*g.KW)
		b := randSlice(rng, g.C)
		res := randSlice(rng, g.C*ohw)
		for _, ep := range []*Epilogue{
			{Bias: b},
			{Bias: b, Residual: res, ResLd: ohw},
			{Residual: res, ResLd: ohw, Act: Activation{Kind: ActClip, Lo: -30, Hi: 30}},
		} {
			want := make([]float32, g.C*ohw)
			DepthwiseConvPlanes(&g, x, w, want, ep, 0, g.C)
			EngApplyAct(silu, want)
			got := randSlice(rng, g.C*ohw)
			DepthwiseConvPlanesPost(&g, x, w, got, ep, silu, 0, 1)
			DepthwiseConvPlanesPost(&g, x, w, got, ep, silu, 1, g.C)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s res=%v %v: y[%d] = %g, want %g", geomName(g), ep.Residual != nil, ep.Act, i, got[i], want[i])
				}
			}
		}
	}
}
