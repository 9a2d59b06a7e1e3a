package kernels

import "fmt"

// TabLayout is the padded layout from which a 3×3 convolution with stride
// 1, dilation 1 and padding 1 reads its input in place, unfolding nothing
// (GemmPackedTab, SgemmNTTab). Each channel's H×W plane is stored with row
// stride R = W+1 between a zero row above and one below: element (c, y, x)
// is at 1 + c·Plane + (y+1)·R + x, and column W of every stored row is
// zero. That one zero column is the right-hand padding of its row and the
// left-hand padding of the next, so tap (ky, kx) of output pixel (y, x)
// reads input (y+ky−1, x+kx−1) at Off(c, ky, kx) + y·R + x with
//
//	Off(c, ky, kx) = c·Plane + ky·R + kx
//
// for every pixel, padding included: the rows of the unfolded input
// (im2col) are the stored planes read at 9·C fixed offsets. A product
// over that "grid" of H·R columns computes one extra column per output row
// (x = W), which the caller drops (Unpad). A leading and a trailing zero
// element keep the first and last taps inside the buffer.
type TabLayout struct {
	C, H, W int // channels, height and width of the stored image
}

// Stride returns the row stride R = W+1 of the planes and of the grid.
func (l TabLayout) Stride() int { return l.W + 1 }

// Plane returns the floats per channel, (H+2)·R.
func (l TabLayout) Plane() int { return (l.H + 2) * (l.W + 1) }

// Len returns the length of a padded buffer: C·Plane + 2.
func (l TabLayout) Len() int { return l.C*l.Plane() + 2 }

// Grid returns the columns of a product over the layout: H·R, output pixel
// (y, x) in column y·R + x.
func (l TabLayout) Grid() int { return l.H * (l.W + 1) }

// Offsets returns the offsets Off(c, ky, kx) of the 9·C rows of the
// unfolded input, in im2col's order (row c·9 + ky·3 + kx).
func (l TabLayout) Offsets() []int {
	r, plane := l.Stride(), l.Plane()
	off := make([]int, 0, 9*l.C)
	for c := 0; c < l.C; c++ {
		for ky := 0; ky < 3; ky++ {
			for kx := 0; kx < 3; kx++ {
				off = append(off, c*plane+ky*r+kx)
			}
		}
	}
	return off
}

// Pad writes img [C, H, W] into dst (Len floats) in the layout, borders
// and guards zeroed.
func (l TabLayout) Pad(img, dst []float32) {
	c, h, w := l.C, l.H, l.W
	r, plane := l.Stride(), l.Plane()
	_ = img[c*h*w-1]
	_ = dst[l.Len()-1]
	dst[0] = 0
	for ch := 0; ch < c; ch++ {
		p := dst[1+ch*plane:][:plane]
		clear(p[:r])
		tabRows(p[r:], img[ch*h*w:], h, w, r, w, rowsPad)
		clear(p[(h+1)*r:])
	}
	dst[l.Len()-1] = 0
}

// Unpad copies (add false) or adds (add true) the grid [M, H·R] (row stride
// ldg) into dst [M, H, W], dropping each row's extra column.
func (l TabLayout) Unpad(m int, grid []float32, ldg int, dst []float32, add bool) {
	h, w, r := l.H, l.W, l.Stride()
	_ = dst[m*h*w-1]
	mode := rowsCopy
	if add {
		mode = rowsAdd
	}
	for i := 0; i < m; i++ {
		tabRows(dst[i*h*w:], grid[i*ldg:][:l.Grid()], h, w, w, r, mode)
	}
}

// The modes of tabRows and rowsGo.
const (
	rowsCopy = 0 // dst row = src row
	rowsPad  = 1 // the same, and the float after the row is zeroed
	rowsAdd  = 2 // dst row += src row
)

// rowsGo is the reference of tabRows: for rows rows, dst and src stepping
// by ldd and lds floats, it copies w floats (rowsCopy), copies them and
// zeroes dst[w] (rowsPad), or adds them to dst (rowsAdd).
func rowsGo(dst, src []float32, rows, w, ldd, lds, mode int) {
	for y := 0; y < rows; y++ {
		d, s := dst[y*ldd:][:w], src[y*lds:][:w]
		switch mode {
		case rowsAdd:
			for j, v := range s {
				d[j] += v
			}
		case rowsPad:
			copy(d, s)
			dst[y*ldd+w] = 0
		default:
			copy(d, s)
		}
	}
}

