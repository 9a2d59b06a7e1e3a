//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// Assembly row kernels (depthwise_amd64.s) for dwRows with output stride 1
// and 2. Their arguments are dwRowsGo's with pointers for slices and
// strides in elements; they compute its sums with one fused multiply-add
// per tap, in its order, 16 outputs per ZMM register, masking the last
// partial vector of a row (so they never touch memory outside the taps).

//go:noescape
func dwRowsS1AVX512(dst, src, w *float32, n, rows, kw, rowStride, colStep, nrows, dstStride, srcStride int, bias float32)

//go:noescape
func dwRowsS2AVX512(dst, src, w *float32, n, rows, kw, rowStride, colStep, nrows, dstStride, srcStride int, bias float32)

// dwRowsAVX512 is dwRows on the AVX-512 kernels for strides 1 and 2 (others
// go to dwRowsGo). It checks that the first and last element each of dst,
// src and w touch lie inside the slices.
func dwRowsAVX512(dst, src, w []float32, n, rows, kw, rowStride, colStep, s, nrows, dstStride, srcStride int, bias float32) {
	if (s != 1 && s != 2) || n <= 0 || rows <= 0 || kw <= 0 || nrows <= 0 {
		dwRowsGo(dst, src, w, n, rows, kw, rowStride, colStep, s, nrows, dstStride, srcStride, bias)
		return
	}
	_ = dst[(nrows-1)*dstStride+n-1]
	_ = src[(nrows-1)*srcStride+(rows-1)*rowStride+(kw-1)*colStep+(n-1)*s]
	_ = w[rows*kw-1]
	if s == 1 {
		dwRowsS1AVX512(&dst[0], &src[0], &w[0], n, rows, kw, rowStride, colStep, nrows, dstStride, srcStride, bias)
	} else {
		dwRowsS2AVX512(&dst[0], &src[0], &w[0], n, rows, kw, rowStride, colStep, nrows, dstStride, srcStride, bias)
	}
}

// dwRowKernels returns the assembly row kernels this CPU (and build)
// supports, by name. The masks of the AVX-512 kernels are built with
// BMI2's BZHI.
func dwRowKernels() map[string]dwRowsFunc {
	ks := map[string]dwRowsFunc{}
	if cpu.X86.HasAVX512F && cpu.X86.HasBMI2 {
		ks["avx512"] = dwRowsAVX512
	}
	return ks
}

func init() {
	if k, ok := dwRowKernels()["avx512"]; ok {
		dwRows = k
	}
}
