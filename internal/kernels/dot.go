package kernels

// dotKernel reports whether SgemmNT uses the dot-product kernel (dot4x4);
// tests may turn it off while no SgemmNT runs.
var dotKernel = hasDotKernel()

// SgemmNT adds A·Bᵀ to C, for row-major A [m, k], B [n, k] and C [m, n]
// with row strides lda, ldb and ldc, on the calling goroutine:
//
//	for i < m, j < n:
//		C[i*ldc+j] += Σ_p A[i*lda+p] · B[j*ldb+p]
//
// Both operands are read along k, contiguously. Where the CPU has AVX-512
// and m < sgemmNTDotMaxM, each 4×4 block of C is a set of sixteen vector
// dot products (dot4x4) and nothing is packed: for a convolution's weight
// gradient dY [Cout, OH·OW] · colᵀ with few output channels, packing would
// cost more than the multiply. Larger m run on the packed SGEMM with a
// transposed B (SgemmSerial), whose AVX-512 panel transposes make that
// packing cheap. Which path runs depends on m only, so each C element's sum
// depends only on the shape and the data (not on its position or the
// thread count). Without AVX-512 it runs on SgemmSerial (sgemmNTPacked).
func SgemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if !dotKernel {
		sgemmNTPacked(m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	if m >= sgemmNTDotMaxM {
		SgemmSerial(false, true, m, n, k, 1, a, lda, b, ldb, 1, c, ldc)
		return
	}
	if m < 0 || n < 0 || k < 0 {
		panic("kernels: SgemmNT: negative size")
	}
	if m == 0 || n == 0 || k == 0 {
		return
	}
	checkMatrix("A", m, k, a, lda)
	checkMatrix("B", n, k, b, ldb)
	checkMatrix("C", m, n, c, ldc)
	sgemmNTDot(m, n, k, a, lda, b, ldb, nil, c, ldc)
}

// sgemmNTDot is SgemmNT's dot-product path, row j of B [n, k] at
// b[j·ldb:], or at b[off[j]:] when off is not nil. The sizes are positive
// and checked.
func sgemmNTDot(m, n, k int, a []float32, lda int, b []float32, ldb int, off []int, c []float32, ldc int) {
	var ar, br [4][]float32
	var out [16]float32
	for i0 := 0; i0 < m; i0 += 4 {
		rows := min(4, m-i0)
		for i := range ar {
			// Rows past m repeat the last row; their sums are dropped.
			ar[i] = a[(i0+min(i, rows-1))*lda:][:k]
		}
		for j0 := 0; j0 < n; j0 += 4 {
			cols := min(4, n-j0)
			for j := range br {
				r := j0 + min(j, cols-1)
				if off != nil {
					br[j] = b[off[r]:][:k]
				} else {
					br[j] = b[r*ldb:][:k]
				}
			}
			dot4x4(k, &ar, &br, &out)
			for i := 0; i < rows; i++ {
				cr := c[(i0+i)*ldc+j0:][:cols]
				for j := range cr {
					cr[j] += out[i*4+j]
				}
			}
		}
	}
}

// sgemmNTDotMaxM is the least m for which SgemmNT takes the packed SGEMM
// over the dot-product kernel. Measured on AVX-512 (one thread, GFLOP/s,
// dot → packed with transposed B): m=16 n=144 k=1024 127 → 63;
// m=32 n=288 k=256 86 → 102; m=64 n=576 k=3136 41 → 87; m=128 n=1152
// k=784 39 → 116; m=256 n=2304 k=196 48 → 127; m=512 n=4608 k=49
// 27 → 129. (The dot kernel reads whole rows of both operands for every
// 4×4 block of C, so beyond a few rows of A it streams B from memory; the
// 12-row panels of the packed kernel waste a third of a 16-row A.)
const sgemmNTDotMaxM = 24

// sgemmNTPacked is SgemmNT on the packed SGEMM. When n > m it forms
// (A·Bᵀ)ᵀ = B·Aᵀ [n, m] in scratch and adds its transpose to C: the
// operand packed as A (by whole micro-panels, the cheap way) is then the
// larger one, while only the smaller one's rows are gathered for B.
func sgemmNTPacked(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if n <= m || m == 0 || k == 0 {
		SgemmSerial(false, true, m, n, k, 1, a, lda, b, ldb, 1, c, ldc)
		return
	}
	t := make([]float32, n*m)
	SgemmSerial(false, true, n, m, k, 1, b, ldb, a, lda, 0, t, m)
	for i := 0; i < m; i++ {
		cr := c[i*ldc:][:n]
		for j := range cr {
			cr[j] += t[j*m+i]
		}
	}
}
