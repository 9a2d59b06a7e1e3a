package kernels

import "math"

// Pooling kernels. Every function here works on a stack of independent
// planes: g.C counts the planes (for an NCHW tensor that is N·C), each plane
// is g.H×g.W input pixels and g.OH×g.OW output pixels. Work is split over
// planes with ParallelFor, so results never depend on the thread count.
//
// Window geometry follows PyTorch's CPU kernels: output (oy, ox) covers input
// rows oy·SH − PadT + i·DH for i in [0, KH) and columns likewise. The
// bottom / right padding matters only to the divisor of average pooling
// with countIncludePad: it equals PadT / PadL (PyTorch's symmetric padding)
// except in AvgPool2dPadded.

// poolGrain returns a ParallelFor grain (in planes) so that each goroutine
// gets roughly 32k window taps of work at least.
func poolGrain(perPlane int) int {
	if perPlane < 1 {
		perPlane = 1
	}
	return max(1, 32768/perPlane)
}

// MaxPool2d writes into y [C, OH, OW] the maximum of every window of x
// [C, H, W] (taps in the padding are ignored). If argmax is not nil (length
// C·OH·OW) it receives, for every output, the index within its plane
// (row·W + column) of the input element chosen, for MaxPool2dBackward.
//
// The tie rule is PyTorch's: scanning the window in row-major order, an
// element replaces the current maximum when it is greater or is NaN, so the
// first of equal maxima wins and NaN propagates (the last NaN is chosen). A
// window without any tap inside the input (possible only with a large
// dilation) gives −Inf and argmax −1.
//
// The reference loop, per plane c and output (oy, ox), is:
//
//	best, at := −Inf, first tap inside the input
//	for each tap (y, x) of the window inside the input, row-major:
//		if v := x[c][y][x]; v > best || v != v { best, at = v, y·W + x }
//	y[c][oy][ox], argmax[c][oy][ox] = best, at
func MaxPool2d(g *ConvGeom, x, y []float32, argmax []int32) {
	hw, ohw := g.H*g.W, g.OH*g.OW
	ParallelFor(g.C, poolGrain(ohw*g.KH*g.KW), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			var am []int32
			if argmax != nil {
				am = argmax[c*ohw : (c+1)*ohw]
			}
			poolMaxPlane(g, x[c*hw:(c+1)*hw], y[c*ohw:(c+1)*ohw], am)
		}
	})
}

// poolMaxPlane is MaxPool2d for one plane.
func poolMaxPlane(g *ConvGeom, x, y []float32, argmax []int32) {
	if g.KH == 2 && g.KW == 2 && g.SH == 2 && g.SW == 2 && g.PadT == 0 && g.PadL == 0 &&
		g.DH == 1 && g.DW == 1 && 2*g.OH <= g.H && 2*g.OW <= g.W {
		poolMax2x2Plane(g, x, y, argmax)
		return
	}
	if g.KH == 3 && g.KW == 3 && g.SH == 2 && g.SW == 2 && g.DH == 1 && g.DW == 1 {
		poolMax3x3S2Plane(g, x, y, argmax)
		return
	}
	if MaxPoolIsSubsample(g) {
		poolMax1x1Plane(g, x, y, argmax)
		return
	}
	poolMaxPlaneGeneral(g, x, y, argmax)
}

// poolMax1x1Plane is poolMaxPlane for a 1×1 window without padding, every
// window inside the input: a strided subsample (the CIFAR ResNets'
// option-A shortcut), each output its one tap and that tap's index. (The
// general loop took 3.8 ms of a batch-128 ResNet-20 training step for
// its two shortcuts.)
func poolMax1x1Plane(g *ConvGeom, x, y []float32, argmax []int32) {
	for oy := 0; oy < g.OH; oy++ {
		row := oy * g.SH * g.W
		out := y[oy*g.OW : (oy+1)*g.OW]
		for ox := range out {
			out[ox] = x[row+ox*g.SW]
		}
		if argmax != nil {
			am := argmax[oy*g.OW : (oy+1)*g.OW]
			for ox := range am {
				am[ox] = int32(row + ox*g.SW)
			}
		}
	}
}

