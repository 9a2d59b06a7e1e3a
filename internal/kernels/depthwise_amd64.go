//go:build !noasm

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// Assembly row kernels (depthwise_amd64.s) for dwRows with column stride 1
// and 2. They compute dwRowsGo's sums with one fused multiply-add per tap,
// in its order, 16 outputs per ZMM register, four output rows at a time.
// Every load is masked by the tables of dwMasks, so they skip the taps in
// the left and right padding (as dwRowsGo does) and never touch memory
// outside the columns [0, width) of the rows they read nor outside the
// outputs they write.

// dwAsmArgs is a dwRowsArgs as the assembly kernels read it (offsets are
// fixed in depthwise_amd64.s and checked by TestDwAsmArgsLayout): pointers,
// strides in bytes. The last four fields are the kernels' own scratch.
type dwAsmArgs struct {
	dst, src, w, res, mask unsafe.Pointer // res may be nil; src is column 0 of the first input row
	nvec                   int            // vectors of 16 outputs per row, ⌈n/16⌉
	rows, kw               int
	rowStride, colStep     int // bytes
	nrows                  int
	dstStride, srcStride   int // bytes
	resStride              int // bytes, 0 when res is nil
	srcOff                 int // bytes from src to the first tap of output 0: −4·padL
	vstride                int // bytes of mask table per vector, 8·(kw+1)
	srcVec                 int // bytes the taps move per vector, 64·s
	bias, lo, hi           float32
	silu                   uint32  // 1: SiLU after the clamp, as engActAVX512 computes it
	v                      int     // vectors left in the current row group
	grpDst, grpSrc, grpRes uintptr // the current row group's dst, first tap, residual
}

//go:noescape
func dwRowsS1AVX512(a *dwAsmArgs)

//go:noescape
func dwRowsS2AVX512(a *dwAsmArgs)

// dwRows3x3S1AVX512 is dwRowsS1AVX512 for 3×3 kernels of dilation 1 on
// consecutive input rows (rowStride = srcStride), nrows a multiple of 8:
// it loads each input row once for the three output rows it feeds.
//
//go:noescape
func dwRows3x3S1AVX512(a *dwAsmArgs)

// dwRows5x5S1AVX512 is dwRows3x3S1AVX512 for 5×5 kernels: it loads each
// input row once per pass over the kernel rows 0…2 and 3…4.
//
//go:noescape
func dwRows5x5S1AVX512(a *dwAsmArgs)

// dwRowsAVX512 is dwRows on the AVX-512 kernels for column strides 1 and 2
// (others, and empty calls, go to dwRowsGo), 3×3 and 5×5 kernels of stride
// 1 to dwRows3x3S1AVX512 and dwRows5x5S1AVX512 where they can.
func dwRowsAVX512(a *dwRowsArgs) {
	nvec := (a.n + 15) / 16
	if (a.s != 1 && a.s != 2) || a.n <= 0 || a.rows <= 0 || a.kw <= 0 || a.nrows <= 0 || a.width <= 0 || len(a.mask) < nvec*4*(a.kw+1) {
		dwRowsGo(a)
		return
	}
	k := dwAsmArgsOf(a)
	if a.s == 2 {
		dwRowsS2AVX512(&k)
		return
	}
	if (a.rows == 3 && a.kw == 3 || a.rows == 5 && a.kw == 5) && a.colStep == 1 && a.rowStride == a.srcStride && a.nrows >= 8 {
		// The groups of 8 rows, then the rest on the generic kernel.
		k.nrows = a.nrows &^ 7
		if a.kw == 3 {
			dwRows3x3S1AVX512(&k)
		} else {
			dwRows5x5S1AVX512(&k)
		}
		if k.nrows == a.nrows {
			return
		}
		r := k.nrows
		k.dst = unsafe.Pointer(&a.dst[r*a.dstStride])
		k.src = unsafe.Pointer(&a.src[r*a.srcStride])
		if k.res != nil {
			k.res = unsafe.Add(k.res, r*k.resStride)
		}
		k.nrows = a.nrows - r
	}
	dwRowsS1AVX512(&k)
}

// dwAsmArgsOf checks that the first and last element each of dst, src, w
// and res the kernels may touch lie inside the slices and returns a's
// arguments for the assembly kernels (a.mask must hold a table for a.n
// outputs and a.kw taps; a.acc and a.silu must not both be set).
func dwAsmArgsOf(a *dwRowsArgs) dwAsmArgs {
	nvec := (a.n + 15) / 16
	_ = a.mask[nvec*4*(a.kw+1)-1]
	_ = a.dst[(a.nrows-1)*a.dstStride+a.n-1]
	_ = a.src[(a.nrows-1)*a.srcStride+(a.rows-1)*a.rowStride+a.width-1]
	_ = a.w[a.rows*a.kw-1]
	k := dwAsmArgs{
		dst: unsafe.Pointer(&a.dst[0]), src: unsafe.Pointer(&a.src[0]), w: unsafe.Pointer(&a.w[0]),
		mask: unsafe.Pointer(&a.mask[0]), nvec: nvec, rows: a.rows, kw: a.kw,
		rowStride: 4 * a.rowStride, colStep: 4 * a.colStep, nrows: a.nrows,
		dstStride: 4 * a.dstStride, srcStride: 4 * a.srcStride, srcOff: -4 * a.padL,
		vstride: 8 * (a.kw + 1), srcVec: 64 * a.s, bias: a.bias, lo: a.lo, hi: a.hi,
	}
	if a.silu {
		k.silu = 1
	}
	if a.res != nil {
		_ = a.res[(a.nrows-1)*a.resStride+a.n-1]
		k.res, k.resStride = unsafe.Pointer(&a.res[0]), 4*a.resStride
	}
	if a.acc {
		// The old output is the residual: each vector of a row reads it
		// just before it stores the row's sums over it.
		k.res, k.resStride = k.dst, k.dstStride
	}
	return k
}

