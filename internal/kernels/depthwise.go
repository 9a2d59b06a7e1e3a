package kernels

import "sync"

// Direct depthwise convolution: groups == input channels, so every output
// plane is one input plane convolved with one KH×KW filter. Im2col + GEMM
// would multiply a [m, KH·KW] by a [KH·KW, OH·OW] matrix per group, far too
// small for the packed SGEMM to pay; here each output row is instead the sum
// of KH·KW shifted, strided input rows times scalar weights, vectorised
// across the output width.
//
// Shapes (g.C = C input channels, m = channel multiplier, Cout = C·m):
//
//	x  [N, C, H, W]         input
//	w  [Cout, KH, KW]       filters; output channel co reads input channel co/m
//	b  [Cout] or nil        bias
//	y  [N, Cout, OH, OW]    output
//
// Work is split over planes with ParallelFor and every plane (or, for the
// weight gradient, every output channel) is written by one goroutine in a
// fixed order, so results never depend on the number of threads.

// dwRows is the row kernel dwForwardPlane uses: dwRowsGo, or an assembly
// kernel chosen at start-up from the CPU's features. Tests may swap it while
// no convolution runs.
var dwRows dwRowsFunc = dwRowsGo

// dwRowsFunc is the signature of the row kernels: see dwRowsGo.
type dwRowsFunc func(dst, src, w []float32, n, rows, kw, rowStride, colStep, s, nrows, dstStride, srcStride int, bias float32)

// dwScratch holds *dwPadded buffers for dwPadColumns, one per goroutine of
// a call, kept between calls.
var dwScratch = sync.Pool{New: func() any { return new(dwPadded) }}

// dwPadded is a plane copied with zero padding columns by dwPadColumns.
// While zeroed is true its padding columns (for the geometry of the current
// call) are known to be zero, so that only the input columns need copying.
type dwPadded struct {
	buf    []float32
	zeroed bool
}

// dwGrain returns a ParallelFor grain (in planes) so that each goroutine gets
// roughly 32k multiply-adds of work at least.
func dwGrain(perPlane int) int { return max(1, 32768/max(perPlane, 1)) }

// DepthwiseConv2d computes the depthwise convolution y = x ⋆ w + b (see the
// shapes above; y is overwritten). It is, up to the rounding of fused
// multiply-adds in the assembly kernels, the loop
//
//	for i, co, oy, ox:
//		acc := b[co] (0 when b is nil)
//		for ki in [0, KH), kj in [0, KW):
//			iy, ix := oy·SH − PadT + ki·DH, ox·SW − PadL + kj·DW
//			if 0 ≤ iy < H && 0 ≤ ix < W:
//				acc += w[co][ki][kj] · x[i][co/m][iy][ix]
//		y[i][co][oy][ox] = acc
//
// with the taps summed in exactly this order for every output. (Taps in the
// left or right padding may be added as w·0, as im2col + SGEMM adds them:
// that changes nothing but the sign of a zero sum, or gives NaN for an
// infinite weight.)
func DepthwiseConv2d(g *ConvGeom, n, m int, x, w, b, y []float32) {
	cout := g.C * m
	hw, ohw, kk := g.H*g.W, g.OH*g.OW, g.KH*g.KW
	ParallelFor(n*cout, dwGrain(ohw*kk), func(lo, hi int) {
		scratch := dwScratch.Get().(*dwPadded)
		scratch.zeroed = false // the last call's geometry may differ
		defer dwScratch.Put(scratch)
		for p := lo; p < hi; p++ {
			i, co := p/cout, p%cout
			var bias float32
			if b != nil {
				bias = b[co]
			}
			xc := (i*g.C + co/m) * hw
			dwForwardPlane(g, x[xc:xc+hw], w[co*kk:(co+1)*kk], bias, y[p*ohw:(p+1)*ohw], scratch)
		}
	})
}

