package kernels

import "unsafe"

// Register-block shape of the pure-Go micro-kernel, microKernel. The
// assembly kernels (kernel_amd64.s) have shapes of their own; packing and
// blocking take the shape from the kernel in use (see gemmKernel).
//
// 2×4 with the k loop unrolled four times was the fastest pure-Go shape
// measured on amd64 (GOAMD64=v1 and v3): its 8 accumulators plus 6 operands
// fit the 16 scalar XMM registers the Go compiler allocates, whereas 4×4 and
// larger tiles spill and run at about half the speed.
const (
	gemmMR = 2 // rows of C per micro-kernel call
	gemmNR = 4 // columns of C per micro-kernel call
)

// microKernel computes the gemmMR×gemmNR tile
//
//	C[i*ldc+j] = alpha·Σ_p a[p*gemmMR+i]·b[p*gemmNR+j] + beta·C[i*ldc+j]
//
// for p in [0, kc), from an A micro-panel a (kc columns of gemmMR values)
// and a B micro-panel b (kc rows of gemmNR values) as laid out by packA and
// packB. With beta == 0 the old values of C are not read. The sum runs in
// increasing p, and the final update rounds alpha·sum and beta·C separately
// before adding them, so the result of a tile never depends on where it sits
// in C; that keeps Sgemm bit-identical at any thread count. kc must be ≥ 1.
func microKernel(kc int, a, b []float32, alpha float32, c []float32, ldc int, beta float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	// Bounds checks once up front; the loop then walks the panels by pointer.
	_ = a[kc*gemmMR-1]
	_ = b[kc*gemmNR-1]
	_ = c[ldc+gemmNR-1]
	pa := unsafe.Pointer(&a[0])
	pb := unsafe.Pointer(&b[0])
	p := 0
	for ; p+4 <= kc; p += 4 {
		aa := (*[4 * gemmMR]float32)(unsafe.Add(pa, p*gemmMR*4))
		bb := (*[4 * gemmNR]float32)(unsafe.Add(pb, p*gemmNR*4))
		{
			b0, b1, b2, b3 := bb[0], bb[1], bb[2], bb[3]
			a0 := aa[0]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			a1 := aa[1]
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
		}
		{
			b0, b1, b2, b3 := bb[4], bb[5], bb[6], bb[7]
			a0 := aa[2]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			a1 := aa[3]
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
		}
		{
			b0, b1, b2, b3 := bb[8], bb[9], bb[10], bb[11]
			a0 := aa[4]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			a1 := aa[5]
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
		}
		{
			b0, b1, b2, b3 := bb[12], bb[13], bb[14], bb[15]
			a0 := aa[6]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			a1 := aa[7]
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
		}
	}
	for ; p < kc; p++ {
		aa := (*[gemmMR]float32)(unsafe.Add(pa, p*gemmMR*4))
		bb := (*[gemmNR]float32)(unsafe.Add(pb, p*gemmNR*4))
		b0, b1, b2, b3 := bb[0], bb[1], bb[2], bb[3]
		a0 := aa[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := aa[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
	}
	r0 := (*[gemmNR]float32)(c[0:gemmNR])
	r1 := (*[gemmNR]float32)(c[ldc : ldc+gemmNR])
	if beta == 0 {
		r0[0], r0[1], r0[2], r0[3] = alpha*c00, alpha*c01, alpha*c02, alpha*c03
		r1[0], r1[1], r1[2], r1[3] = alpha*c10, alpha*c11, alpha*c12, alpha*c13
		return
	}
	// The explicit conversions forbid fusing alpha·sum + beta·C into one
	// FMA, so a tile stored through a temporary (edge tiles) rounds the same.
	r0[0] = float32(alpha*c00) + float32(beta*r0[0])
	r0[1] = float32(alpha*c01) + float32(beta*r0[1])
	r0[2] = float32(alpha*c02) + float32(beta*r0[2])
	r0[3] = float32(alpha*c03) + float32(beta*r0[3])
	r1[0] = float32(alpha*c10) + float32(beta*r1[0])
	r1[1] = float32(alpha*c11) + float32(beta*r1[1])
	r1[2] = float32(alpha*c12) + float32(beta*r1[2])
	r1[3] = float32(alpha*c13) + float32(beta*r1[3])
}