// dwWeightAsmArgs is one call of the weight-gradient kernels
// (dwWeightS1AVX512, dwWeightS2AVX512; offsets fixed in depthwise_amd64.s
// and checked by TestDwAsmArgsLayout): the kw taps of one kernel row over
// nrows rows of dy and of the input rows they read. For tap j, lane l of
// out[j] [16] gets Σ_r Σ_{o ≡ l mod 16} dy[r][o] · x[r][c], c = o·s +
// j·colStep − padL in [0, width), summed over the rows four at a time
// into four partial vectors, added as (r0 + r1) + (r2 + r3) at the end.
type dwWeightAsmArgs struct {
	dy, x, mask, out  unsafe.Pointer // x is column 0 of the first input row; out [kw, 16]
	nvec, kw, colStep int            // colStep in bytes
	nrows             int
	dyStride, xStride int // bytes
	srcOff            int // −4·padL
	vstride, srcVec   int // as in dwAsmArgs
}

//go:noescape
func dwWeightS1AVX512(a *dwWeightAsmArgs)

//go:noescape
func dwWeightS2AVX512(a *dwWeightAsmArgs)

// dwWeightPlaneAVX512 is dwWeightPlaneGo on the AVX-512 weight-gradient
// kernels, for column strides 1 and 2 (others go to dwWeightPlaneGo): per
// kernel row ki, the rows of dy whose tap row lies inside x go to one
// kernel call, and the 16 lane sums of each tap are added to acc in
// float64, in lane order.
func dwWeightPlaneAVX512(g *ConvGeom, x, dy []float32, acc []float64, scratch *dwScratchBuf) {
	if (g.SW != 1 && g.SW != 2) || g.OW <= 0 || g.W <= 0 {
		dwWeightPlaneGo(g, x, dy, acc, scratch)
		return
	}
	mask := dwMasks(scratch, g.OW, g.SW, g.KW, g.DW, g.PadL, g.W)
	nvec := (g.OW + 15) / 16
	_ = mask[nvec*4*(g.KW+1)-1]
	if cap(scratch.wpart) < 16*g.KW {
		scratch.wpart = make([]float32, 16*g.KW)
	}
	part := scratch.wpart[:16*g.KW]
	k := dwWeightAsmArgs{
		mask: unsafe.Pointer(&mask[0]), out: unsafe.Pointer(&part[0]),
		nvec: nvec, kw: g.KW, colStep: 4 * g.DW, dyStride: 4 * g.OW, xStride: 4 * g.SH * g.W,
		srcOff: -4 * g.PadL, vstride: 8 * (g.KW + 1), srcVec: 64 * g.SW,
	}
	for ki := 0; ki < g.KH; ki++ {
		y0 := ki*g.DH - g.PadT
		lo, hi := validRange(y0, g.SH, g.H, g.OH)
		if lo == hi {
			continue
		}
		// The first and last elements the call may touch.
		_ = dy[hi*g.OW-1]
		xr := (y0 + lo*g.SH) * g.W
		_ = x[xr+(hi-1-lo)*g.SH*g.W+g.W-1]
		k.dy, k.x, k.nrows = unsafe.Pointer(&dy[lo*g.OW]), unsafe.Pointer(&x[xr]), hi-lo
		if g.SW == 1 {
			dwWeightS1AVX512(&k)
		} else {
			dwWeightS2AVX512(&k)
		}
		for j := 0; j < g.KW; j++ {
			s := acc[ki*g.KW+j]
			for _, v := range part[16*j : 16*(j+1)] {
				s += float64(v)
			}
			acc[ki*g.KW+j] = s
		}
	}
	k = dwWeightAsmArgs{}
}

// dwRowKernels returns the assembly row kernels this CPU (and build)
// supports, by name.
func dwRowKernels() map[string]dwRowsFunc {
	ks := map[string]dwRowsFunc{}
	if cpu.X86.HasAVX512F {
		ks["avx512"] = dwRowsAVX512
	}
	return ks
}

//go:noescape
func dwInterleaveAddAVX512(d, a, b *float32, n int)