// dwInterior returns the outputs [lo, hi) along one axis whose taps all land
// inside the input: 0 ≤ o·s − pad and o·s − pad + (k−1)·d < in.
func dwInterior(in, k, s, pad, d, out int) (lo, hi int) {
	lo, _ = validRange(-pad, s, in, out)
	_, hi = validRange(-pad+(k-1)*d, s, in, out)
	return lo, max(hi, lo)
}

// dwForwardPlane computes one output plane y [OH, OW] from the input plane
// x [H, W], the filter w [KH·KW] and the bias. When some output columns
// have taps in the left or right padding, x is first copied into scratch
// with those padding columns as zeros (see dwPadColumns), so that
// every column is interior; taps in the padding then add w·0, which leaves
// the sum unchanged. The rows whose taps all lie inside the input go to
// dwRows in one call, each row cut by the top or bottom padding to one call
// with only its valid kernel rows.
func dwForwardPlane(g *ConvGeom, x, w []float32, bias float32, y []float32, scratch *dwPadded) {
	if lo, hi := dwInterior(g.W, g.KW, g.SW, g.PadL, g.DW, g.OW); lo > 0 || hi < g.OW {
		var gp ConvGeom
		gp, x = dwPadColumns(g, x, scratch)
		g = &gp
	}
	oyLo, oyHi := dwInterior(g.H, g.KH, g.SH, g.PadT, g.DH, g.OH)
	for oy := 0; oy < g.OH; oy++ {
		if oy >= oyLo && oy < oyHi {
			continue
		}
		y0 := oy*g.SH - g.PadT
		kiLo, kiHi := validRange(y0, g.DH, g.H, g.KH)
		row := y[oy*g.OW : (oy+1)*g.OW]
		if kiLo == kiHi {
			for ox := range row {
				row[ox] = bias
			}
			continue
		}
		src := (y0+kiLo*g.DH)*g.W - g.PadL
		dwRows(row, x[src:], w[kiLo*g.KW:], g.OW, kiHi-kiLo, g.KW, g.DH*g.W, g.DW, g.SW, 1, 0, 0, bias)
	}
	if oyLo < oyHi {
		src := (oyLo*g.SH-g.PadT)*g.W - g.PadL
		dwRows(y[oyLo*g.OW:], x[src:], w, g.OW, g.KH, g.KW, g.DH*g.W, g.DW, g.SW,
			oyHi-oyLo, g.OW, g.SH*g.W, bias)
	}
}

// dwPadColumns copies the plane x [H, W] into scratch (grown as needed) as
// H rows of Wp = (OW−1)·SW + (KW−1)·DW + 1 columns: PadL zero columns, the
// input row, then zeros, cut at Wp. The zeros are written only when
// scratch.zeroed is false. It returns the copy and its geometry, in which no
// tap falls in the left or right padding.
func dwPadColumns(g *ConvGeom, x []float32, scratch *dwPadded) (ConvGeom, []float32) {
	wp := (g.OW-1)*g.SW + (g.KW-1)*g.DW + 1
	if cap(scratch.buf) < g.H*wp {
		scratch.buf, scratch.zeroed = make([]float32, g.H*wp), true
	}
	xp := scratch.buf[:g.H*wp]
	if !scratch.zeroed {
		clear(xp)
		scratch.zeroed = true
	}
	left := min(g.PadL, wp)
	for r := 0; r < g.H; r++ {
		copy(xp[r*wp+left:(r+1)*wp], x[r*g.W:(r+1)*g.W])
	}
	gp := *g
	gp.W, gp.PadL = wp, 0
	return gp, xp
}

