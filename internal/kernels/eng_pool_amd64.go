//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// poolVector reports whether EngMaxPoolPlanes' row passes use the AVX-512
// kernels; tests may turn it off while no pooling runs.
var poolVector = cpu.X86.HasAVX512F

// engMax3AVX512 is engMax3 on n ≥ 1 elements (eng_pool_amd64.s); it reads
// no element past the n-th of a, b or c.
//
//go:noescape
func engMax3AVX512(dst, a, b, c *float32, n int)

// engHMaxS1AVX512 is engHMax with stride 1 on n ≥ 1 outputs and kw ≥ 1
// taps (eng_pool_amd64.s).
//
//go:noescape
func engHMaxS1AVX512(dst, src *float32, n, kw int)

// engHMaxS2AVX512 is engHMax with stride 2 on n ≥ 1 outputs and kw ≥ 1
// taps (eng_pool_amd64.s).
//
//go:noescape
func engHMaxS2AVX512(dst, src *float32, n, kw int)

// engMaxPool3x3S1AVX512 is EngMaxPoolPlanes for a 3×3 window, stride 1,
// padding 1 on every side, of planes planes [h, w] with 1 ≤ w ≤ 32
// (eng_pool_amd64.s). It reads and writes nothing outside the planes.
//
//go:noescape
func engMaxPool3x3S1AVX512(x, y *float32, h, w, planes int)

// poolMax3x3S2RowAVX512 is the inner loop of poolMax3x3S2Plane on n
// outputs, a positive multiple of 16 (eng_pool_amd64.s): out[k], am[k] are
// the maximum and its index (a0 + its offset from r0[0], rows w apart) of
// the 3×3 window at r0[2k], r1[2k], r2[2k]. It reads r0, r1, r2 up to
// element 2n and no further. am may be nil.
//
//go:noescape
func poolMax3x3S2RowAVX512(r0, r1, r2, out *float32, am *int32, n, a0, w int)

// poolMax3x3S2Row runs poolMax3x3S2RowAVX512 on the first multiple of 16
// of the n outputs of a row of windows (see poolMax3x3S2Plane) and returns
// how many it did: 0 without AVX-512.
func poolMax3x3S2Row(r0, r1, r2, out []float32, am []int32, n, a0, w int) int {
	n &^= 15
	if !poolVector || n == 0 {
		return 0
	}
	// Every element the kernel reads or writes lies in the slices.
	_, _, _, _ = r0[2*n], r1[2*n], r2[2*n], out[n-1]
	var ap *int32
	if am != nil {
		_ = am[n-1]
		ap = &am[0]
	}
	poolMax3x3S2RowAVX512(&r0[0], &r1[0], &r2[0], &out[0], ap, n, a0, w)
	return n
}

// poolMax2x2PlaneAVX512 is poolMax2x2Plane's loop on oh ≥ 1 rows of ow ≥ 1
// windows (eng_pool_amd64.s): y[oy·ow+k] and am[oy·ow+k] are the maximum
// and its index of the 2×2 window at x[2oy·w+2k]. It reads the windows'
// elements only, and writes y and am (which may be nil) up to oh·ow.
//
//go:noescape
func poolMax2x2PlaneAVX512(x, y *float32, am *int32, oh, ow, w int)

// poolMax2x2PlaneVec runs poolMax2x2Plane's loop with AVX-512 and reports
// whether it did (false without AVX-512 or for an empty output).
func poolMax2x2PlaneVec(g *ConvGeom, x, y []float32, argmax []int32) bool {
	oh, ow := g.OH, g.OW
	if !poolVector || oh < 1 || ow < 1 {
		return false
	}
	// Every element the kernel reads or writes lies in the slices.
	_, _ = x[(2*oh-1)*g.W+2*ow-1], y[oh*ow-1]
	var ap *int32
	if argmax != nil {
		_ = argmax[oh*ow-1]
		ap = &argmax[0]
	}
	poolMax2x2PlaneAVX512(&x[0], &y[0], ap, oh, ow, g.W)
	return true
}
