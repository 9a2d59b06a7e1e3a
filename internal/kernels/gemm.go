package kernels

import "fmt"

// Cache blocking of the packed SGEMM, in the loop order of BLIS (Van Zee &
// van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS
// Functionality", 2015), with the two innermost loops swapped:
//
//	for jc in steps of gemmNC over the columns of C      (B block in L2)
//	  for pc in steps of gemmKC over k                   pack B[pc, jc] (kc×nc)
//	    for ic in steps of gemmMC over the rows of C     pack A[ic, pc] (mc×kc)
//	      for ir in steps of mr                          (A micro-panel in L1)
//	        for jr in steps of nr                        micro-kernel
//
// where mr×nr is the register tile of the micro-kernel in use (gemmActive)
// and its mc, a multiple of mr near gemmMC, replaces gemmMC. The kernels
// broadcast A and load B as vectors, so per step they read nr/mr times more
// of B than of A: the A micro-panel (mr×kc, 12 KiB for AVX-512) is the one
// that stays in L1 across the jr loop, while B micro-panels stream from
// the L2-resident B block and consecutive C tiles lie side by side in the
// same rows, which the hardware prefetchers follow. (With jr outside, the
// AVX-512 kernel's 32 KiB B micro-panel did not stay in a 48 KiB L1 next
// to the A stream.)
//
// gemmKC alone decides the order in which each C element's sum is formed (a
// partial sum per KC block, blocks added in increasing k). It is a constant:
// it does not depend on the thread count nor on the machine's caches, so
// results are the same wherever the same micro-kernel runs. gemmMC and
// gemmNC only decide which tiles are computed when; they are derived from
// the cache sizes at start-up (gemmBlocks).
const gemmKC = 256 // depth of a packed panel

// gemmMC is the number of rows of a packed A block (each kernel rounds it
// down to a multiple of its mr) and gemmNC the number of columns of a
// packed B block, a multiple of every nr. Package initialisation sets them
// before it builds the kernels, which take their mc from gemmMC.
var gemmMC, gemmNC = gemmBlocks(readCacheSizes("/sys/devices/system/cpu/cpu0/cache"))

// Size thresholds, in multiply-adds (m·n·k).
const (
	// gemmSmall: at or below this, Sgemm runs a plain triple loop, as
	// packing would cost more than it saves.
	gemmSmall = 8 * 8 * 8
	// gemmParallelMin: below this, Sgemm stays on the calling goroutine;
	// each goroutine gets at least about this much work.
	gemmParallelMin = 32 * 32 * 32
)

// gemmWorkspace holds the pack buffers of one running SGEMM. Workspaces are
// kept in gemmPool, so a steady stream of calls does not allocate.
type gemmWorkspace struct {
	a, b []float32
	tile [gemmTileMax]float32 // staging for edge tiles of C
}

// gemmPool holds the workspaces between calls.
var gemmPool = FreeList[gemmWorkspace]{New: func() *gemmWorkspace { return new(gemmWorkspace) }}

