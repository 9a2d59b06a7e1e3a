package kernels

import (
	"fmt"
	"math"
)

// Pre-packed SGEMM for inference: the constant left operand (a layer's
// weights) is packed into micro-panels once, and each call packs only the
// right operand (the activations) and runs the micro-kernel of Sgemm over
// them, finishing every tile of C with an epilogue (per-row bias, a residual
// matrix added in, an activation) while the tile is still in cache.
//
// Dimension legend: M rows of C and A (output channels), N columns of C and
// B (output pixels), K the shared dimension (input channels × kernel taps).

// prepackKC is the depth of a packed panel of a PackedA. It fixes the order
// in which each element's sum is formed (a partial sum per block of
// prepackKC terms, blocks added in increasing k), independently of how the
// work is split over threads.
const prepackKC = 256

// Act is an activation applied element-wise by a GEMM epilogue or by
// ApplyAct.
type Act int

// Activations of an epilogue.
const (
	ActNone    Act = iota
	ActReLU        // max(v, 0)
	ActReLU6       // min(max(v, 0), 6)
	ActSiLU        // v·σ(v), σ in float64 as ops.SiLU computes it
	ActSigmoid     // σ(v) = 1 / (1 + e^−v), in float64 as ops.Sigmoid
	ActClip        // min(max(v, Lo), Hi)
)

// Activation is an Act with its parameters.
type Activation struct {
	Kind   Act
	Lo, Hi float32 // bounds of ActClip
}

// String names the activation.
func (a Activation) String() string {
	switch a.Kind {
	case ActNone:
		return "none"
	case ActReLU:
		return "relu"
	case ActReLU6:
		return "relu6"
	case ActSiLU:
		return "silu"
	case ActSigmoid:
		return "sigmoid"
	case ActClip:
		return fmt.Sprintf("clip(%g, %g)", a.Lo, a.Hi)
	}
	return fmt.Sprintf("Act(%d)", int(a.Kind))
}

// ApplyAct applies a to every element of x in place. NaN passes through
// ReLU, ReLU6 and Clip as in package ops.
func ApplyAct(a Activation, x []float32) {
	switch a.Kind {
	case ActNone:
	case ActReLU:
		// max is branch-free (a sign test mispredicts on half of the
		// activations); the rare, well-predicted zero test keeps −0 as the
		// op does.
		for i, v := range x {
			r := max(v, 0)
			if v == 0 {
				r = v
			}
			x[i] = r
		}
	case ActReLU6:
		for i, v := range x {
			r := min(max(v, 0), 6)
			if v == 0 {
				r = v
			}
			x[i] = r
		}
	case ActSiLU:
		for i, v := range x {
			x[i] = float32(float64(v) / (1 + math.Exp(-float64(v))))
		}
	case ActSigmoid:
		for i, v := range x {
			x[i] = float32(1 / (1 + math.Exp(-float64(v))))
		}
	case ActClip:
		lo, hi := a.Lo, a.Hi
		for i, v := range x {
			if v < lo {
				v = lo
			}
			if v > hi {
				v = hi
			}
			x[i] = v
		}
	}
}

// Epilogue is what a PackedA product does to each finished element of C
// (row i, column j):
//
//	C[i][j] = act(Σ_p A[i][p]·B[p][j] + Bias[i] + Residual[i][j])
//
// Bias (length M) and Residual (row stride ResLd) may be nil. Residual must
// not overlap C.
type Epilogue struct {
	Bias     []float32  // [M] or nil
	Residual []float32  // [M, ResLd] or nil
	ResLd    int        // row stride of Residual
	Act      Activation // applied last
}

// PackedA is the left operand A [M, K] of a product, packed once into the
// micro-panels of the SGEMM micro-kernel in use: for each block of
// prepackKC columns starting at pc, ⌈M/mr⌉ panels of mr rows, zero-padded
// below row M, at data[Mr·pc:] with Mr = M rounded up to mr.
type PackedA struct {
	M, K int
	kern *gemmKernel
	mr   int
	data []float32 // [Mr·K]
}

