package kernels

import "math"

// engPoolBuf is the length of EngMaxPoolPlanes' row buffer (on the stack):
// planes wider than it, with padding and the vector kernels' overrun, take
// the general loop.
const engPoolBuf = 2048

// EngMaxPoolPlanes is MaxPool2dPlanes (planes [lo, hi) of x [C, H, W] into
// y [C, OH, OW], on the calling goroutine) restructured as two passes per
// output row, for undilated windows (ResNet's 3×3 stride-2 pool, VGG's and
// LeNet's 2×2):
//
//	v [PadL + W + …] = −Inf, then v[PadL+ix] = max over the window's input rows iy of x[iy][ix]
//	y[oy][ox]        = max(v[ox·SW], …, v[ox·SW + KW − 1])
//
// so each input element is compared about KH/SH + KW/SW times instead of
// KH·KW. Where the CPU has AVX-512 both passes run 16 lanes at a time
// (eng_pool_amd64.s; the horizontal one for strides 1 and 2). The padding
// taps are −Inf, which changes no maximum, and a window wholly in the
// padding gives −Inf as in MaxPool2dPlanes. Max is exact, so the values
// are MaxPool2dPlanes': NaN wins (which NaN, if a window holds several, may
// differ), and a −0/+0 tie may come out as either. Dilated windows and
// planes too wide for the row buffer go to MaxPool2dPlanes. It does not
// allocate.
func EngMaxPoolPlanes(g *ConvGeom, x, y []float32, lo, hi int) {
	// The buffer covers the padded row and every tap the horizontal pass
	// reads, whole 16-output blocks included (see engHMax).
	n := max(g.PadL+g.W, g.SW*16*((g.OW+15)/16)+g.KW)
	if g.DW != 1 || g.DH != 1 || n > engPoolBuf || g.OW < 1 || g.W < 1 {
		MaxPool2dPlanes(g, x, y, lo, hi)
		return
	}
	if poolVector && g.KH == 3 && g.KW == 3 && g.SH == 1 && g.SW == 1 && g.PadT == 1 && g.PadL == 1 &&
		g.OH == g.H && g.OW == g.W && g.W <= 32 && lo < hi {
		// GoogLeNet's branch pools on small planes: a whole plane per
		// pass of rows in registers instead of two calls per row (512
		// planes of 14×14: 0.15 → 0.03 ms).
		hw := g.H * g.W
		_, _ = x[hi*hw-1], y[hi*hw-1]
		engMaxPool3x3S1AVX512(&x[lo*hw], &y[lo*hw], g.H, g.W, hi-lo)
		return
	}
	var buf [engPoolBuf]float32
	b := buf[:n]
	negInf := float32(math.Inf(-1))
	for i := range b[:g.PadL] {
		b[i] = negInf
	}
	for i := g.PadL + g.W; i < n; i++ {
		b[i] = negInf
	}
	v := b[g.PadL : g.PadL+g.W]
	hw, ohw := g.H*g.W, g.OH*g.OW
	for c := lo; c < hi; c++ {
		xp, yp := x[c*hw:(c+1)*hw], y[c*ohw:(c+1)*ohw]
		for oy := 0; oy < g.OH; oy++ {
			out := yp[oy*g.OW : (oy+1)*g.OW]
			y0 := oy*g.SH - g.PadT
			y1 := min(y0+g.KH, g.H)
			y0 = max(y0, 0)
			if y0 >= y1 {
				for i := range out {
					out[i] = negInf
				}
				continue
			}
			engVMax(v, xp, g.W, y0, y1)
			engHMax(out, b, g.KW, g.SW)
		}
	}
}

// engVMax sets v [W] to the element-wise maximum of rows [y0, y1) (at
// least one) of the plane xp [H, W], three rows per pass.
func engVMax(v, xp []float32, w, y0, y1 int) {
	row := func(iy int) []float32 { return xp[iy*w : (iy+1)*w] }
	if y1-y0 == 1 {
		copy(v, row(y0))
		return
	}
	engMax3(v, row(y0), row(y0+1), row(min(y0+2, y1-1)))
	for iy := y0 + 3; iy < y1; iy += 2 {
		engMax3(v, v, row(iy), row(min(iy+1, y1-1)))
	}
}

// engMax3 sets dst[i] = max(a[i], b[i], c[i]) for i < len(dst) (NaN wins).
// dst may be a.
func engMax3(dst, a, b, c []float32) {
	if poolVector && len(dst) > 0 {
		_, _, _ = a[len(dst)-1], b[len(dst)-1], c[len(dst)-1]
		engMax3AVX512(&dst[0], &a[0], &b[0], &c[0], len(dst))
		return
	}
	engMax3Go(dst, a, b, c)
}

// engMax3Go is engMax3's reference loop.
func engMax3Go(dst, a, b, c []float32) {
	a, b, c = a[:len(dst)], b[:len(dst)], c[:len(dst)]
	for i := range dst {
		dst[i] = max(a[i], b[i], c[i])
	}
}

// engHMax sets dst[o] = max(src[o·sw], …, src[o·sw + kw − 1]) for
// o < len(dst) (NaN wins). src must hold sw·16·⌈len(dst)/16⌉ + kw − 1
// elements: the vector kernels read whole blocks of 16 outputs' taps.
func engHMax(dst, src []float32, kw, sw int) {
	n := len(dst)
	if need := sw*16*((n+15)/16) + kw - 1; len(src) < need {
		panic("kernels: engHMax: source shorter than its blocks")
	}
	switch {
	case poolVector && sw == 1:
		engHMaxS1AVX512(&dst[0], &src[0], n, kw)
	case poolVector && sw == 2:
		engHMaxS2AVX512(&dst[0], &src[0], n, kw)
	default:
		engHMaxGo(dst, src, kw, sw)
	}
}

// engHMaxGo is engHMax's reference loop.
func engHMaxGo(dst, src []float32, kw, sw int) {
	for o := range dst {
		w := src[o*sw : o*sw+kw]
		m := w[0]
		for _, t := range w[1:] {
			m = max(m, t)
		}
		dst[o] = m
	}
}