// MaxPoolIsSubsample reports whether max pooling with geometry g is a
// plain strided subsample: a 1×1 window without padding, every window
// inside the input (poolMax1x1Plane's case, and the CIFAR ResNets' option-A
// shortcut). Its argmax is then known in advance, so the training pass
// needs none: MaxPool2d can run with a nil argmax and the backward pass
// with MaxPoolSubsampleBackward.
func MaxPoolIsSubsample(g *ConvGeom) bool {
	return g.KH == 1 && g.KW == 1 && g.PadT == 0 && g.PadL == 0 && g.OH >= 1 && g.OW >= 1 &&
		(g.OH-1)*g.SH < g.H && (g.OW-1)*g.SW < g.W
}

// MaxPoolSubsampleBackward is MaxPool2dBackward for a geometry for which
// MaxPoolIsSubsample holds: it adds dy [C, OH, OW] into dx [C, H, W] at
// row oy·SH, column ox·SW, the index poolMax1x1Plane's argmax holds.
func MaxPoolSubsampleBackward(g *ConvGeom, dy, dx []float32) {
	if !MaxPoolIsSubsample(g) {
		panic("kernels: MaxPoolSubsampleBackward of a pooling that is not a subsample")
	}
	hw, ohw := g.H*g.W, g.OH*g.OW
	_, _ = dy[g.C*ohw-1], dx[g.C*hw-1]
	ParallelFor(g.C, poolGrain(ohw), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			plane := dx[c*hw : (c+1)*hw]
			src := dy[c*ohw : (c+1)*ohw]
			for oy := 0; oy < g.OH; oy++ {
				row := plane[oy*g.SH*g.W:]
				for ox, v := range src[oy*g.OW : (oy+1)*g.OW] {
					row[ox*g.SW] += v
				}
			}
		}
	})
}

// poolMax3x3S2Plane is poolMaxPlane for the 3×3 window with stride 2 of
// the ResNet and GoogLeNet stems: windows wholly inside the input take the
// nine comparisons of poolMaxPlaneGeneral in its order (row by row, first
// maximum wins, NaN wins) without branches (maxStep); those that overlap
// the padding take the general loop. (The general loop's data-dependent
// branches mispredicted on every other tap: 36 ns per output, 5 % of a
// ResNet-18 training step.)
func poolMax3x3S2Plane(g *ConvGeom, x, y []float32, argmax []int32) {
	w := g.W
	// Output columns [ox0, ox1) have their windows inside the columns of
	// the input.
	ox0 := min((g.PadL+1)/2, g.OW)
	ox1 := ox0
	if t := w - 3 + g.PadL; t >= 0 {
		ox1 = max(ox0, min(t/2+1, g.OW))
	}
	for oy := 0; oy < g.OH; oy++ {
		y0 := 2*oy - g.PadT
		if y0 < 0 || y0+3 > g.H {
			poolMaxRowGeneral(g, x, y, argmax, oy, 0, g.OW)
			continue
		}
		poolMaxRowGeneral(g, x, y, argmax, oy, 0, ox0)
		r0 := x[y0*w : (y0+1)*w]
		r1 := x[(y0+1)*w : (y0+2)*w]
		r2 := x[(y0+2)*w : (y0+3)*w]
		out := y[oy*g.OW : (oy+1)*g.OW]
		var am []int32
		if argmax != nil {
			am = argmax[oy*g.OW : (oy+1)*g.OW]
		}
		first := ox0
		if ox1 > ox0 {
			i := 2*ox0 - g.PadL
			var amr []int32
			if am != nil {
				amr = am[ox0:ox1]
			}
			first += poolMax3x3S2Row(r0[i:], r1[i:], r2[i:], out[ox0:ox1], amr, ox1-ox0, y0*w+i, w)
		}
		for ox := first; ox < ox1; ox++ {
			i := 2*ox - g.PadL
			a0 := int32(y0*w + i)
			a1, a2 := a0+int32(w), a0+int32(2*w)
			best, at := r0[i], a0
			best, at = maxStep(best, at, r0[i+1], a0+1)
			best, at = maxStep(best, at, r0[i+2], a0+2)
			best, at = maxStep(best, at, r1[i], a1)
			best, at = maxStep(best, at, r1[i+1], a1+1)
			best, at = maxStep(best, at, r1[i+2], a1+2)
			best, at = maxStep(best, at, r2[i], a2)
			best, at = maxStep(best, at, r2[i+1], a2+1)
			best, at = maxStep(best, at, r2[i+2], a2+2)
			out[ox] = best
			if am != nil {
				am[ox] = at
			}
		}
		poolMaxRowGeneral(g, x, y, argmax, oy, ox1, g.OW)
	}
}