// dwInterleaveAddAVX512Slices is dwInterleaveAddGo on
// dwInterleaveAddAVX512.
func dwInterleaveAddAVX512Slices(d, a, b []float32) {
	n := len(a)
	if n == 0 {
		return
	}
	_, _ = d[2*n-1], b[n-1]
	dwInterleaveAddAVX512(&d[0], &a[0], &b[0], n)
}

// dwWeightKernels returns the assembly weight-gradient plane kernels this
// CPU (and build) supports, by name.
func dwWeightKernels() map[string]dwWeightPlaneFunc {
	ks := map[string]dwWeightPlaneFunc{}
	if cpu.X86.HasAVX512F {
		ks["avx512"] = dwWeightPlaneAVX512
	}
	return ks
}

func init() {
	if k, ok := dwRowKernels()["avx512"]; ok {
		dwRows = k
		dwPlanes = dwPlanesAVX512
	}
	if k, ok := dwWeightKernels()["avx512"]; ok {
		dwWeightPlane = k
		dwInterleaveAdd = dwInterleaveAddAVX512Slices
	}
}

// dwPlanesAsmArgs is one call of dwPlanesS1AVX512 (offsets fixed in
// depthwise_amd64.s and checked by TestDwAsmArgsLayout): nplanes planes,
// each through the whole table tab of dwPlaneTable. Strides are in bytes;
// the last six fields are the kernel's walk over the planes.
type dwPlanesAsmArgs struct {
	dst, src, w, res, bias, tab    unsafe.Pointer // first plane's; res may be nil
	nplanes, ngroups, nsingles, kk int
	dstPlane, srcPlane, resPlane   int // resPlane 0 when res is nil
	wPlane, biasStep               int // biasStep 0 when bias points at zero
	lo, hi                         float32
	silu                           uint32 // 1: SiLU after the clamp, as engActAVX512 computes it
	zero                           float32
	cDst, cSrc, cW, cRes, cBias    uintptr
	g                              int
}

// dwPlanesS1AVX512 computes a.nplanes planes of a stride-1 depthwise
// convolution from the table of dwPlaneTable (depthwise_amd64.s).
//
//go:noescape
func dwPlanesS1AVX512(a *dwPlanesAsmArgs)

// dwPlanesS2AVX512 is dwPlanesS1AVX512 for column stride 2
// (depthwise_amd64.s).
//
//go:noescape
func dwPlanesS2AVX512(a *dwPlanesAsmArgs)

// dwPlanesAVX512 is dwPlanes on dwPlanesS1AVX512 and dwPlanesS2AVX512:
// planes [lo, hi) of x [C, H, W] into y [C, OH, OW], each the bias (or 0),
// its taps, the residual (or none), the clamp [clo, chi] and SiLU when
// silu is set. It reports false, doing nothing, for the geometries it does
// not take: column strides other than 1 and 2, and planes of more than
// dwPlaneMax outputs.
func dwPlanesAVX512(g *ConvGeom, x, w, bias, res []float32, clo, chi float32, silu bool, y []float32, lo, hi int, scratch *dwScratchBuf) bool {
	if g.SH <= 0 || (g.SW != 1 && g.SW != 2) || g.OH*g.OW > dwPlaneMax || g.OH <= 0 || g.OW <= 0 || g.H <= 0 || g.W <= 0 || lo >= hi {
		return false
	}
	hw, ohw, kk := g.H*g.W, g.OH*g.OW, g.KH*g.KW
	tab, ngroups, nsingles := dwPlaneTable(g)
	_, _, _ = x[hi*hw-1], y[hi*ohw-1], w[hi*kk-1]
	k := &scratch.arch.pargs
	*k = dwPlanesAsmArgs{
		dst: unsafe.Pointer(&y[lo*ohw]), src: unsafe.Pointer(&x[lo*hw]), w: unsafe.Pointer(&w[lo*kk]),
		tab: unsafe.Pointer(&tab[0]), nplanes: hi - lo, ngroups: ngroups, nsingles: nsingles, kk: kk,
		dstPlane: 4 * ohw, srcPlane: 4 * hw, wPlane: 4 * kk, lo: clo, hi: chi,
	}
	k.bias = unsafe.Pointer(&k.zero)
	if bias != nil {
		_ = bias[hi-1]
		k.bias, k.biasStep = unsafe.Pointer(&bias[lo]), 4
	}
	if res != nil {
		_ = res[hi*ohw-1]
		k.res, k.resPlane = unsafe.Pointer(&res[lo*ohw]), 4*ohw
	}
	if silu {
		k.silu = 1
	}
	k.cDst, k.cSrc, k.cW, k.cRes, k.cBias = uintptr(k.dst), uintptr(k.src), uintptr(k.w), uintptr(k.res), uintptr(k.bias)
	if g.SW == 1 {
		dwPlanesS1AVX512(k)
	} else {
		dwPlanesS2AVX512(k)
	}
	*k = dwPlanesAsmArgs{}
	return true
}

// dwArchScratch is the part of dwScratchBuf that only the assembly kernels
// use: the whole-plane kernel's arguments (kept here as they would escape
// from a local variable).
type dwArchScratch struct {
	pargs dwPlanesAsmArgs
}