// PackA packs the row-major matrix a [M, K] (row stride lda) for
// GemmPacked, into memory from slab (or its own allocation when slab is
// nil). The result does not share memory with a.
func PackA(slab *Slab, m, k int, a []float32, lda int) *PackedA {
	return packedA(slab, false, m, k, a, lda)
}

// PackedALen returns the number of floats PackAInto needs for an [m, k]
// operand.
func PackedALen(m, k int) int { return roundUp(m, gemmKernelFor(m).mr) * k }

// PackAInto is PackA into dst (at least PackedALen(m, k) floats, every one
// of which it writes), for callers that recycle the memory of operands
// packed afresh for every product.
func PackAInto(dst []float32, m, k int, a []float32, lda int) *PackedA {
	if n := PackedALen(m, k); len(dst) < n {
		panic(fmt.Sprintf("kernels: PackAInto %d×%d into %d floats, want %d", m, k, len(dst), n))
	}
	return packedAInto(dst, false, m, k, a, lda)
}

// PackAT is PackA for the transpose of the stored matrix: a is [K, M] (row
// stride lda) and the packed operand is aᵀ [M, K], as a convolution's
// input gradient multiplies by the transposed weights. Products with it
// give the same bits as Sgemm with transA set.
func PackAT(slab *Slab, m, k int, a []float32, lda int) *PackedA {
	return packedA(slab, true, m, k, a, lda)
}

// PackATInto is PackAT into dst, as PackAInto is PackA.
func PackATInto(dst []float32, m, k int, a []float32, lda int) *PackedA {
	if n := PackedALen(m, k); len(dst) < n {
		panic(fmt.Sprintf("kernels: PackATInto %d×%d into %d floats, want %d", m, k, len(dst), n))
	}
	return packedAInto(dst, true, m, k, a, lda)
}

// packedA is PackA (transA false) and PackAT (transA true).
func packedA(slab *Slab, transA bool, m, k int, a []float32, lda int) *PackedA {
	if m < 1 || k < 1 {
		panic(fmt.Sprintf("kernels: PackA of an empty %d×%d matrix", m, k))
	}
	return packedAInto(slab.Make(PackedALen(m, k)), transA, m, k, a, lda)
}

// packedAInto is packedA into data, PackedALen(m, k) floats or more.
func packedAInto(data []float32, transA bool, m, k int, a []float32, lda int) *PackedA {
	if m < 1 || k < 1 {
		panic(fmt.Sprintf("kernels: PackA of an empty %d×%d matrix", m, k))
	}
	if transA {
		checkMatrix("A", k, m, a, lda)
	} else {
		checkMatrix("A", m, k, a, lda)
	}
	kern := gemmKernelFor(m)
	mrr := roundUp(m, kern.mr)
	p := &PackedA{M: m, K: k, kern: kern, mr: kern.mr, data: data[:mrr*k]}
	for pc := 0; pc < k; pc += prepackKC {
		kb := min(prepackKC, k-pc)
		ao := pc
		if transA {
			ao = pc * lda
		}
		packA(transA, a[ao:], lda, m, kb, kern.mr, p.data[mrr*pc:mrr*pc+mrr*kb])
	}
	return p
}

// MR returns the row tile of the micro-kernel A was packed for: a row range
// of GemmPacked should start on a multiple of it.
func (p *PackedA) MR() int { return p.mr }

// NR returns the column tile of the micro-kernel: a column range of
// GemmPacked should start on a multiple of it.
func (p *PackedA) NR() int { return p.kern.nr }

// gemmStridedRows is the most rows of A for which GemmPacked reads B in
// place instead of packing it. One thread, bias, GFLOP/s packed → in
// place: 12×3136×96 89 → 158, 24×3136×144 107 → 172, 24×12544×16
// 97 → 118, 36×784×192 143 → 180, 48×3136×144 131 → 175, 96×3136×24
// 138 → 154, 96×784×144 172 → 173 (even, so no further).
const gemmStridedRows = 96

