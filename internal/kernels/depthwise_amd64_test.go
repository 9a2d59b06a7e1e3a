//go:build !noasm

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestDwAsmArgsLayout checks the field offsets of dwAsmArgs against the
// A_* constants of depthwise_amd64.s.
func TestDwAsmArgsLayout(t *testing.T) {
	var a dwAsmArgs
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"dst", unsafe.Offsetof(a.dst), 0},
		{"src", unsafe.Offsetof(a.src), 8},
		{"w", unsafe.Offsetof(a.w), 16},
		{"res", unsafe.Offsetof(a.res), 24},
		{"mask", unsafe.Offsetof(a.mask), 32},
		{"nvec", unsafe.Offsetof(a.nvec), 40},
		{"rows", unsafe.Offsetof(a.rows), 48},
		{"kw", unsafe.Offsetof(a.kw), 56},
		{"rowStride", unsafe.Offsetof(a.rowStride), 64},
		{"colStep", unsafe.Offsetof(a.colStep), 72},
		{"nrows", unsafe.Offsetof(a.nrows), 80},
		{"dstStride", unsafe.Offsetof(a.dstStride), 88},
		{"srcStride", unsafe.Offsetof(a.srcStride), 96},
		{"resStride", unsafe.Offsetof(a.resStride), 104},
		{"srcOff", unsafe.Offsetof(a.srcOff), 112},
		{"vstride", unsafe.Offsetof(a.vstride), 120},
		{"srcVec", unsafe.Offsetof(a.srcVec), 128},
		{"bias", unsafe.Offsetof(a.bias), 136},
		{"lo", unsafe.Offsetof(a.lo), 140},
		{"hi", unsafe.Offsetof(a.hi), 144},
		{"silu", unsafe.Offsetof(a.silu), 148},
		{"v", unsafe.Offsetof(a.v), 152},
		{"grpDst", unsafe.Offsetof(a.grpDst), 160},
		{"grpSrc", unsafe.Offsetof(a.grpSrc), 168},
		{"grpRes", unsafe.Offsetof(a.grpRes), 176},
	} {
		if f.got != f.want {
			t.Errorf("dwAsmArgs.%s at offset %d, depthwise_amd64.s reads %d", f.name, f.got, f.want)
		}
	}
}

// TestDwWeightAsmArgsLayout checks the field offsets of dwWeightAsmArgs
// against the W_* constants of depthwise_amd64.s.
func TestDwWeightAsmArgsLayout(t *testing.T) {
	var a dwWeightAsmArgs
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"dy", unsafe.Offsetof(a.dy), 0},
		{"x", unsafe.Offsetof(a.x), 8},
		{"mask", unsafe.Offsetof(a.mask), 16},
		{"out", unsafe.Offsetof(a.out), 24},
		{"nvec", unsafe.Offsetof(a.nvec), 32},
		{"kw", unsafe.Offsetof(a.kw), 40},
		{"colStep", unsafe.Offsetof(a.colStep), 48},
		{"nrows", unsafe.Offsetof(a.nrows), 56},
		{"dyStride", unsafe.Offsetof(a.dyStride), 64},
		{"xStride", unsafe.Offsetof(a.xStride), 72},
		{"srcOff", unsafe.Offsetof(a.srcOff), 80},
		{"vstride", unsafe.Offsetof(a.vstride), 88},
		{"srcVec", unsafe.Offsetof(a.srcVec), 96},
	} {
		if f.got != f.want {
			t.Errorf("dwWeightAsmArgs.%s at offset %d, depthwise_amd64.s reads %d", f.name, f.got, f.want)
		}
	}
}

