//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// Assembly micro-kernels (kernel_amd64.s). Each computes the tile of
// gemmKernel.fn from packed panels a (kc columns of mr values) and b (kc
// rows of nr values) into c with row stride ldc (in elements). Sums use
// fused multiply-adds in increasing p; then C = alpha·sum when beta == 0
// (bits of beta ±0), else C = round(alpha·sum) + round(beta·C).

//go:noescape
func sgemm12x32AVX512(kc int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemm8x32AVX512(kc int, a, b, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemm6x16AVX2(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// microKernel12x32 checks the bounds of the panels and the C tile and runs
// the AVX-512 kernel.
func microKernel12x32(kc int, a, b []float32, alpha float32, c []float32, ldc int, beta float32) {
	_ = a[kc*12-1]
	_ = b[kc*32-1]
	_ = c[11*ldc+31]
	sgemm12x32AVX512(kc, &a[0], &b[0], &c[0], ldc, alpha, beta)
}

// microKernel8x32 checks the bounds of the panels and the C tile and runs
// the 8-row AVX-512 kernel (kernel8_amd64.s).
func microKernel8x32(kc int, a, b []float32, alpha float32, c []float32, ldc int, beta float32) {
	_ = a[kc*8-1]
	_ = b[kc*32-1]
	_ = c[7*ldc+31]
	sgemm8x32AVX512(kc, &a[0], &b[0], &c[0], ldc, alpha, beta)
}

// microKernel6x16 checks the bounds of the panels and the C tile and runs
// the AVX2+FMA kernel.
func microKernel6x16(kc int, a, b []float32, alpha float32, c []float32, ldc int, beta float32) {
	_ = a[kc*6-1]
	_ = b[kc*16-1]
	_ = c[5*ldc+15]
	sgemm6x16AVX2(kc, &a[0], &b[0], &c[0], ldc, alpha, beta)
}

var (
	gemmKernelAVX512   = newGemmKernel("avx512", 12, 32, microKernel12x32)
	gemmKernelAVX512r8 = newGemmKernel("avx512r8", 8, 32, microKernel8x32)
	gemmKernelAVX2     = newGemmKernel("avx2", 6, 16, microKernel6x16)
)

func init() { gemmKernelAVX512.rows8 = gemmKernelAVX512r8 }

// asmKernels returns the assembly kernels this CPU supports, fastest first.
// x/sys/cpu reports AVX2 and AVX-512 only where the OS saves the wider
// registers too.
func asmKernels() []*gemmKernel {
	var ks []*gemmKernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, gemmKernelAVX512, gemmKernelAVX512r8)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, gemmKernelAVX2)
	}
	return ks
}