// poolMaxRowGeneral runs poolMaxPlaneGeneral's loop for output row oy,
// columns [ox0, ox1).
func poolMaxRowGeneral(g *ConvGeom, x, y []float32, argmax []int32, oy, ox0, ox1 int) {
	negInf := float32(math.Inf(-1))
	y0 := oy*g.SH - g.PadT
	y1 := min(y0+(g.KH-1)*g.DH+1, g.H)
	for y0 < 0 {
		y0 += g.DH
	}
	for ox := ox0; ox < ox1; ox++ {
		x0 := ox*g.SW - g.PadL
		x1 := min(x0+(g.KW-1)*g.DW+1, g.W)
		for x0 < 0 {
			x0 += g.DW
		}
		best, at := negInf, int32(-1)
		if y0 < y1 && x0 < x1 {
			at = int32(y0*g.W + x0)
		}
		for iy := y0; iy < y1; iy += g.DH {
			row := x[iy*g.W : (iy+1)*g.W]
			for ix := x0; ix < x1; ix += g.DW {
				if v := row[ix]; v > best || v != v {
					best, at = v, int32(iy*g.W+ix)
				}
			}
		}
		o := oy*g.OW + ox
		y[o] = best
		if argmax != nil {
			argmax[o] = at
		}
	}
}

// poolMaxPlaneGeneral is poolMaxPlane for any window, stride, padding and
// dilation.
func poolMaxPlaneGeneral(g *ConvGeom, x, y []float32, argmax []int32) {
	for oy := 0; oy < g.OH; oy++ {
		poolMaxRowGeneral(g, x, y, argmax, oy, 0, g.OW)
	}
}

// poolMax2x2Plane is poolMaxPlane for the common 2×2 window with stride 2
// and no padding (every window inside the input): the same comparisons in
// the same order (first maximum wins, NaN wins), without the general loop's
// window arithmetic, and without branches (maxStep), as on real data the
// comparisons' outcomes are as good as random. With AVX-512 the whole plane
// goes to poolMax2x2PlaneAVX512, 16 windows at a time (this Go loop had
// taken 12 % of a LeNet-5 training step).
func poolMax2x2Plane(g *ConvGeom, x, y []float32, argmax []int32) {
	if poolMax2x2PlaneVec(g, x, y, argmax) {
		return
	}
	w := g.W
	for oy := 0; oy < g.OH; oy++ {
		base := int32(2 * oy * w)
		r0 := x[2*oy*w:][:2*g.OW]
		r1 := x[2*oy*w+w:][:2*g.OW]
		out := y[oy*g.OW : (oy+1)*g.OW]
		var am []int32
		if argmax != nil {
			am = argmax[oy*g.OW:][:len(out)]
		}
		for ox := range out {
			i := 2 * ox
			at := base + int32(i)
			best, at := maxStep(r0[i], at, r0[i+1], at+1)
			best, at = maxStep(best, at, r1[i], base+int32(w+i))
			best, at = maxStep(best, at, r1[i+1], base+int32(w+i+1))
			out[ox] = best
			if am != nil {
				am[ox] = at
			}
		}
	}
}

// maxStep returns (v, j) if v > best or v is NaN, else (best, at): one step
// of the window scan, done with masks so that it compiles without a branch.
func maxStep(best float32, at int32, v float32, j int32) (float32, int32) {
	var gt, nan uint32
	if v > best {
		gt = 1
	}
	if v != v {
		nan = 1
	}
	take := -(gt | nan) // all ones to take v
	bb := math.Float32bits(best)&^take | math.Float32bits(v)&take
	return math.Float32frombits(bb), at&^int32(take) | j&int32(take)
}

