package kernels

import "fmt"

// EngLinearRows computes output features [lo, hi) of a fully connected
// layer at a small batch,
//
//	y [N, O] = epilogue(x [N, F] · Wᵀ),  W [O, F] row-major (not packed)
//
// as matrix-vector products on the calling goroutine: for j < n and
// lo ≤ i < hi,
//
//	y[j·O + i] = act(Σ_p W[i·F + p]·x[j·F + p] + Bias[i] + Residual[i·ResLd + j])
//
// with ep's bias and residual (each optional, indexed like GemmPacked's
// C = yᵀ [O, N]) added in that order, each rounded on its own, and ep.Act
// applied last by ApplyAct, as GemmPacked's epilogue does. At batch 1 a
// packed GEMM spends most of its work on the micro-kernel's empty columns
// and the layer is bound by reading W; here W is read once per four rows
// of x.
//
// Where the CPU has AVX-512 each sum is formed in 16 lanes with fused
// multiply-adds and the lanes added in a fixed tree (dot4x4AVX512, or
// dot8x1AVX512 at batch 1, which forms the same sums); otherwise in Go
// (dotGo). Either way an element's arithmetic depends only on F and its two
// rows, so splitting [0, O) between goroutines, or changing n, does not
// change it. The sums differ from GemmPacked's only in their order. It does
// not allocate.
func EngLinearRows(w, x, y []float32, n, o, f int, ep *Epilogue, lo, hi int) {
	if lo < 0 || hi > o || n < 1 || f < 1 || len(w) < o*f || len(x) < n*f || len(y) < n*o {
		panic(fmt.Sprintf("kernels: EngLinearRows of rows [%d, %d) of a %d×%d weight, batch %d, with %d, %d and %d elements", lo, hi, o, f, n, len(w), len(x), len(y)))
	}
	if lo >= hi {
		return
	}
	switch {
	case dotKernel && n == 1 && o >= 8:
		var out [8]float32
		for i0 := lo; i0 < hi; i0 += 8 {
			// A block of 8 rows must lie inside W: near its end the block
			// starts earlier, recomputing rows that are then not stored.
			b := min(i0, o-8)
			dot8x1AVX512(f, &x[0], &w[b*f], f, &out)
			copy(y[i0:min(i0+8, hi)], out[i0-b:])
		}
	case dotKernel:
		var ar, br [4][]float32
		var out [16]float32
		for i0 := lo; i0 < hi; i0 += 4 {
			rows := min(4, hi-i0)
			for i := range ar {
				// Rows past the range repeat its last row; their sums are
				// dropped.
				ar[i] = w[(i0+min(i, rows-1))*f:][:f]
			}
			for j0 := 0; j0 < n; j0 += 4 {
				cols := min(4, n-j0)
				for j := range br {
					br[j] = x[(j0+min(j, cols-1))*f:][:f]
				}
				dot4x4(f, &ar, &br, &out)
				for i := 0; i < rows; i++ {
					for j := 0; j < cols; j++ {
						y[(j0+j)*o+i0+i] = out[i*4+j]
					}
				}
			}
		}
	default:
		dotRowsGo(w, x, y, n, o, f, lo, hi)
	}
	for j := 0; j < n; j++ {
		seg := y[j*o+lo : j*o+hi]
		if ep.Bias != nil {
			for i, b := range ep.Bias[lo:hi] {
				seg[i] += b
			}
		}
		if ep.Residual != nil {
			for i := range seg {
				seg[i] += ep.Residual[(lo+i)*ep.ResLd+j]
			}
		}
		ApplyAct(ep.Act, seg)
	}
}

// dotRowsGo sets y[j·o + i] = dotGo(W row i, x row j) for j < n and
// lo ≤ i < hi.
func dotRowsGo(w, x, y []float32, n, o, f, lo, hi int) {
	for j := 0; j < n; j++ {
		xr := x[j*f : (j+1)*f]
		for i := lo; i < hi; i++ {
			y[j*o+i] = dotGo(w[i*f:(i+1)*f], xr)
		}
	}
}

// dotGo returns Σ a[p]·b[p] over len(a) elements, in four interleaved
// partial sums (p mod 4) added as (s0 + s1) + (s2 + s3).
func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	p := 0
	for ; p+4 <= len(a); p += 4 {
		s0 += a[p] * b[p]
		s1 += a[p+1] * b[p+1]
		s2 += a[p+2] * b[p+2]
		s3 += a[p+3] * b[p+3]
	}
	for ; p < len(a); p++ {
		s0 += a[p] * b[p]
	}
	return (s0 + s1) + (s2 + s3)
}

// EngLinearMaxBatch returns the largest batch at which EngLinearRows is
// faster than GemmPacked for a classifier-sized layer (ResNet-50's 2048 →
// 1000, BenchmarkEngLinear): with the dot-product kernels W is read once
// per four rows of x and the packed product, whose cost hardly changes up
// to its 32-column micro-kernel, wins only beyond 16; the Go loop reads W
// once per row of x and loses from batch 3.
func EngLinearMaxBatch() int {
	if dotKernel {
		return 16
	}
	return 2
}
