package kernels

import "unsafe"

// packA copies the mb×kb block of op(A) whose top-left element is at a[0]
// into dst as ⌈mb/mr⌉ micro-panels. Micro-panel r holds rows
// [r·mr, (r+1)·mr) column by column: element (i, p) of the block goes to
// dst[r·mr·kb + p·mr + i%mr] with r = i/mr. Rows past mb are filled with
// zeros, so the micro-kernel never needs an edge case. op(A)(i, p) is
// a[i*lda+p], or a[p*lda+i] when transA is set.
func packA(transA bool, a []float32, lda, mb, kb, mr int, dst []float32) {
	for ir := 0; ir < mb; ir += mr {
		panel := dst[ir*kb : (ir+mr)*kb]
		rows := min(mr, mb-ir)
		if transA {
			// Row p of the stored matrix holds column p of op(A): the mr
			// values of one panel column are contiguous. Whole panels of
			// the kernels' shapes copy fixed-size arrays, which compile to
			// a few moves instead of a call to memmove per column.
			switch {
			case rows == 12 && mr == 12:
				for p := 0; p < kb; p++ {
					*(*[12]float32)(panel[p*12:]) = *(*[12]float32)(a[p*lda+ir:])
				}
				continue
			case rows == 8 && mr == 8:
				for p := 0; p < kb; p++ {
					*(*[8]float32)(panel[p*8:]) = *(*[8]float32)(a[p*lda+ir:])
				}
				continue
			case rows == 6 && mr == 6:
				for p := 0; p < kb; p++ {
					*(*[6]float32)(panel[p*6:]) = *(*[6]float32)(a[p*lda+ir:])
				}
				continue
			}
			for p := 0; p < kb; p++ {
				d := panel[p*mr : (p+1)*mr]
				copy(d, a[p*lda+ir:][:rows])
				clear(d[rows:])
			}
			continue
		}
		if rows == mr {
			if mr <= 16 && transposeAsm {
				packAPanelAVX512(a[ir*lda:], lda, kb, mr, panel)
				continue
			}
			packAPanel(a[ir*lda:], lda, kb, mr, panel)
			continue
		}
		// Column p of the panel gathers element p of each of the rows: the
		// writes are contiguous and each row is read in order.
		var src [gemmMaxMR][]float32
		for i := 0; i < rows; i++ {
			src[i] = a[(ir+i)*lda:][:kb]
		}
		for p := 0; p < kb; p++ {
			d := panel[p*mr : (p+1)*mr]
			for i, row := range src[:rows] {
				d[i] = row[p]
			}
			clear(d[rows:])
		}
	}
}

// packB copies the kb×nb block of op(B) whose top-left element is at b[0]
// into dst as ⌈nb/nr⌉ micro-panels. Micro-panel r holds columns
// [r·nr, (r+1)·nr) row by row: element (p, j) of the block goes to
// dst[r·nr·kb + p·nr + j%nr] with r = j/nr. Columns past nb are filled
// with zeros. op(B)(p, j) is b[p*ldb+j], or b[j*ldb+p] when transB is set.
func packB(transB bool, b []float32, ldb, kb, nb, nr int, dst []float32) {
	if !transB && nr == 32 && transposeAsm {
		// Row by row, every panel and the zero-padded tail in one pass.
		_ = b[(kb-1)*ldb+nb-1]
		_ = dst[roundUp(nb, 32)*kb-1]
		packBRows32AVX512(&dst[0], &b[0], kb, ldb, nb/32, nb%32)
		return
	}
	if !transB && nr == 32 {
		// Row by row: each row of B is read once, in order, which the
		// hardware prefetcher follows across pages; the whole panels are
		// filled with fixed-size copies.
		whole := nb / 32 * 32
		for p := 0; p < kb; p++ {
			row := b[p*ldb : p*ldb+nb]
			for jr := 0; jr < whole; jr += 32 {
				*(*[32]float32)(dst[jr*kb+p*32:]) = *(*[32]float32)(row[jr:])
			}
		}
		if whole == nb {
			return
		}
		b, nb, dst = b[whole:], nb-whole, dst[whole*kb:]
	}
	for jr := 0; jr < nb; jr += nr {
		panel := dst[jr*kb : (jr+nr)*kb]
		cols := min(nr, nb-jr)
		if transB && nr == 32 && transposeAsm {
			packBPanelT32AVX512(b[jr*ldb:], ldb, kb, cols, panel)
			continue
		}
		if transB {
			// As in packA: gather row p of the panel from the stored rows
			// of B, writing contiguously.
			var src [gemmMaxNR][]float32
			for j := 0; j < cols; j++ {
				src[j] = b[(jr+j)*ldb:][:kb]
			}
			for p := 0; p < kb; p++ {
				d := panel[p*nr : (p+1)*nr]
				for j, col := range src[:cols] {
					d[j] = col[p]
				}
				clear(d[cols:])
			}
			continue
		}
		if cols == nr {
			// Whole rows: fixed-size copies for the shapes in use, which
			// the compiler turns into a few vector moves.
			switch nr {
			case 32:
				for p := 0; p < kb; p++ {
					*(*[32]float32)(panel[p*32:]) = *(*[32]float32)(b[p*ldb+jr:])
				}
				continue
			case 16:
				for p := 0; p < kb; p++ {
					*(*[16]float32)(panel[p*16:]) = *(*[16]float32)(b[p*ldb+jr:])
				}
				continue
			case 4:
				for p := 0; p < kb; p++ {
					*(*[4]float32)(panel[p*4:]) = *(*[4]float32)(b[p*ldb+jr:])
				}
				continue
			}
		}
		for p := 0; p < kb; p++ {
			d := panel[p*nr : (p+1)*nr]
			copy(d, b[p*ldb+jr:][:cols])
			clear(d[cols:])
		}
	}
}

