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