// grow makes w.a and w.b at least na and nb long.
func (w *gemmWorkspace) grow(na, nb int) {
	if cap(w.a) < na {
		w.a = make([]float32, na)
	}
	if cap(w.b) < nb {
		w.b = make([]float32, nb)
	}
	w.a, w.b = w.a[:na], w.b[:nb]
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices,
// where op(X) is X or Xᵀ as selected by transA / transB. op(A) is m×k, op(B)
// is k×n and C is m×n; lda, ldb and ldc are the row strides of A, B and C as
// stored. With beta == 0, C is overwritten (its old values, even NaN, are
// ignored). With alpha == 0 or k == 0, A and B are not read and C becomes
// beta·C. Sgemm may use Threads() goroutines; each writes a disjoint block
// of C, so the result is bit-identical at any thread count.
//
// The reference loop is:
//
//	for i := 0; i < m; i++ {
//		for j := 0; j < n; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += opA(i, p) * opB(p, j)
//			}
//			C[i*ldc+j] = alpha*s + beta*C[i*ldc+j]
//		}
//	}
//
// The implementation packs A and B into cache-sized panels and runs a
// register-blocked micro-kernel over them; sums are formed in blocks of
// gemmKC terms, so results differ from the reference loop by rounding only.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if sgemmTrivial(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
		return
	}
	work := m * n * k
	t := Threads()
	if t <= 1 || work < 2*gemmParallelMin {
		sgemmBlocked(gemmKernelFor(m), transA, transB, m, n, k, alpha, a, lda, b, ldb, nil, beta, c, ldc)
		return
	}
	sgemmParallel(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmParallel splits C into column blocks (or row blocks, when it has more
// row tiles than column tiles) on tile boundaries and runs sgemmBlocked on
// each block with ParallelFor. A C element's arithmetic does not depend on
// which block it is in. (It is a function of its own so that the closures'
// captured arguments do not move Sgemm's serial path onto the heap.)
func sgemmParallel(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	kern := gemmKernelFor(m)
	mr, nr := kern.mr, kern.nr
	tilesM := (m + mr - 1) / mr
	tilesN := (n + nr - 1) / nr
	if tilesN >= tilesM {
		grain := max(1, gemmParallelMin/(m*k*nr))
		ParallelFor(tilesN, grain, func(lo, hi int) {
			j0, j1 := lo*nr, min(hi*nr, n)
			bo := j0
			if transB {
				bo = j0 * ldb
			}
			sgemmBlocked(kern, transA, transB, m, j1-j0, k, alpha, a, lda, b[bo:], ldb, nil, beta, c[j0:], ldc)
		})
		return
	}
	grain := max(1, gemmParallelMin/(n*k*mr))
	ParallelFor(tilesM, grain, func(lo, hi int) {
		i0, i1 := lo*mr, min(hi*mr, m)
		ao := i0 * lda
		if transA {
			ao = i0
		}
		sgemmBlocked(kern, transA, transB, i1-i0, n, k, alpha, a[ao:], lda, b, ldb, nil, beta, c[i0*ldc:], ldc)
	})
}

// SgemmSerial is Sgemm on the calling goroutine only, for callers that are
// already parallel (for example over the images of a batch). Its results are
// bit-identical to Sgemm's.
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if sgemmTrivial(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
		return
	}
	sgemmBlocked(gemmKernelFor(m), transA, transB, m, n, k, alpha, a, lda, b, ldb, nil, beta, c, ldc)
}

// sgemmTrivial checks the arguments of Sgemm, panicking with a message
// naming the bad one, and completes the call itself when there is nothing
// to multiply (empty C, k == 0, alpha == 0) or the product is small enough
// for a plain loop. It reports whether the call is done.
func sgemmTrivial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Sgemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	if m == 0 || n == 0 {
		return true
	}
	checkMatrix("C", m, n, c, ldc)
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return true
	}
	if transA {
		checkMatrix("A", k, m, a, lda)
	} else {
		checkMatrix("A", m, k, a, lda)
	}
	if transB {
		checkMatrix("B", n, k, b, ldb)
	} else {
		checkMatrix("B", k, n, b, ldb)
	}
	if m*n*k <= gemmSmall {
		sgemmSmall(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return true
	}
	return false
}

// checkMatrix panics unless x can hold a rows×cols row-major matrix with
// row stride ld.
func checkMatrix(name string, rows, cols int, x []float32, ld int) {
	if ld < max(cols, 1) {
		panic(fmt.Sprintf("kernels: Sgemm: ld%s = %d < %d columns", name, ld, cols))
	}
	if rows > 0 && cols > 0 && len(x) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("kernels: Sgemm: %s has %d elements, a %d×%d matrix with stride %d needs %d", name, len(x), rows, cols, ld, (rows-1)*ld+cols))
	}
}

// scaleC sets C = beta·C (C = 0 when beta == 0, whatever C held).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// sgemmSmall is the unpacked triple loop used for tiny products.
func sgemmSmall(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	// op(A)(i, p) = a[i*ars+p*acs], op(B)(p, j) = b[p*brs+j*bcs].
	ars, acs := lda, 1
	if transA {
		ars, acs = 1, lda
	}
	brs, bcs := ldb, 1
	if transB {
		brs, bcs = 1, ldb
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		for j := range row {
			var s float32
			ai, bj := i*ars, j*bcs
			for p := 0; p < k; p++ {
				s += a[ai+p*acs] * b[p*brs+bj]
			}
			if beta == 0 {
				row[j] = alpha * s
			} else {
				row[j] = float32(alpha*s) + float32(beta*row[j])
			}
		}
	}
}