// TestDwRowsReuseS1 checks the 3×3 and 5×5 stride-1 kernels that reuse
// input rows (through dwRowsAVX512, which gives them the groups of 8 rows)
// bit for bit against the generic stride-1 kernel, for widths with full
// and partial vectors, paddings 0…k−1, row counts with and without a rest,
// residuals, clamps and SiLU.
func TestDwRowsReuseS1(t *testing.T) {
	if dwRowKernels()["avx512"] == nil {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(17, 18))
	scratch := new(dwScratchBuf)
	for _, k := range []int{3, 5} {
		for n := 1; n <= 50; n++ {
			for _, nrows := range []int{8, 9, 15, 16, 21} {
				padL := n % k
				width := max(1, n+k-1-padL-(n/3)%k)
				a := dwRowsArgs{n: n, rows: k, kw: k, colStep: 1, s: 1, padL: padL, width: width,
					nrows: nrows, bias: float32(rng.NormFloat64()), rowStride: width + n%4, dstStride: n + n%3}
				a.srcStride = a.rowStride
				a.src = randSlice(rng, (nrows+k-1)*a.rowStride)
				for i := range a.src {
					a.src[i] *= 20
				}
				a.w = randSlice(rng, k*k)
				a.lo, a.hi, _ = dwClamp(Activation{Kind: []Act{ActNone, ActReLU, ActReLU6}[n%3]})
				a.silu = n%4 == 2
				if n%2 == 1 {
					a.res, a.resStride = randSlice(rng, nrows*(n+1)), n+1
				}
				a.mask = dwMasks(scratch, n, 1, k, 1, padL, width)
				a.dst = randSlice(rng, (nrows-1)*a.dstStride+n)
				want := append([]float32(nil), a.dst...)
				dwRowsAVX512(&a)
				b := a
				b.dst = want
				ka := dwAsmArgsOf(&b)
				dwRowsS1AVX512(&ka)
				for i := range want {
					if math.Float32bits(a.dst[i]) != math.Float32bits(want[i]) {
						t.Fatalf("k%d n%d nrows%d pad%d width%d: dst[%d] = %g, want %g", k, n, nrows, padL, width, i, a.dst[i], want[i])
					}
				}
			}
		}
	}
}

// TestDwInterleaveAdd checks the assembly interleaving add bit for bit
// against dwInterleaveAddGo for lengths with full and partial vectors
// (TestDwInterleaveAddGuardPage checks its memory accesses).
func TestDwInterleaveAdd(t *testing.T) {
	if dwWeightKernels()["avx512"] == nil {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(19, 20))
	for n := 0; n <= 70; n++ {
		a, b, d := randSlice(rng, n), randSlice(rng, n), randSlice(rng, 2*n)
		want := append([]float32(nil), d...)
		dwInterleaveAddGo(want, a, b)
		dwInterleaveAddAVX512Slices(d, a, b)
		for i := range want {
			if math.Float32bits(d[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n%d: d[%d] = %g, want %g", n, i, d[i], want[i])
			}
		}
	}
}

// TestDwPlanesAsmArgsLayout checks the field offsets of dwPlanesAsmArgs
// against the P_* constants of depthwise_amd64.s.
func TestDwPlanesAsmArgsLayout(t *testing.T) {
	var a dwPlanesAsmArgs
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"res", unsafe.Offsetof(a.res), 24},
		{"tab", unsafe.Offsetof(a.tab), 40},
		{"nplanes", unsafe.Offsetof(a.nplanes), 48},
		{"ngroups", unsafe.Offsetof(a.ngroups), 56},
		{"nsingles", unsafe.Offsetof(a.nsingles), 64},
		{"kk", unsafe.Offsetof(a.kk), 72},
		{"dstPlane", unsafe.Offsetof(a.dstPlane), 80},
		{"srcPlane", unsafe.Offsetof(a.srcPlane), 88},
		{"resPlane", unsafe.Offsetof(a.resPlane), 96},
		{"wPlane", unsafe.Offsetof(a.wPlane), 104},
		{"biasStep", unsafe.Offsetof(a.biasStep), 112},
		{"lo", unsafe.Offsetof(a.lo), 120},
		{"hi", unsafe.Offsetof(a.hi), 124},
		{"silu", unsafe.Offsetof(a.silu), 128},
		{"cDst", unsafe.Offsetof(a.cDst), 136},
		{"cSrc", unsafe.Offsetof(a.cSrc), 144},
		{"cW", unsafe.Offsetof(a.cW), 152},
		{"cRes", unsafe.Offsetof(a.cRes), 160},
		{"cBias", unsafe.Offsetof(a.cBias), 168},
		{"g", unsafe.Offsetof(a.g), 176},
	} {
		if f.got != f.want {
			t.Errorf("dwPlanesAsmArgs.%s at offset %d, depthwise_amd64.s reads %d", f.name, f.got, f.want)
		}
	}
}

