//go:build !amd64 || noasm

package kernels

// hasDotKernel reports false: this build has no dot-product kernel, and
// SgemmNT runs on SgemmSerial.
func hasDotKernel() bool { return false }

// dot4x4 is never called in this build.
func dot4x4(k int, a, b *[4][]float32, out *[16]float32) {
	panic("kernels: dot4x4 without a kernel")
}

// dot8x1AVX512 is never called in this build.
func dot8x1AVX512(k int, x, w *float32, ldw int, out *[8]float32) {
	panic("kernels: dot8x1 without a kernel")
}