// dwRowsGo is the pure-Go row kernel, the reference for the assembly ones.
// For r in [0, nrows) and o in [0, n) it sets
//
//	dst[r·dstStride + o] = bias + Σ_{i<rows} Σ_{j<kw} w[i·kw + j] ·
//	                       src[r·srcStride + i·rowStride + j·colStep + o·s]
//
// summing the taps in increasing i, then j, after the bias. All the taps
// must lie inside src: it does no edge handling.
func dwRowsGo(dst, src, w []float32, n, rows, kw, rowStride, colStep, s, nrows, dstStride, srcStride int, bias float32) {
	for r := 0; r < nrows; r++ {
		d := dst[r*dstStride:][:n]
		for o := range d {
			d[o] = bias
		}
		for i := 0; i < rows; i++ {
			for j, wv := range w[i*kw : (i+1)*kw] {
				base := r*srcStride + i*rowStride + j*colStep
				if s == 1 {
					sr := src[base:][:n]
					for o, v := range sr {
						d[o] += wv * v
					}
					continue
				}
				sr := src[base:][:(n-1)*s+1]
				for o := range d {
					d[o] += wv * sr[o*s]
				}
			}
		}
	}
}

// DepthwiseConv2dBackwardInput adds to dx [N, C, H, W] the gradient of the
// depthwise convolution with respect to its input, given dy [N, Cout, OH,
// OW] and the filters w [Cout, KH, KW]: every output's gradient is scattered
// back, times its tap's weight, onto the input pixels it read,
//
//	for i, c, j in [0, m), oy, ki, kj, ox (in this order):
//		co := c·m + j; iy, ix as in DepthwiseConv2d
//		if 0 ≤ iy < H && 0 ≤ ix < W:
//			dx[i][c][iy][ix] += w[co][ki][kj] · dy[i][co][oy][ox]
//
// Each input plane is written by one goroutine.
func DepthwiseConv2dBackwardInput(g *ConvGeom, n, m int, w, dy, dx []float32) {
	hw, ohw, kk := g.H*g.W, g.OH*g.OW, g.KH*g.KW
	ParallelFor(n*g.C, dwGrain(m*ohw*kk), func(lo, hi int) {
		cols := make([][2]int, g.KW)
		for kj := range cols {
			cols[kj][0], cols[kj][1] = validRange(kj*g.DW-g.PadL, g.SW, g.W, g.OW)
		}
		for p := lo; p < hi; p++ {
			co0 := p * m // (i·C + c)·m = i·Cout + c·m
			c := p % g.C
			dwBackwardInputPlane(g, cols, w[c*m*kk:(c+1)*m*kk], dy[co0*ohw:(co0+m)*ohw], dx[p*hw:(p+1)*hw])
		}
	})
}

// dwBackwardInputPlane scatters the m output planes dy [m, OH, OW] of one
// input plane back into dx [H, W] through the filters w [m, KH·KW]; cols[kj]
// is the range of output columns whose tap kj lands inside the input.
func dwBackwardInputPlane(g *ConvGeom, cols [][2]int, w, dy, dx []float32) {
	kk, ohw := g.KH*g.KW, g.OH*g.OW
	for j := 0; j < len(w)/kk; j++ {
		wj, dyj := w[j*kk:(j+1)*kk], dy[j*ohw:(j+1)*ohw]
		for oy := 0; oy < g.OH; oy++ {
			y0 := oy*g.SH - g.PadT
			kiLo, kiHi := validRange(y0, g.DH, g.H, g.KH)
			dr := dyj[oy*g.OW : (oy+1)*g.OW]
			for ki := kiLo; ki < kiHi; ki++ {
				xr := dx[(y0+ki*g.DH)*g.W : (y0+ki*g.DH+1)*g.W]
				for kj, wv := range wj[ki*g.KW : (ki+1)*g.KW] {
					lo, hi := cols[kj][0], cols[kj][1]
					if lo == hi {
						continue
					}
					x0 := kj*g.DW - g.PadL
					src := dr[lo:hi]
					if g.SW == 1 {
						d := xr[x0+lo:][:len(src)]
						for o, v := range src {
							d[o] += wv * v
						}
						continue
					}
					d := xr[x0+lo*g.SW:][:(len(src)-1)*g.SW+1]
					for o, v := range src {
						d[o*g.SW] += wv * v
					}
				}
			}
		}
	}
}