// checkTab panics unless every row off[p] … off[p]+cols−1 lies inside b.
func checkTab(name string, b []float32, off []int, cols int) {
	if len(off) == 0 || cols <= 0 {
		return
	}
	lo, hi := off[0], off[0]
	for _, o := range off {
		lo, hi = min(lo, o), max(hi, o)
	}
	if lo < 0 || hi+cols > len(b) {
		panic(fmt.Sprintf("kernels: %s: rows at offsets [%d, %d] of %d columns outside %d elements", name, lo, hi, cols, len(b)))
	}
}

// GemmPackedTab computes rows [m0, m1) and columns [n0, n1) of
//
//	C [M, N] = A [M, K] · B [K, N]   (+ C when beta is 1)
//
// where row p of B lies in b at off[p] (len(off) = K): GemmPacked for an
// operand whose rows lie anywhere in b, such as the unfolded input of a
// convolution in a TabLayout. With w = 0, column j of row p is
// b[off[p]+j]. With w > 0 the columns of C are the pixels of an image w
// wide and column j of row p is b[off[p]+j+⌊j/w⌋]: B skips one element
// after every w, so a product over a TabLayout's grid writes the output
// image [M, H·W] itself, without the grid's extra column (which Unpad
// would drop) and without its wasted tiles.
//
// The rules for m0, n0, ws and splitting the work over goroutines are
// GemmPacked's, and so is the arithmetic: every element's sum is formed as
// GemmPacked and Sgemm form it from the materialised B, so the result has
// the same bits. Products of few rows read B through the table in place
// (the AVX-512 kernels, when each half of a column tile skips at most one
// element: w = 0, 8 or at least 16); the others gather each block of B
// into packed panels first. It does not allocate.
func GemmPackedTab(p *PackedA, n int, b []float32, off []int, w int, c []float32, ldc, beta int, m0, m1, n0, n1 int, ws *GemmScratch) {
	kern := p.kern
	mr, nr := kern.mr, kern.nr
	m, k := p.M, p.K
	if m0 >= m1 || n0 >= n1 {
		return
	}
	if m0%mr != 0 || n0%nr != 0 || m0 < 0 || n0 < 0 || m1 > m || n1 > n || len(off) != k || (beta != 0 && beta != 1) || w < 0 {
		panic(fmt.Sprintf("kernels: GemmPackedTab rows [%d, %d) of %d, columns [%d, %d) of %d, %d offsets for K = %d, beta %d, width %d: bad arguments for a %dx%d tile", m0, m1, m, n0, n1, n, len(off), k, beta, w, mr, nr))
	}
	checkTab("GemmPackedTab B", b, off, tabColumn(n-1, w)+1)
	checkMatrix("C", m1, n1, c, ldc)
	mrr := roundUp(m, mr)
	nbMax := len(ws.b) / prepackKC
	strided := tabAsm && tabHalvesInPlace(w) && readsBInPlace(kern, m1-m0, n1-n0, k)
	for jc := n0; jc < n1; jc += nbMax {
		nb := min(nbMax, n1-jc)
		for pc := 0; pc < k; pc += prepackKC {
			kb := min(prepackKC, k-pc)
			offb := off[pc : pc+kb]
			bp := ws.b[:roundUp(nb, nr)*kb]
			if !strided {
				packBTab(b, offb, w, jc, nb, nr, bp)
			}
			bet := beta
			if pc > 0 {
				bet = 1 // later K blocks add to the partial sums
			}
			ablk := p.data[mrr*pc : mrr*pc+mrr*kb]
			for ir := m0; ir < m1; ir += mr {
				apan := ablk[ir*kb : (ir+mr)*kb]
				rows := min(mr, m1-ir)
				for jr := 0; jr < nb; jr += nr {
					cols := min(nr, nb-jr)
					col0 := jc + jr
					ct := c[ir*ldc+col0:]
					if strided {
						gemmTileTab(kern, kb, apan, b, tabHalfAt(col0, w), tabHalfAt(col0+16, w), offb, ct, ldc, bet, cols)
						continue
					}
					bpan := bp[jr*kb : (jr+nr)*kb]
					if rows == mr && gemmTileEp(kern, kb, apan, bpan, nr, ct, ldc, bet, nil, ir, col0, cols) {
						continue
					}
					if rows == mr && cols == nr {
						kern.fn(kb, apan, bpan, 1, ct, ldc, float32(bet))
						continue
					}
					kern.fn(kb, apan, bpan, 1, ws.tile[:mr*nr], nr, 0)
					storeTile(ct, ldc, ws.tile[:], nr, rows, cols, bet != 0)
				}
			}
		}
	}
}