// readsBInPlace reports whether a product of rows rows of A, cols columns
// and depth k on kern reads a non-transposed B in place (GemmPacked and
// sgemmBlocked; see gemmStridedRows): whole row panels of a kernel with a
// fused form, at most gemmStridedRows, and beyond two panels only while the
// block of B fits in half of L2.
func readsBInPlace(kern *gemmKernel, rows, cols, k int) bool {
	mr := kern.mr
	return rows%mr == 0 && rows <= gemmStridedRows && hasFusedKernel(kern) &&
		(rows <= 2*mr || cols*min(k, prepackKC) <= gemmNC*gemmKC)
}

// GemmScratch is the workspace of one goroutine running GemmPacked: the
// packed panel of B and a staging tile for the edges of C.
type GemmScratch struct {
	b    []float32
	tile [gemmTileMax]float32
}

// NewGemmScratch returns a workspace large enough for products with up to
// n columns (of any M and K) using the current micro-kernel.
func NewGemmScratch(n int) *GemmScratch {
	nr := gemmActive.nr
	return &GemmScratch{b: make([]float32, roundUp(min(max(n, 1), gemmNC), nr)*prepackKC)}
}

// GemmPacked computes rows [m0, m1) and columns [n0, n1) of
//
//	C [M, N] = epilogue(A [M, K] · op(B) [K, N])
//
// on the calling goroutine, where op(B) is B [K, N] (row stride ldb), or Bᵀ
// with B stored as [N, K] when transB is set; C has row stride ldc. m0 must
// be a multiple of p.MR() and n0 of p.NR() (m1 and n1 may be anything up to
// M and N): then every element's arithmetic is the same however the rows
// and columns are split between calls, so callers may run disjoint ranges
// on different goroutines and get bit-identical results at any thread
// count. ws must come from NewGemmScratch with at least n1 − n0 columns
// (any ws works for up to 2048 columns). It does not allocate.
func GemmPacked(p *PackedA, transB bool, n int, b []float32, ldb int, c []float32, ldc int, ep *Epilogue, m0, m1, n0, n1 int, ws *GemmScratch) {
	kern := p.kern
	mr, nr := kern.mr, kern.nr
	m, k := p.M, p.K
	if m0 >= m1 || n0 >= n1 {
		return
	}
	if m0%mr != 0 || n0%nr != 0 || m0 < 0 || n0 < 0 || m1 > m || n1 > n {
		panic(fmt.Sprintf("kernels: GemmPacked rows [%d, %d) of %d, columns [%d, %d) of %d: bad range for a %dx%d tile", m0, m1, m, n0, n1, n, mr, nr))
	}
	mrr := roundUp(m, mr)
	nbMax := len(ws.b) / prepackKC
	// A product of at most gemmStridedRows whole 12- or 8-row panels reads B in
	// place (masked loads, same bits): each B panel would serve so few
	// rows of A that packing it costs about as much as multiplying by it.
	// Beyond two row panels only while a block of B fits in half of L2:
	// read in place it is read once per row panel (ResNet-50's 256→64
	// 1×1 at 56², 3.2 MB per block, 8 panels: 1.07 → 1.47 ms in place).
	strided := !transB && readsBInPlace(kern, m1-m0, n1-n0, k)
	for jc := n0; jc < n1; jc += nbMax {
		nb := min(nbMax, n1-jc)
		for pc := 0; pc < k; pc += prepackKC {
			kb := min(prepackKC, k-pc)
			bo := pc*ldb + jc
			if transB {
				bo = jc*ldb + pc
			}
			bp := ws.b[:roundUp(nb, nr)*kb]
			if !strided {
				packB(transB, b[bo:], ldb, kb, nb, nr, bp)
			}
			beta := float32(0)
			if pc > 0 {
				beta = 1
			}
			last := pc+kb == k
			ablk := p.data[mrr*pc : mrr*pc+mrr*kb]
			// The A micro-panel (mr×kb, 12 KiB for AVX-512) stays in L1
			// while the B micro-panels stream from the L2-resident block,
			// as in sgemmBlocked. With jr outside, the 32 KiB B
			// micro-panel shared L1 with the A stream and lost; one
			// thread, bias+ReLU, GFLOP/s jr-outer → ir-outer (medians of
			// 11, interleaved): 256×3136×64 150 → 160, 64×3136×576
			// 138 → 146, 256×196×2304 154 → 182, 96×12544×16 83 → 116,
			// 1024³ 163 → 188.
			for ir := m0; ir < m1; ir += mr {
				apan := ablk[ir*kb : (ir+mr)*kb]
				rows := min(mr, m1-ir)
				for jr := 0; jr < nb; jr += nr {
					bpan := bp[jr*kb : (jr+nr)*kb]
					cols := min(nr, nb-jr)
					col0 := jc + jr
					if strided {
						var tep *Epilogue
						if last {
							tep = ep
						}
						ct := c[ir*ldc+col0:]
						if gemmTileEp(kern, kb, apan, b[pc*ldb+col0:], ldb, ct, ldc, int(beta), tep, ir, col0, cols) {
							continue
						}
						// An activation the kernel does not compute: the
						// product in place, then the epilogue in Go.
						gemmTileEp(kern, kb, apan, b[pc*ldb+col0:], ldb, ct, ldc, int(beta), nil, ir, col0, cols)
						ep.apply(ct, ldc, ir, rows, col0, cols)
						continue
					}
					{
						ct := c[ir*ldc+col0:]
						if rows == mr {
							// Whole rows: the fused kernel, which stores only
							// the tile's columns inside C.
							var tep *Epilogue
							if last {
								tep = ep
							}
							if gemmTileEp(kern, kb, apan, bpan, nr, ct, ldc, int(beta), tep, ir, col0, cols) {
								continue // epilogue fused
							}
						}
						if rows == mr && cols == nr {
							kern.fn(kb, apan, bpan, 1, ct, ldc, beta)
						} else {
							kern.fn(kb, apan, bpan, 1, ws.tile[:mr*nr], nr, 0)
							storeTile(ct, ldc, ws.tile[:], nr, rows, cols, beta != 0)
						}
						if last && ep != nil {
							ep.apply(ct, ldc, ir, rows, col0, cols)
						}
					}
				}
			}
		}
	}
}