// DepthwiseConv2dBackwardWeight adds to dw [Cout, KH, KW] the gradient of
// the depthwise convolution with respect to its filters, given x [N, C, H,
// W] and dy [N, Cout, OH, OW]:
//
//	dw[co][ki][kj] += Σ_i Σ_oy Σ_ox dy[i][co][oy][ox] · x[i][co/m][iy][ix]
//
// over the taps inside the input. Each row's dot product is summed in
// float32 (dwDot) and the rows, then the images, are added in increasing
// order in float64; each output channel is reduced by one goroutine, so the
// result does not depend on the number of threads.
func DepthwiseConv2dBackwardWeight(g *ConvGeom, n, m int, x, dy, dw []float32) {
	cout := g.C * m
	hw, ohw, kk := g.H*g.W, g.OH*g.OW, g.KH*g.KW
	ParallelFor(cout, dwGrain(n*ohw*kk), func(lo, hi int) {
		acc := make([]float64, kk)
		cols := make([][2]int, g.KW)
		for kj := range cols {
			cols[kj][0], cols[kj][1] = validRange(kj*g.DW-g.PadL, g.SW, g.W, g.OW)
		}
		for co := lo; co < hi; co++ {
			clear(acc)
			for i := 0; i < n; i++ {
				xc := (i*g.C + co/m) * hw
				yc := (i*cout + co) * ohw
				dwBackwardWeightPlane(g, cols, x[xc:xc+hw], dy[yc:yc+ohw], acc)
			}
			for t, v := range acc {
				dw[co*kk+t] += float32(v)
			}
		}
	})
}

// dwBackwardWeightPlane adds to acc [KH·KW] the products of one output
// plane's gradient dy [OH, OW] with the taps of its input plane x [H, W].
func dwBackwardWeightPlane(g *ConvGeom, cols [][2]int, x, dy []float32, acc []float64) {
	for oy := 0; oy < g.OH; oy++ {
		y0 := oy*g.SH - g.PadT
		kiLo, kiHi := validRange(y0, g.DH, g.H, g.KH)
		dr := dy[oy*g.OW : (oy+1)*g.OW]
		for ki := kiLo; ki < kiHi; ki++ {
			xr := x[(y0+ki*g.DH)*g.W : (y0+ki*g.DH+1)*g.W]
			for kj := 0; kj < g.KW; kj++ {
				lo, hi := cols[kj][0], cols[kj][1]
				if lo == hi {
					continue
				}
				x0 := kj*g.DW - g.PadL + lo*g.SW
				acc[ki*g.KW+kj] += float64(dwDot(dr[lo:hi], xr[x0:], g.SW))
			}
		}
	}
}

// dwDot returns Σ_o a[o]·b[o·s] in float32 with four partial sums (lanes o
// mod 4), added as (s0 + s1) + (s2 + s3) at the end.
func dwDot(a, b []float32, s int) float32 {
	var s0, s1, s2, s3 float32
	n := len(a)
	b = b[:(n-1)*s+1]
	o := 0
	if s == 1 {
		b = b[:n]
		for ; o+4 <= n; o += 4 {
			s0 += a[o] * b[o]
			s1 += a[o+1] * b[o+1]
			s2 += a[o+2] * b[o+2]
			s3 += a[o+3] * b[o+3]
		}
	} else {
		for ; o+4 <= n; o += 4 {
			s0 += a[o] * b[o*s]
			s1 += a[o+1] * b[(o+1)*s]
			s2 += a[o+2] * b[(o+2)*s]
			s3 += a[o+3] * b[(o+3)*s]
		}
	}
	for ; o < n; o++ {
		s0 += a[o] * b[o*s]
	}
	return (s0 + s1) + (s2 + s3)
}