// tabHalf is where a 16-column half of a column tile of GemmPackedTab's B
// lies in its rows: lanes below split at start + lane, the others at
// start + lane + 1 (past one skipped element).
type tabHalf struct{ start, split int }

// tabHalfAt returns the place of the half whose first column is j, j a
// multiple of 16, for tabHalvesInPlace widths.
func tabHalfAt(j, w int) tabHalf {
	if w == 0 {
		return tabHalf{j, 16}
	}
	return tabHalf{tabColumn(j, w), min(16, w-j%w)}
}

// tabHalvesInPlace reports whether the table kernels can read GemmPackedTab's
// B with width w in place: whether every 16-column half of a tile
// (starting at a multiple of 16) skips at most one element, which holds
// for w = 0, w = 8 and w ≥ 16.
func tabHalvesInPlace(w int) bool { return w == 0 || w == 8 || w >= 16 }

// tabColumn returns where column j of GemmPackedTab's B lies in its rows:
// j with w = 0, j + ⌊j/w⌋ otherwise.
func tabColumn(j, w int) int {
	if w == 0 {
		return j
	}
	return j + j/w
}

// packBTab packs columns [j0, j0+nb) of the kb rows of GemmPackedTab's B
// (row p at b[off[p]:], column j at tabColumn(j, w)) into panels of nr
// columns at dst (kb·nr floats each, zero-padded past nb), as packB packs
// a stored B.
func packBTab(b []float32, off []int, w, j0, nb, nr int, dst []float32) {
	kb := len(off)
	for jr := 0; jr < nb; jr += nr {
		panel := dst[jr*kb : (jr+nr)*kb]
		cols := min(nr, nb-jr)
		j := j0 + jr
		if nr == 32 && cols == 32 && (w == 0 || (w%32 == 0)) {
			// Whole panels inside one row of B: fixed-size copies, no
			// call per row.
			s := tabColumn(j, w)
			for p, o := range off {
				*(*[32]float32)(panel[p*32:]) = *(*[32]float32)(b[o+s:])
			}
			continue
		}
		if nr == 32 && cols == 32 && w == 16 && j%16 == 0 {
			// Two image rows of 16 pixels.
			s0, s1 := tabColumn(j, w), tabColumn(j+16, w)
			for p, o := range off {
				*(*[16]float32)(panel[p*32:]) = *(*[16]float32)(b[o+s0:])
				*(*[16]float32)(panel[p*32+16:]) = *(*[16]float32)(b[o+s1:])
			}
			continue
		}
		for p, o := range off {
			d := panel[p*nr : (p+1)*nr]
			// Runs of columns contiguous in B: up to the end of a row of w.
			for q := 0; q < cols; {
				run := cols - q
				if w > 0 {
					run = min(run, w-(j+q)%w)
				}
				copy(d[q:q+run], b[o+tabColumn(j+q, w):])
				q += run
			}
			clear(d[cols:])
		}
	}
}

// SgemmNTTab adds A·Bᵀ to C on the calling goroutine, as SgemmNT does,
// where row j of B [n, k] is b[off[j]:][:k] (len(off) = n): a
// convolution's weight gradient dY·colᵀ with the unfolded input read in
// place from a TabLayout. With few rows of A (the dot-product kernel's
// range) the dot products read B in place; otherwise the packed SGEMM
// gathers B's rows through the table straight into its transposed panels,
// so that nothing is unfolded either.
func SgemmNTTab(m, n, k int, a []float32, lda int, b []float32, off []int, c []float32, ldc int) {
	if len(off) != n {
		panic(fmt.Sprintf("kernels: SgemmNTTab: %d offsets for %d rows of B", len(off), n))
	}
	if m < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: SgemmNTTab: negative size %d×%d×%d", m, n, k))
	}
	if m == 0 || n == 0 || k == 0 {
		return
	}
	checkTab("SgemmNTTab B", b, off, k)
	checkMatrix("A", m, k, a, lda)
	checkMatrix("C", m, n, c, ldc)
	if dotKernel && m < sgemmNTDotMaxM {
		sgemmNTDot(m, n, k, a, lda, b, 0, off, c, ldc)
		return
	}
	sgemmBlocked(gemmKernelFor(m), false, true, m, n, k, 1, a, lda, b, 0, off, 1, c, ldc)
}

// SgemmNTTabInPlace reports whether SgemmNTTab with m rows of A reads B in
// place by dot products, without packing anything.
func SgemmNTTabInPlace(m int) bool { return dotKernel && m < sgemmNTDotMaxM }