// storeTile stores the first rows×cols of a tile computed into tile (row
// stride nr) with beta = 0 into C at c (row stride ldc): copied, or added to
// C when add is set, which rounds as a kernel's beta = 1 update does.
func storeTile(c []float32, ldc int, tile []float32, nr, rows, cols int, add bool) {
	for i := 0; i < rows; i++ {
		dst := c[i*ldc:][:cols]
		src := tile[i*nr:][:cols]
		if !add {
			copy(dst, src)
			continue
		}
		for j, v := range src {
			dst[j] = v + dst[j]
		}
	}
}

// apply runs the epilogue on the rows×cols tile of C at c[0], whose
// top-left element is (i0, j0) of C.
func (ep *Epilogue) apply(c []float32, ldc, i0, rows, j0, cols int) {
	for i := 0; i < rows; i++ {
		row := c[i*ldc:][:cols]
		var bias *float32
		if ep.Bias != nil {
			bias = &ep.Bias[i0+i]
		}
		var res []float32
		if ep.Residual != nil {
			res = ep.Residual[(i0+i)*ep.ResLd+j0:][:cols]
		}
		epilogueRow(row, bias, res, ep.Act)
	}
}

// epilogueRowGo is the reference of the epilogue of one row of C:
//
//	row[j] = act(row[j] + *bias + res[j])
//
// each addition rounded on its own, bias and res skipped when nil.
func epilogueRowGo(row []float32, bias *float32, res []float32, act Activation) {
	if bias != nil {
		bv := *bias
		for j := range row {
			row[j] += bv
		}
	}
	if res != nil {
		for j, v := range res[:len(row)] {
			row[j] += v
		}
	}
	ApplyAct(act, row)
}