// MaxPool2dBackward adds every element of dy [C, OH, OW] into dx [C, H, W]
// at the position argmax (from MaxPool2d) names; entries of −1 are skipped.
// dx is accumulated into, not overwritten.
func MaxPool2dBackward(g *ConvGeom, argmax []int32, dy, dx []float32) {
	hw, ohw := g.H*g.W, g.OH*g.OW
	ParallelFor(g.C, poolGrain(ohw), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			plane := dx[c*hw : (c+1)*hw]
			src := dy[c*ohw : (c+1)*ohw]
			for o, at := range argmax[c*ohw : (c+1)*ohw] {
				if at >= 0 {
					plane[at] += src[o]
				}
			}
		}
	})
}

// poolAvgWindow returns the clipped window [y0, y1) × [x0, x1) of output
// (oy, ox) and its divisor, as PyTorch's CPU avg_pool2d computes them: with
// countIncludePad the divisor is the window's area after clipping to the
// padded input, which extends padB rows below and padR columns right of the
// input (this matters in ceil mode), otherwise the number of taps inside the
// input. g.DH and g.DW are ignored (average pooling has no dilation).
func poolAvgWindow(g *ConvGeom, padB, padR, oy, ox int, countIncludePad bool) (y0, y1, x0, x1 int, div float32) {
	y0 = oy*g.SH - g.PadT
	x0 = ox*g.SW - g.PadL
	y1 = min(y0+g.KH, g.H+padB)
	x1 = min(x0+g.KW, g.W+padR)
	padded := (y1 - y0) * (x1 - x0)
	y0, x0 = max(y0, 0), max(x0, 0)
	y1, x1 = min(y1, g.H), min(x1, g.W)
	if countIncludePad {
		return y0, y1, x0, x1, float32(padded)
	}
	return y0, y1, x0, x1, float32((y1 - y0) * (x1 - x0))
}

// AvgPool2d writes into y [C, OH, OW] the average of every window of x
// [C, H, W]. The divisor follows PyTorch (see poolAvgWindow): the taps inside
// the input, or with countIncludePad the window clipped to the padded input.
// Sums run in float32 in row-major window order, as PyTorch's CPU kernel
// does; an empty window gives 0. g's dilation is ignored. The padding is
// symmetric: AvgPool2dPadded with padB = g.PadT and padR = g.PadL.
func AvgPool2d(g *ConvGeom, countIncludePad bool, x, y []float32) {
	AvgPool2dPadded(g, g.PadT, g.PadL, countIncludePad, x, y)
}

// AvgPool2dPadded is AvgPool2d with padB rows of padding below the input
// and padR columns right of it, which may differ from g.PadT and g.PadL
// (ONNX's four independent pads); only the countIncludePad divisor
// depends on them.
func AvgPool2dPadded(g *ConvGeom, padB, padR int, countIncludePad bool, x, y []float32) {
	ParallelFor(g.C, poolGrain(g.OH*g.OW*g.KH*g.KW), func(lo, hi int) {
		AvgPool2dPlanes(g, padB, padR, countIncludePad, x, y, lo, hi)
	})
}

// AvgPool2dBackward adds into dx [C, H, W] the gradient of AvgPool2d given
// dy [C, OH, OW]: each dy element divided by its window's divisor, added to
// every input pixel of its window. dx is accumulated into.
func AvgPool2dBackward(g *ConvGeom, countIncludePad bool, dy, dx []float32) {
	AvgPool2dPaddedBackward(g, g.PadT, g.PadL, countIncludePad, dy, dx)
}