// TestDwPlanesAVX512 checks the whole-plane kernels bit for bit against
// dwForwardPlane on the AVX-512 row kernels, plane by plane, for every
// geometry they take (flat planes and planes cut into rows, column strides
// 1 and 2, row strides 1…3, paddings and dilations), with and without bias
// and residual, with clamps and SiLU, and that they leave the planes
// outside [lo, hi) alone.
func TestDwPlanesAVX512(t *testing.T) {
	if dwRowKernels()["avx512"] == nil {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(23, 24))
	scratch := new(dwScratchBuf)
	ref := new(dwScratchBuf)
	gs := dwPlaneGeoms()
	gs = append(gs,
		ConvGeom{H: 9, W: 9, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 2, PadL: 2, DH: 2, DW: 2, OH: 9, OW: 9},
		ConvGeom{H: 5, W: 11, KH: 3, KW: 5, SH: 1, SW: 1, PadT: 0, PadL: 3, DH: 1, DW: 1, OH: 3, OW: 13},
		ConvGeom{H: 12, W: 30, KH: 5, KW: 3, SH: 1, SW: 1, PadT: 2, PadL: 1, DH: 1, DW: 1, OH: 12, OW: 30},
		ConvGeom{H: 9, W: 41, KH: 3, KW: 5, SH: 2, SW: 2, PadT: 1, PadL: 2, DH: 1, DW: 1, OH: 5, OW: 21},
		ConvGeom{H: 11, W: 13, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 2, PadL: 2, DH: 2, DW: 2, OH: 6, OW: 7},
		ConvGeom{H: 8, W: 15, KH: 3, KW: 3, SH: 1, SW: 2, PadT: 1, PadL: 0, DH: 1, DW: 1, OH: 8, OW: 7},
		ConvGeom{H: 15, W: 8, KH: 5, KW: 5, SH: 2, SW: 1, PadT: 2, PadL: 2, DH: 1, DW: 1, OH: 8, OW: 8},
		ConvGeom{H: 7, W: 70, KH: 1, KW: 3, SH: 3, SW: 2, PadT: 0, PadL: 1, DH: 1, DW: 1, OH: 3, OW: 35})
	var taken [2]int
	for _, g := range gs {
		const c = 5
		hw, ohw, kk := g.H*g.W, g.OH*g.OW, g.KH*g.KW
		x := randSlice(rng, c*hw)
		for i := range x {
			x[i] *= 20
		}
		w, b, res := randSlice(rng, c*kk), randSlice(rng, c), randSlice(rng, c*ohw)
		for n, act := range []Activation{{}, {Kind: ActReLU6}, {Kind: ActClip, Lo: -3, Hi: 3}, {}} {
			clo, chi, _ := dwClamp(act)
			silu := n == 3 || n == 1
			bias, r := b, res
			if n%2 == 1 {
				bias, r = nil, nil
			}
			got := randSlice(rng, c*ohw)
			want := append([]float32(nil), got...)
			if !dwPlanesAVX512(&g, x, w, bias, r, clo, chi, silu, got, 1, c-1, scratch) {
				continue
			}
			taken[g.SW-1]++
			for p := 1; p < c-1; p++ {
				var bp float32
				if bias != nil {
					bp = bias[p]
				}
				var rp []float32
				if r != nil {
					rp = r[p*ohw : (p+1)*ohw]
				}
				withDwRows(dwRowsAVX512, func() {
					dwForwardPlane(&g, x[p*hw:(p+1)*hw], w[p*kk:(p+1)*kk], bp, rp, clo, chi, want[p*ohw:(p+1)*ohw], false, silu, ref)
				})
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s act %v silu %v: y[%d] = %g, want %g", geomName(g), act, silu, i, got[i], want[i])
				}
			}
		}
	}
	if taken[0] == 0 || taken[1] == 0 {
		t.Fatalf("geometries taken at column stride 1, 2: %v", taken)
	}
}