// sgemmBlocked is the packed, cache-blocked SGEMM on the calling goroutine,
// using micro-kernel kern. Its arguments have been checked and it needs
// m, n, k ≥ 1. With off not nil (and transB set), row j of the stored
// [n, k] B is b[off[j]:] rather than b[j·ldb:] (SgemmNTTab).
func sgemmBlocked(kern *gemmKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, off []int, beta float32, c []float32, ldc int) {
	w := gemmPool.Get()
	defer gemmPool.Put(w)
	mr, nr, mc := kern.mr, kern.nr, kern.mc
	kcMax := min(gemmKC, k)
	// A product of few whole row panels reads B in place, as GemmPacked
	// does (see gemmStridedRows): each element of B serves so few rows of
	// A that packing it would cost about as much as multiplying by it.
	// The fused kernel forms every element by the same chain of
	// multiply-adds, and with alpha = 1 and beta ∈ {0, 1} (every call of
	// the convolutions' training passes) stores the same bits. One
	// thread, L2-resident operands, GFLOP/s packed → in place (medians
	// of 7): 16×1024×144 110 → 176, 32×256×288 139 → 186.
	strided := gemmInPlaceB && alpha == 1 && (beta == 0 || beta == 1) && !transB && off == nil && readsBInPlace(kern, m, n, k)
	nbp := roundUp(min(gemmNC, n), nr)
	if strided {
		nbp = 0
	}
	w.grow(roundUp(min(mc, m), mr)*kcMax, nbp*kcMax)

	for jc := 0; jc < n; jc += gemmNC {
		nb := min(gemmNC, n-jc)
		for pc := 0; pc < k; pc += gemmKC {
			kb := min(gemmKC, k-pc)
			bo := pc*ldb + jc
			if transB {
				bo = jc*ldb + pc
			}
			var bp []float32
			switch {
			case off != nil:
				bp = w.b[:roundUp(nb, nr)*kb]
				packBTabT(b, off[jc:jc+nb], pc, kb, nr, bp)
			case !strided:
				bp = w.b[:roundUp(nb, nr)*kb]
				packB(transB, b[bo:], ldb, kb, nb, nr, bp)
			}
			bet := beta
			if pc > 0 {
				bet = 1 // later K blocks add to the partial sums
			}
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				ao := ic*lda + pc
				if transA {
					ao = pc*lda + ic
				}
				ap := w.a[:roundUp(mb, mr)*kb]
				packA(transA, a[ao:], lda, mb, kb, mr, ap)
				if strided {
					macroKernelStrided(kern, mb, nb, kb, ap, b[bo:], ldb, int(bet), c[ic*ldc+jc:], ldc)
					continue
				}
				macroKernel(kern, mb, nb, kb, alpha, ap, bp, bet, c[ic*ldc+jc:], ldc, &w.tile)
			}
		}
	}
}

// macroKernel multiplies a packed mb×kb block of A by a packed kb×nb block
// of B into the mb×nb block of C at c[0], calling kern.fn once per mr×nr
// tile. Tiles that stick out of C are computed into tile with beta = 0 and
// then added to C, rounding exactly as the in-place update does.
func macroKernel(kern *gemmKernel, mb, nb, kb int, alpha float32, ap, bp []float32, beta float32, c []float32, ldc int, tile *[gemmTileMax]float32) {
	mr, nr, fn := kern.mr, kern.nr, kern.fn
	// With alpha = 1 and beta ∈ {0, 1} (every call of the convolutions),
	// tiles of whole rows but fewer columns go to the fused kernel, which
	// stores under column masks: the same bits as staging them (alpha·sum
	// and beta·C are exact, their sum one rounding either way).
	masked := alpha == 1 && (beta == 0 || beta == 1)
	for ir := 0; ir < mb; ir += mr {
		a := ap[ir*kb : (ir+mr)*kb]
		rows := min(mr, mb-ir)
		for jr := 0; jr < nb; jr += nr {
			b := bp[jr*kb : (jr+nr)*kb]
			cols := min(nr, nb-jr)
			if rows == mr && cols < nr && masked && gemmTileEp(kern, kb, a, b, nr, c[ir*ldc+jr:], ldc, int(beta), nil, 0, 0, cols) {
				continue
			}
			if rows == mr && cols == nr {
				fn(kb, a, b, alpha, c[ir*ldc+jr:], ldc, beta)
				continue
			}
			fn(kb, a, b, alpha, tile[:mr*nr], nr, 0)
			for i := 0; i < rows; i++ {
				dst := c[(ir+i)*ldc+jr:][:cols]
				src := tile[i*nr:][:cols]
				if beta == 0 {
					copy(dst, src)
					continue
				}
				for j, v := range src {
					dst[j] = v + float32(beta*dst[j])
				}
			}
		}
	}
}

// gemmInPlaceB lets sgemmBlocked read B in place for products of few
// rows; tests turn it off to compare with the packed path.
var gemmInPlaceB = true

// macroKernelStrided multiplies a packed mb×kb block of A (mb a multiple
// of mr) by the kb×nb block of B at b[0], read in place (row stride ldb),
// into the mb×nb block of C at c[0]: C = A·B, plus the old C when beta is
// 1. kern must have a fused form (hasFusedKernel).
func macroKernelStrided(kern *gemmKernel, mb, nb, kb int, ap, b []float32, ldb, beta int, c []float32, ldc int) {
	mr, nr := kern.mr, kern.nr
	for ir := 0; ir < mb; ir += mr {
		a := ap[ir*kb : (ir+mr)*kb]
		for jr := 0; jr < nb; jr += nr {
			gemmTileEp(kern, kb, a, b[jr:], ldb, c[ir*ldc+jr:], ldc, beta, nil, 0, 0, min(nr, nb-jr))
		}
	}
}

// roundUp rounds x up to a multiple of q.
func roundUp(x, q int) int { return (x + q - 1) / q * q }