// packAPanel packs one whole micro-panel of a non-transposed A: rows
// [0, mr) and columns [0, kb) of the matrix at a[0] with row stride lda go
// to dst[p*mr+i]. It is packA's hot path, a transpose: it reads eight
// columns of every row at a time and writes them to eight panel columns,
// addressing both sides by pointer once the bounds are checked (every
// address formed lies inside a or dst).
func packAPanel(a []float32, lda, kb, mr int, dst []float32) {
	_ = a[(mr-1)*lda+kb-1]
	_ = dst[mr*kb-1]
	src := unsafe.Pointer(&a[0])
	out := unsafe.Pointer(&dst[0])
	col := mr * 4 // bytes from one panel column to the next
	p := 0
	for ; p+8 <= kb; p += 8 {
		for i := range mr {
			v := *(*[8]float32)(unsafe.Add(src, (i*lda+p)*4))
			d := unsafe.Add(out, (p*mr+i)*4)
			*(*float32)(d) = v[0]
			*(*float32)(unsafe.Add(d, col)) = v[1]
			*(*float32)(unsafe.Add(d, 2*col)) = v[2]
			*(*float32)(unsafe.Add(d, 3*col)) = v[3]
			*(*float32)(unsafe.Add(d, 4*col)) = v[4]
			*(*float32)(unsafe.Add(d, 5*col)) = v[5]
			*(*float32)(unsafe.Add(d, 6*col)) = v[6]
			*(*float32)(unsafe.Add(d, 7*col)) = v[7]
		}
	}
	for ; p < kb; p++ {
		for i := range mr {
			*(*float32)(unsafe.Add(out, (p*mr+i)*4)) = *(*float32)(unsafe.Add(src, (i*lda+p)*4))
		}
	}
}

// packAPanelAVX512 is packAPanel for mr ≤ 16 by mr×16 block transposes:
// rows [0, mr) and columns [0, kb) of the matrix at a[0] (row stride lda)
// go to dst[p*mr+i].
func packAPanelAVX512(a []float32, lda, kb, mr int, dst []float32) {
	_ = a[(mr-1)*lda+kb-1]
	_ = dst[mr*kb-1]
	for p := 0; p < kb; p += 16 {
		transposeAVX512(&dst[p*mr], mr, &a[p], lda, mr, min(16, kb-p))
	}
}

// packBTabT packs columns [p0, p0+kb) of the transposed B whose row j
// (column j of B) is b[off[j]:], j < len(off), into panels of nr columns
// at dst, as packB packs a stored transposed B: panel element (p, j) =
// b[off[jr+j]+p0+p], zero past the last column. The rows are a
// convolution's unfolded input in a TabLayout, gathered and transposed in
// one pass instead of unfolded first.
func packBTabT(b []float32, off []int, p0, kb, nr int, dst []float32) {
	nb := len(off)
	for jr := 0; jr < nb; jr += nr {
		panel := dst[jr*kb : (jr+nr)*kb]
		cols := min(nr, nb-jr)
		if nr == 32 && transposeAsm {
			if cols < 32 {
				clear(panel)
			}
			for h := 0; h < cols; h += 16 {
				rows := min(16, cols-h)
				for p := 0; p < kb; p += 16 {
					transposeTabAVX512(&panel[p*32+h], 32, &b[p0+p], &off[jr+h], rows, min(16, kb-p))
				}
			}
			continue
		}
		for p := 0; p < kb; p++ {
			d := panel[p*nr : (p+1)*nr]
			for j, o := range off[jr : jr+cols] {
				d[j] = b[o+p0+p]
			}
			clear(d[cols:])
		}
	}
}

// packBPanelT32AVX512 packs one 32-column panel of a transposed B (stored
// [n, k]): column j < cols of the panel is row j of the stored matrix at
// b[j*ldb:], so panel element (p, j) = b[j*ldb+p], by 16×16 block
// transposes; columns past cols are zero.
func packBPanelT32AVX512(b []float32, ldb, kb, cols int, dst []float32) {
	_ = b[(cols-1)*ldb+kb-1]
	dst = dst[:32*kb]
	if cols < 32 {
		clear(dst)
	}
	for h := 0; h < cols; h += 16 {
		rows := min(16, cols-h)
		for p := 0; p < kb; p += 16 {
			transposeAVX512(&dst[p*32+h], 32, &b[h*ldb+p], ldb, rows, min(16, kb-p))
		}
	}
}
