//go:build !noasm

package kernels

// sgemm12x32TabAVX512 computes the 12×32 tile C = A·B (+ C when beta is
// 1) from a packed A micro-panel, reading row p of B's tile at
// b + off[p] (columns 0–15) and b2 + off[p] (columns 16–31;
// fused_amd64.s): lanes of the first half under the mask lm & 0xffff at
// b + off[p] + lane, those under (lm >> 16) & 0xffff one float further,
// and the second half's likewise under (lm >> 32) and (lm >> 48) from b2.
// C is accessed under the column masks k1 (columns 0–15) and k2 (16–31).
//
//go:noescape
func sgemm12x32TabAVX512(kc int, a, b *float32, off *int, c *float32, ldc int, beta int, k1, k2 int, b2 *float32, lm uint64)

// sgemm8x32TabAVX512 is sgemm12x32TabAVX512 for an 8×32 tile.
//
//go:noescape
func sgemm8x32TabAVX512(kc int, a, b *float32, off *int, c *float32, ldc int, beta int, k1, k2 int, b2 *float32, lm uint64)

// tabAsm reports whether GemmPackedTab may read B through its table in
// place (it then also needs a fused kernel, see readsBInPlace); tests turn
// it off to compare with the gathering path.
var tabAsm = epAsm

// gemmTileTab computes the mr×32 tile at c (mr = kern.mr, all rows inside
// C, the first cols columns) of A·B (+ C when beta is 1), A a packed
// micro-panel of kb steps and row p of B's tile in b at off[p] plus the
// places of its halves h0 (columns 0–15) and h1 (16–31; not read when
// cols ≤ 16).
func gemmTileTab(kern *gemmKernel, kb int, a, b []float32, h0, h1 tabHalf, off []int, c []float32, ldc, beta, cols int) {
	mr := kern.mr
	_ = a[kb*mr-1]
	_ = off[kb-1]
	_ = c[(mr-1)*ldc+cols-1]
	k1 := uint64(1)<<min(cols, 16) - 1
	k2 := uint64(0)
	b2 := &b[h0.start]
	if cols > 16 {
		k2 = 1<<(cols-16) - 1
		b2 = &b[h1.start]
	}
	lo1 := k1 & (1<<h0.split - 1)
	lo2 := k2 & (1<<h1.split - 1)
	lm := lo1 | (k1&^lo1)<<16 | lo2<<32 | (k2&^lo2)<<48
	if mr == 8 {
		sgemm8x32TabAVX512(kb, &a[0], &b[h0.start], &off[0], &c[0], ldc, beta, int(k1), int(k2), b2, lm)
		return
	}
	sgemm12x32TabAVX512(kb, &a[0], &b[h0.start], &off[0], &c[0], ldc, beta, int(k1), int(k2), b2, lm)
}

// rowsAVX512 copies (mode 0), copies and zero-terminates (mode 1: dst[w]
// = 0 too) or adds (mode 2) rows of w floats, dst and src stepping by ldd
// and lds (im2col_amd64.s).
//
//go:noescape
func rowsAVX512(dst, src *float32, rows, w, ldd, lds, mode int)

// tabRows runs rowsAVX512, or rowsGo where im2colAsm is off.
func tabRows(dst, src []float32, rows, w, ldd, lds, mode int) {
	if rows <= 0 || w <= 0 {
		return
	}
	if !im2colAsm {
		rowsGo(dst, src, rows, w, ldd, lds, mode)
		return
	}
	wd := w
	if mode == rowsPad {
		wd++
	}
	_ = dst[(rows-1)*ldd+wd-1]
	_ = src[(rows-1)*lds+w-1]
	rowsAVX512(&dst[0], &src[0], rows, w, ldd, lds, mode)
}
