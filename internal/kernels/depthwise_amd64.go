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
	bias, lo, hi, _        float32
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

// dwRowsAVX512 is dwRows on the AVX-512 kernels for column strides 1 and 2
// (others, and empty calls, go to dwRowsGo), 3×3 kernels of stride 1 to
// dwRows3x3S1AVX512 where they can.
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
	if a.rows == 3 && a.kw == 3 && a.colStep == 1 && a.rowStride == a.srcStride && a.nrows >= 8 {
		// The groups of 8 rows, then the rest on the generic kernel.
		k.nrows = a.nrows &^ 7
		dwRows3x3S1AVX512(&k)
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
// outputs and a.kw taps).
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

// dwRowKernels returns the assembly row kernels this CPU (and build)
// supports, by name.
func dwRowKernels() map[string]dwRowsFunc {
	ks := map[string]dwRowsFunc{}
	if cpu.X86.HasAVX512F {
		ks["avx512"] = dwRowsAVX512
	}
	return ks
}

func init() {
	if k, ok := dwRowKernels()["avx512"]; ok {
		dwRows = k
	}
}
