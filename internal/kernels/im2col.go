package kernels

import "fmt"

// ConvGeom describes a 2-D convolution (or pooling) window sliding over one
// image of one channel group.
type ConvGeom struct {
	C, H, W    int // input channels, height, width
	KH, KW     int // kernel height, width
	SH, SW     int // stride
	PadT, PadL int // zero padding before the first row / column
	DH, DW     int // dilation
	OH, OW     int // output height, width
}

// validRange returns the output columns [lo, hi) of a row whose tap lands
// inside the input: 0 ≤ x0 + ox·s < w, for s ≥ 1.
func validRange(x0, s, w, ow int) (lo, hi int) {
	if x0 < 0 {
		lo = (-x0 + s - 1) / s
	}
	if x0 < w {
		hi = (w - x0 + s - 1) / s // smallest ox with x0 + ox·s ≥ w
	}
	lo, hi = min(lo, ow), min(hi, ow)
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// Im2col unfolds img [C, H, W] into col [C·KH·KW, OH·OW]: row (c·KH+i)·KW+j
// holds, for every output position, the input pixel under kernel tap (i, j)
// of channel c, or 0 where the tap falls in the padding.
func Im2col(g *ConvGeom, img, col []float32) { im2colRows(g, img, col, 0, g.OH, g.OH*g.OW) }

// Im2colLd is Im2col into rows ld ≥ OH·OW floats apart: row r of the
// unfolded image is col[r·ld : r·ld+OH·OW], and the rest of each row is
// left as it was. Unfolding a batch's images side by side (image i at
// col[i·OH·OW:], ld = N·OH·OW) makes one [C·KH·KW, N·OH·OW] matrix.
func Im2colLd(g *ConvGeom, img, col []float32, ld int) {
	if ld < g.OH*g.OW {
		panic(fmt.Sprintf("kernels: Im2colLd row stride %d below the %d output pixels", ld, g.OH*g.OW))
	}
	im2colRows(g, img, col, 0, g.OH, ld)
}

// Im2colRows is Im2col for the output rows [oy0, oy1) only: col is
// [C·KH·KW, (oy1−oy0)·OW], row (c·KH+i)·KW+j holding the taps of those
// output rows. A convolution can so unfold and multiply its output a few
// rows at a time, with col small enough to stay in cache between the two.
func Im2colRows(g *ConvGeom, img, col []float32, oy0, oy1 int) {
	im2colRows(g, img, col, oy0, oy1, (oy1-oy0)*g.OW)
}

// im2colRows is Im2colRows with col's rows ld floats apart (ld ≥ the
// row's (oy1−oy0)·OW values).
func im2colRows(g *ConvGeom, img, col []float32, oy0, oy1, ld int) {
	if oy0 < 0 || oy1 > g.OH || oy0 > oy1 {
		panic(fmt.Sprintf("kernels: Im2colRows rows [%d, %d) of %d", oy0, oy1, g.OH))
	}
	oh := oy1 - oy0
	ohw := oh * g.OW
	rows := g.C * g.KH * g.KW
	pt := g.PadT - oy0*g.SH // PadT as seen from row oy0 (negative inside the image)
	if (g.SW == 1 || g.SW == 2) && im2colAsm && ohw > 0 && g.C*g.H*g.W > 0 {
		// Every address the tap kernels read lies in the plane of channel
		// c (rows y in [0, H), columns in [0, W): the loads are masked to
		// them) and every one they write in the tap's row of col: check
		// the slices' lengths once.
		_ = img[g.C*g.H*g.W-1]
		_ = col[(rows-1)*ld+ohw-1]
		for c := 0; c < g.C; c++ {
			for i := 0; i < g.KH; i++ {
				for j := 0; j < g.KW; j++ {
					x0 := -g.PadL + j*g.DW
					lo, hi := validRange(x0, g.SW, g.W, g.OW)
					dst, src := &col[((c*g.KH+i)*g.KW+j)*ld], &img[c*g.H*g.W]
					switch {
					case g.SW == 1 && g.OW <= 32:
						im2colTapSmallAVX512(dst, src, oh, g.OW, g.W, g.H, i*g.DH-pt, g.SH, x0, lo, hi)
					case g.SW == 1:
						im2colTapAVX512(dst, src, oh, g.OW, g.W, g.H, i*g.DH-pt, g.SH, x0, lo, hi)
					default:
						im2colTap2AVX512(dst, src, oh, g.OW, g.W, g.H, i*g.DH-pt, g.SH, x0, lo, hi)
					}
				}
			}
		}
		return
	}
	for c := 0; c < g.C; c++ {
		plane := img[c*g.H*g.W : (c+1)*g.H*g.W]
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				row := col[((c*g.KH+i)*g.KW+j)*ld:][:ohw]
				x0 := -g.PadL + j*g.DW
				lo, hi := validRange(x0, g.SW, g.W, g.OW)
				for oy := 0; oy < oh; oy++ {
					y := oy*g.SH - pt + i*g.DH
					dst := row[oy*g.OW : (oy+1)*g.OW]
					if y < 0 || y >= g.H || lo == hi {
						clear(dst)
						continue
					}
					src := plane[y*g.W : (y+1)*g.W]
					clear(dst[:lo])
					if g.SW == 1 {
						copy(dst[lo:hi], src[x0+lo:])
					} else {
						x := x0 + lo*g.SW
						for ox := lo; ox < hi; ox++ {
							dst[ox] = src[x]
							x += g.SW
						}
					}
					clear(dst[hi:])
				}
			}
		}
	}
}

