package kernels

import "fmt"

// Forward 3×3 convolutions (stride 1, padding 1) by tap broadcasts, the
// counterpart of TabWeightGrad: a tile of P pixels of one output row × T
// output channels stays in registers while, per input channel and window
// row, the weights of the row's three taps are loaded once (T channels
// each, from the transposed weights) and each of the row's P+2 input
// values is broadcast once and multiplied into every pixel it reaches. The
// 8×32 tile does 16 loads per 48 multiply-adds, the 16×16 one 21 per 48,
// against 10 per 16 for GemmPackedTab's 8×32 tile, whose input loads also
// straddle rows and cache lines; no offset table, and the weights stay in
// L1. The tile leaves pixel-major and is transposed into the output.

// TabConvForwardOK reports whether TabConvForward takes a layer with cout
// output channels and images w wide on this machine: 8-pixel tiles with
// a multiple of 32 channels, 16-pixel tiles with 16 channels.
func TabConvForwardOK(cout, w int) bool { return tapAsm && tapFwdShapeOK(cout, w) }

// tapFwdShapeOK reports whether the tiles cover cout and w.
func tapFwdShapeOK(cout, w int) bool {
	return cout > 0 && w > 0 && (cout%32 == 0 && w%8 == 0 || cout == 16 && w%16 == 0)
}

// TabConvWeights writes wt [Cin·9, Cout], the transpose of the weights w
// [Cout, Cin·9] (row stride ckk = Cin·9), as TabConvForward reads them.
func TabConvWeights(wt, w []float32, cout, ckk int) {
	_ = w[cout*ckk-1]
	_ = wt[cout*ckk-1]
	for co := range cout {
		row := w[co*ckk : (co+1)*ckk]
		for k, v := range row {
			wt[k*cout+co] = v
		}
	}
}

// TabConvForward writes one image's convolution (without bias) dst [Cout,
// H·W] = conv(x, w), x [C, H, W] held in pad in layout l, w given as wt
// (TabConvWeights), cout output channels: for every output channel co and
// pixel j, the sum over c, ky, kx in that order (im2col's order of rows)
// of w[co][c][ky][kx]·x[c][y+ky−1][x+kx−1], one fused multiply-add at a
// time from zero. It panics unless tapFwdShapeOK(cout, l.W).
func TabConvForward(l TabLayout, pad, wt []float32, cout int, dst []float32) {
	cin, h, w := l.C, l.H, l.W
	if !tapFwdShapeOK(cout, w) || cin < 1 || h < 1 {
		panic(fmt.Sprintf("kernels: TabConvForward of %+v with %d outputs: want a multiple of 32 outputs and rows of 8k pixels, or 16 outputs and rows of 16k", l, cout))
	}
	hw, r, plane := h*w, l.Stride(), l.Plane()
	if len(pad) < l.Len() || len(wt) < 9*cin*cout || len(dst) < cout*hw {
		panic(fmt.Sprintf("kernels: TabConvForward: input %d, weights %d, output %d floats, want %d, %d, %d", len(pad), len(wt), len(dst), l.Len(), 9*cin*cout, cout*hw))
	}
	p, t := 8, 32
	if cout == 16 {
		p, t = 16, 16
	}
	var buf [256]float32 // the tile, pixel-major [p, t]
	for co0 := 0; co0 < cout; co0 += t {
		for y := range h {
			for x0 := 0; x0 < w; x0 += p {
				// Output pixel (y, x0) under tap (0, 0): Off(0, 0, 0) + y·R + x0.
				tapFwdTile(p, t, cin, wt[co0:], cout, pad[y*r+x0:], r, plane, &buf)
				for h0 := 0; h0 < t; h0 += 16 {
					tapTranspose(dst[(co0+h0)*hw+y*w+x0:], hw, buf[h0:], t, p, 16)
				}
			}
		}
	}
}

// tapFwdTile computes the p×t tile into buf (pixel-major): pixel i, channel
// j = Σ_c Σ_ky Σ_kx wt[(c·9+ky·3+kx)·ldw+j] · x[c·plane+ky·r+kx+i].
func tapFwdTile(p, t, cin int, wt []float32, ldw int, x []float32, r, plane int, buf *[256]float32) {
	_ = wt[(cin*9-1)*ldw+t-1]
	_ = x[(cin-1)*plane+2*r+p+1]
	if tapAsm {
		if t == 32 {
			tapFwd8x32AVX512(cin, &wt[0], ldw, &x[0], r, plane, &buf[0])
		} else {
			tapFwd16x16AVX512(cin, &wt[0], ldw, &x[0], r, plane, &buf[0])
		}
		return
	}
	clear(buf[:p*t])
	for c := range cin {
		for tap := range 9 {
			wr := wt[(c*9+tap)*ldw : (c*9+tap)*ldw+t]
			xo := x[c*plane+tap/3*r+tap%3:]
			for i := range p {
				v := xo[i]
				a := buf[i*t : (i+1)*t]
				for j, wv := range wr {
					a[j] += wv * v
				}
			}
		}
	}
}
