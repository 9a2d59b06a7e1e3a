package kernels

import (
	"fmt"
	"math"
)

// Serial, allocation-free entry points for an inference engine that splits
// work over its own goroutines: each function handles a range of planes on
// the calling goroutine, where the kernels of pool.go take all planes and
// spread them with ParallelFor (whose closures are heap-allocated per call).

// MaxPool2dPlanes is MaxPool2d on planes [lo, hi) of x [C, H, W] into y
// [C, OH, OW], on the calling goroutine, without argmax.
func MaxPool2dPlanes(g *ConvGeom, x, y []float32, lo, hi int) {
	hw, ohw := g.H*g.W, g.OH*g.OW
	for c := lo; c < hi; c++ {
		poolMaxPlaneValues(g, x[c*hw:(c+1)*hw], y[c*ohw:(c+1)*ohw])
	}
}

// poolMaxPlaneValues is poolMaxPlane without argmax: only the maxima are
// needed, so each window is reduced with the branch-free max (NaN wins, as
// in poolMaxPlane; a window's −0 and +0 tie may come out as either).
func poolMaxPlaneValues(g *ConvGeom, x, y []float32) {
	negInf := float32(math.Inf(-1))
	for oy := 0; oy < g.OH; oy++ {
		y0 := oy*g.SH - g.PadT
		y1 := min(y0+(g.KH-1)*g.DH+1, g.H)
		for y0 < 0 {
			y0 += g.DH
		}
		out := y[oy*g.OW : (oy+1)*g.OW]
		for ox := range out {
			x0 := ox*g.SW - g.PadL
			x1 := min(x0+(g.KW-1)*g.DW+1, g.W)
			for x0 < 0 {
				x0 += g.DW
			}
			best := negInf
			for iy := y0; iy < y1; iy += g.DH {
				row := x[iy*g.W : (iy+1)*g.W]
				for ix := x0; ix < x1; ix += g.DW {
					best = max(best, row[ix])
				}
			}
			out[ox] = best
		}
	}
}

// AvgPool2dPlanes is AvgPool2dPadded on planes [lo, hi), on the calling
// goroutine.
func AvgPool2dPlanes(g *ConvGeom, padB, padR int, countIncludePad bool, x, y []float32, lo, hi int) {
	hw, ohw := g.H*g.W, g.OH*g.OW
	for c := lo; c < hi; c++ {
		src := x[c*hw : (c+1)*hw]
		dst := y[c*ohw : (c+1)*ohw]
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox++ {
				y0, y1, x0, x1, div := poolAvgWindow(g, padB, padR, oy, ox, countIncludePad)
				if y0 >= y1 || x0 >= x1 {
					dst[oy*g.OW+ox] = 0
					continue
				}
				var s float32
				for iy := y0; iy < y1; iy++ {
					for _, v := range src[iy*g.W+x0 : iy*g.W+x1] {
						s += v
					}
				}
				dst[oy*g.OW+ox] = s / div
			}
		}
	}
}

// GlobalAvgPool2dPlanes is GlobalAvgPool2d on planes [lo, hi) of x
// [planes, HW] into y [planes], summing in float64 as GlobalAvgPool2d does
// but in the fixed order of planeMeanGo (32 running sums, AVX-512 where the
// CPU has it), so a plane's mean does not depend on how planes are split.
func GlobalAvgPool2dPlanes(hw int, x, y []float32, lo, hi int) {
	if lo >= hi {
		return
	}
	planeMeans(hw, x[lo*hw:hi*hw], y[lo:hi])
}

// DepthwiseConvPlanes computes planes [lo, hi) of a depthwise convolution
// with channel multiplier 1; it is DepthwiseConvPlanesPost with no post
// activation.
func DepthwiseConvPlanes(g *ConvGeom, x, w, y []float32, ep *Epilogue, lo, hi int) {
	DepthwiseConvPlanesPost(g, x, w, y, ep, Activation{}, lo, hi)
}

// DepthwiseConvPlanesPost computes planes [lo, hi) of a depthwise
// convolution with channel multiplier 1: plane c of y [C, OH, OW] is plane
// c of x [C, H, W] cross-correlated with w [C, KH, KW] (zero padding as in
// g), then finished by ep (Bias [C]; Residual [C, OH·OW] with ResLd =
// OH·OW) and last by post, which is applied as EngApplyAct applies it (SiLU and
// sigmoid in the engine's float32 forms). g.C is ignored. Each output
// starts from the bias and adds its taps in row-major kernel order, with
// the row kernels of DepthwiseConv2d (AVX-512 fused multiply-adds where
// available), so the result does not depend on how planes are split.
// ReLU, ReLU6 and Clip are applied by the row kernels, with the residual,
// as each vector of outputs is stored, and so is a post SiLU (with
// EngApplyAct's instructions, so with its bits); other activations of ep
// by ApplyAct and of post by EngApplyAct after each plane. It runs on the
// calling goroutine and, once its pooled mask table has grown to the
// widest row, does not allocate.
//
// The reference loop, per plane c and output (oy, ox), is:
//
//	s := bias[c]
//	for i, j over the kernel, row-major:
//		if (y, x) = (oy·SH − PadT + i·DH, ox·SW − PadL + j·DW) is inside:
//			s += w[c][i][j]·x[c][y][x]
//	y[c][oy][ox] = post(act(s + residual[c][oy][ox]))
func DepthwiseConvPlanesPost(g *ConvGeom, x, w, y []float32, ep *Epilogue, post Activation, lo, hi int) {
	hw, ohw, kk := g.H*g.W, g.OH*g.OW, g.KH*g.KW
	if len(w) < hi*kk || len(x) < hi*hw || len(y) < hi*ohw {
		panic(fmt.Sprintf("kernels: DepthwiseConvPlanes planes [%d, %d): x %d, w %d, y %d elements are too few", lo, hi, len(x), len(w), len(y)))
	}
	scratch := dwScratch.Get()
	defer scratch.release()
	var act Activation
	if ep != nil {
		act = ep.Act
	}
	// ReLU, ReLU6, Clip (or none) are the row kernels' clamp; other
	// activations follow each plane.
	clo, chi, fused := dwClamp(act)
	silu := fused && post.Kind == ActSiLU
	if fused && (silu || post.Kind == ActNone) && dwPlanes != nil {
		var bias, res []float32
		if ep != nil {
			bias, res = ep.Bias, ep.Residual
		}
		// Small planes, all in one call, when the geometry allows.
		if dwPlanes(g, x, w, bias, res, clo, chi, silu, y, lo, hi, scratch) {
			return
		}
	}
	for c := lo; c < hi; c++ {
		dst := y[c*ohw : (c+1)*ohw]
		var b float32
		var res []float32
		if ep != nil && ep.Bias != nil {
			b = ep.Bias[c]
		}
		if ep != nil && ep.Residual != nil {
			res = ep.Residual[c*ohw : (c+1)*ohw]
		}
		dwForwardPlane(g, x[c*hw:(c+1)*hw], w[c*kk:(c+1)*kk], b, res, clo, chi, dst, false, silu, scratch)
		if !fused {
			ApplyAct(act, dst)
		}
		if !silu && post.Kind != ActNone {
			EngApplyAct(post, dst)
		}
	}
}
