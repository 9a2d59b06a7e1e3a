//go:build !amd64 || noasm

package kernels

// poolVector is false: this build has only the reference loops.
var poolVector = false

func engMax3AVX512(dst, a, b, c *float32, n int) { panic("kernels: no pooling kernel") }

func engHMaxS1AVX512(dst, src *float32, n, kw int) { panic("kernels: no pooling kernel") }

func engHMaxS2AVX512(dst, src *float32, n, kw int) { panic("kernels: no pooling kernel") }

func engMaxPool3x3S1AVX512(x, y *float32, h, w, planes int) { panic("kernels: no pooling kernel") }

// poolMax3x3S2Row does nothing in this build: the Go loop does every
// output.
func poolMax3x3S2Row(r0, r1, r2, out []float32, am []int32, n, a0, w int) int { return 0 }

// poolMax2x2PlaneVec does nothing in this build: the Go loop runs.
func poolMax2x2PlaneVec(g *ConvGeom, x, y []float32, argmax []int32) bool { return false }
