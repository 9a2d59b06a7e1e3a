//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// dot4x4AVX512 sets out[4i+j] to the dot product of the k floats at ai with
// the k floats at bj (dot_amd64.s). Each sum is formed in 16 lanes (lane l
// adds the products of columns l, l+16, … in increasing order with fused
// multiply-adds), and the lanes are then added in a fixed tree. It reads no
// memory past the k-th float of any row.
//
//go:noescape
func dot4x4AVX512(k int, a0, a1, a2, a3, b0, b1, b2, b3 *float32, out *[16]float32)

// hasDotKernel reports whether the CPU can run dot4x4AVX512.
func hasDotKernel() bool { return cpu.X86.HasAVX512F }

// dot4x4 is dot4x4AVX512 on slices of at least k elements.
func dot4x4(k int, a, b *[4][]float32, out *[16]float32) {
	for i := range 4 {
		_ = a[i][k-1]
		_ = b[i][k-1]
	}
	dot4x4AVX512(k, &a[0][0], &a[1][0], &a[2][0], &a[3][0], &b[0][0], &b[1][0], &b[2][0], &b[3][0], out)
}

// dot8x1AVX512 sets out[r] to the dot product of the k floats at x with
// the k floats at w + r·ldw, for r < 8 (dot_amd64.s), each sum formed
// exactly as dot4x4AVX512 forms its sums. It reads no memory past the k-th
// float of any row.
//
//go:noescape
func dot8x1AVX512(k int, x, w *float32, ldw int, out *[8]float32)