// AvgPool2dPaddedBackward is the gradient of AvgPool2dPadded, as
// AvgPool2dBackward is of AvgPool2d.
func AvgPool2dPaddedBackward(g *ConvGeom, padB, padR int, countIncludePad bool, dy, dx []float32) {
	hw, ohw := g.H*g.W, g.OH*g.OW
	ParallelFor(g.C, poolGrain(ohw*g.KH*g.KW), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			src := dy[c*ohw : (c+1)*ohw]
			plane := dx[c*hw : (c+1)*hw]
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					y0, y1, x0, x1, div := poolAvgWindow(g, padB, padR, oy, ox, countIncludePad)
					gv := src[oy*g.OW+ox] / div
					for iy := y0; iy < y1; iy++ {
						row := plane[iy*g.W+x0 : iy*g.W+x1]
						for i := range row {
							row[i] += gv
						}
					}
				}
			}
		}
	})
}

// poolAdaptiveRange returns PyTorch's adaptive window [start, end) of output
// index i when in inputs are pooled to out outputs:
// start = ⌊i·in/out⌋, end = ⌈(i+1)·in/out⌉.
func poolAdaptiveRange(i, in, out int) (start, end int) {
	return i * in / out, ((i+1)*in + out - 1) / out
}

// AdaptiveAvgPool2d averages x [planes, H, W] into y [planes, OH, OW] with
// PyTorch's adaptive windows (see poolAdaptiveRange); windows of
// neighbouring outputs may overlap when the sizes do not divide. Sums run in
// float32 in row-major order and are divided by the window height, then by
// its width, as PyTorch's CPU kernel does.
func AdaptiveAvgPool2d(planes, h, w, oh, ow int, x, y []float32) {
	hw, ohw := h*w, oh*ow
	ParallelFor(planes, poolGrain(hw+ohw), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			src := x[c*hw : (c+1)*hw]
			dst := y[c*ohw : (c+1)*ohw]
			for oy := 0; oy < oh; oy++ {
				y0, y1 := poolAdaptiveRange(oy, h, oh)
				for ox := 0; ox < ow; ox++ {
					x0, x1 := poolAdaptiveRange(ox, w, ow)
					var s float32
					for iy := y0; iy < y1; iy++ {
						for _, v := range src[iy*w+x0 : iy*w+x1] {
							s += v
						}
					}
					dst[oy*ow+ox] = s / float32(y1-y0) / float32(x1-x0)
				}
			}
		}
	})
}

// AdaptiveAvgPool2dBackward adds into dx [planes, H, W] the gradient of
// AdaptiveAvgPool2d given dy [planes, OH, OW]. dx is accumulated into.
func AdaptiveAvgPool2dBackward(planes, h, w, oh, ow int, dy, dx []float32) {
	hw, ohw := h*w, oh*ow
	ParallelFor(planes, poolGrain(hw+ohw), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			src := dy[c*ohw : (c+1)*ohw]
			plane := dx[c*hw : (c+1)*hw]
			for oy := 0; oy < oh; oy++ {
				y0, y1 := poolAdaptiveRange(oy, h, oh)
				for ox := 0; ox < ow; ox++ {
					x0, x1 := poolAdaptiveRange(ox, w, ow)
					gv := src[oy*ow+ox] / float32(y1-y0) / float32(x1-x0)
					for iy := y0; iy < y1; iy++ {
						row := plane[iy*w+x0 : iy*w+x1]
						for i := range row {
							row[i] += gv
						}
					}
				}
			}
		}
	})
}

// GlobalAvgPool2d writes into y [planes] the mean of each plane of x
// [planes, HW], summing in float64 (PyTorch reduces 1×1 adaptive pooling with
// mean, whose cascade summation is more accurate than a float32 running
// sum).
func GlobalAvgPool2d(planes, hw int, x, y []float32) {
	ParallelFor(planes, poolGrain(hw), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			var s float64
			for _, v := range x[c*hw : (c+1)*hw] {
				s += float64(v)
			}
			y[c] = float32(s / float64(hw))
		}
	})
}

// GlobalAvgPool2dBackward adds dy[c]/HW to every element of plane c of dx
// [planes, HW].
func GlobalAvgPool2dBackward(planes, hw int, dy, dx []float32) {
	ParallelFor(planes, poolGrain(hw), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			gv := dy[c] / float32(hw)
			row := dx[c*hw : (c+1)*hw]
			for i := range row {
				row[i] += gv
			}
		}
	})
}