// Col2im is the adjoint of Im2col: it adds every entry of col
// [C·KH·KW, OH·OW] into the input pixel img [C, H, W] it was taken from
// (entries taken from the padding are dropped). img is accumulated into, not
// overwritten.
func Col2im(g *ConvGeom, col, img []float32) {
	ohw := g.OH * g.OW
	if g.SW == 1 && g.W <= 16 && g.KH*g.KW <= col2imSmallTaps && im2colAsm && ohw > 0 && g.C*g.H*g.W > 0 {
		col2imSmall(g, col, img)
		return
	}
	if g.SW == 1 && im2colAsm && ohw > 0 && g.C*g.H*g.W > 0 {
		_ = img[g.C*g.H*g.W-1]
		_ = col[g.C*g.KH*g.KW*ohw-1]
		for c := 0; c < g.C; c++ {
			for i := 0; i < g.KH; i++ {
				for j := 0; j < g.KW; j++ {
					x0 := -g.PadL + j*g.DW
					lo, hi := validRange(x0, 1, g.W, g.OW)
					if g.OW <= 32 {
						col2imTapSmallAVX512(&img[c*g.H*g.W], &col[((c*g.KH+i)*g.KW+j)*ohw], g.OH, g.OW, g.W, g.H, i*g.DH-g.PadT, g.SH, x0, lo, hi)
						continue
					}
					col2imTapAVX512(&img[c*g.H*g.W], &col[((c*g.KH+i)*g.KW+j)*ohw], g.OH, g.OW, g.W, g.H, i*g.DH-g.PadT, g.SH, x0, lo, hi)
				}
			}
		}
		return
	}
	for c := 0; c < g.C; c++ {
		plane := img[c*g.H*g.W : (c+1)*g.H*g.W]
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				row := col[((c*g.KH+i)*g.KW+j)*ohw:][:ohw]
				x0 := -g.PadL + j*g.DW
				lo, hi := validRange(x0, g.SW, g.W, g.OW)
				if lo == hi {
					continue
				}
				for oy := 0; oy < g.OH; oy++ {
					y := oy*g.SH - g.PadT + i*g.DH
					if y < 0 || y >= g.H {
						continue
					}
					dst := plane[y*g.W : (y+1)*g.W]
					src := row[oy*g.OW+lo : oy*g.OW+hi]
					if g.SW == 1 {
						addRow(dst[x0+lo:][:len(src)], src)
						continue
					}
					x := x0 + lo*g.SW
					for _, v := range src {
						dst[x] += v
						x += g.SW
					}
				}
			}
		}
	}
}

// col2imSmall is Col2im for image rows of at most 16 columns and column
// stride 1, with AVX-512: row y of each channel is loaded once, takes the
// contributions of every tap (i, j) whose window row reaches it, in the
// tap loop's order (i, then j), and is stored once. Tap by tap, each small
// row was loaded and stored again for every tap, each store overlapping
// the next tap's load at a shifted offset (LeNet-5's conv2 input gradient:
// 14 % of a training step). Every element receives the same additions in
// the same order as in the tap-by-tap loop, so the bits are the same.
func col2imSmall(g *ConvGeom, col, img []float32) {
	ohw, hw, taps := g.OH*g.OW, g.H*g.W, g.KH*g.KW
	_ = img[g.C*hw-1]
	_ = col[g.C*taps*ohw-1]
	var offs [col2imSmallTaps]int
	var masks [col2imSmallTaps]uint16
	for y := 0; y < g.H; y++ {
		// The taps reaching row y, relative to a channel's first col row:
		// col row (i, j) at output row oy feeds columns x0+lo … x0+hi-1.
		n := 0
		for i := 0; i < g.KH; i++ {
			t := y + g.PadT - i*g.DH
			if t < 0 || t%g.SH != 0 || t/g.SH >= g.OH {
				continue
			}
			oy := t / g.SH
			for j := 0; j < g.KW; j++ {
				x0 := -g.PadL + j*g.DW
				lo, hi := validRange(x0, 1, g.W, g.OW)
				if lo == hi {
					continue
				}
				offs[n] = (i*g.KW+j)*ohw + oy*g.OW - x0
				masks[n] = uint16((1<<(hi-lo) - 1) << (x0 + lo))
				n++
			}
		}
		if n == 0 {
			continue
		}
		for c := 0; c < g.C; c++ {
			col2imRowAVX512(&img[c*hw+y*g.W], g.W, &col[c*taps*ohw], &offs[0], &masks[0], n)
		}
	}
}

// col2imSmallTaps bounds the kernel taps of col2imSmall (a 7×7 kernel's
// 49 fit).
const col2imSmallTaps = 64

// addRowGo is addRow's reference loop.
func addRowGo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}
