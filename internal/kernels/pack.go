package kernels

// packA copies the mb×kb block of op(A) whose top-left element is at a[0]
// into dst as ⌈mb/gemmMR⌉ micro-panels. Micro-panel r holds rows
// [r·gemmMR, (r+1)·gemmMR) column by column: element (i, p) of the block goes
// to dst[r·gemmMR·kb + p·gemmMR + i%gemmMR] with r = i/gemmMR. Rows past mb
// are filled with zeros, so the micro-kernel never needs an edge case.
// op(A)(i, p) is a[i*lda+p], or a[p*lda+i] when transA is set.
func packA(transA bool, a []float32, lda, mb, kb int, dst []float32) {
	for ir := 0; ir < mb; ir += gemmMR {
		panel := dst[ir*kb : (ir+gemmMR)*kb]
		rows := min(gemmMR, mb-ir)
		if transA {
			// Row p of the stored matrix holds column p of op(A): the
			// gemmMR values of one panel column are contiguous.
			if rows == gemmMR {
				for p := 0; p < kb; p++ {
					src := (*[gemmMR]float32)(a[p*lda+ir:])
					d := (*[gemmMR]float32)(panel[p*gemmMR:])
					*d = *src
				}
				continue
			}
			for p := 0; p < kb; p++ {
				src := a[p*lda+ir:][:rows]
				d := panel[p*gemmMR : (p+1)*gemmMR]
				copy(d, src)
				clear(d[rows:])
			}
			continue
		}
		for i := 0; i < rows; i++ {
			src := a[(ir+i)*lda:][:kb]
			d := panel[i:]
			for p, v := range src {
				d[p*gemmMR] = v
			}
		}
		for i := rows; i < gemmMR; i++ {
			for p := 0; p < kb; p++ {
				panel[p*gemmMR+i] = 0
			}
		}
	}
}

// packB copies the kb×nb block of op(B) whose top-left element is at b[0]
// into dst as ⌈nb/gemmNR⌉ micro-panels. Micro-panel r holds columns
// [r·gemmNR, (r+1)·gemmNR) row by row: element (p, j) of the block goes to
// dst[r·gemmNR·kb + p·gemmNR + j%gemmNR] with r = j/gemmNR. Columns past nb
// are filled with zeros. op(B)(p, j) is b[p*ldb+j], or b[j*ldb+p] when
// transB is set.
func packB(transB bool, b []float32, ldb, kb, nb int, dst []float32) {
	for jr := 0; jr < nb; jr += gemmNR {
		panel := dst[jr*kb : (jr+gemmNR)*kb]
		cols := min(gemmNR, nb-jr)
		if transB {
			for j := 0; j < cols; j++ {
				src := b[(jr+j)*ldb:][:kb]
				d := panel[j:]
				for p, v := range src {
					d[p*gemmNR] = v
				}
			}
			for j := cols; j < gemmNR; j++ {
				for p := 0; p < kb; p++ {
					panel[p*gemmNR+j] = 0
				}
			}
			continue
		}
		if cols == gemmNR {
			for p := 0; p < kb; p++ {
				src := (*[gemmNR]float32)(b[p*ldb+jr:])
				d := (*[gemmNR]float32)(panel[p*gemmNR:])
				*d = *src
			}
			continue
		}
		for p := 0; p < kb; p++ {
			src := b[p*ldb+jr:][:cols]
			d := panel[p*gemmNR : (p+1)*gemmNR]
			copy(d, src)
			clear(d[cols:])
		}
	}
}
