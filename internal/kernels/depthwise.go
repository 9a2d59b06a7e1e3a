package kernels

import (
	"math"
	"sync"
)

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
type dwRowsFunc func(a *dwRowsArgs)

// dwRowsArgs is one call of a row kernel: nrows output rows of n outputs,
// each the bias plus the taps of rows kernel rows, then a residual and a
// clamp. Input columns are counted from the start of an input row; taps on
// columns outside [0, width) lie in the left or right zero padding and are
// skipped.
type dwRowsArgs struct {
	dst  []float32 // output row r at r·dstStride, n long
	src  []float32 // kernel row i of output row r reads the input row at r·srcStride + i·rowStride
	w    []float32 // [rows, kw]
	res  []float32 // nil, or residual row r at r·resStride, n long
	mask []uint16  // load masks from dwMasks (assembly kernels only)

	n, rows, kw          int
	rowStride, colStep   int // between kernel rows; between the taps of a kernel row
	s, padL, width       int // column stride, left padding, input row width
	nrows                int
	dstStride, srcStride int
	resStride            int
	bias, lo, hi         float32 // start of every sum; clamp bounds

	// acc adds every sum to the output already in dst (bias must be 0
	// and res nil): dwRowsGo adds the taps onto it, the assembly kernels
	// add it last, as a residual read from dst.
	acc bool

	// silu applies the engine's SiLU (EngApplyAct's, bit for bit) to every
	// clamped sum before it is stored; acc must be false.
	silu bool
}

// dwScratch holds *dwScratchBuf buffers, one per goroutine of a call, kept
// between calls.
var dwScratch = FreeList[dwScratchBuf]{New: func() *dwScratchBuf { return new(dwScratchBuf) }}

// dwScratchBuf is the per-goroutine state of a forward convolution: the
// load masks of the assembly row kernels for the column geometry key, and
// the row kernels' arguments (which would escape to the heap, through the
// indirect call, from a local variable).
type dwScratchBuf struct {
	key   [6]int // n, s, kw, colStep, padL, width of mask
	mask  []uint16
	args  dwRowsArgs
	wpart []float32 // [KW, 16] lane sums of the weight-gradient kernels
	phase []float32 // a strided input gradient's phase plane (DepthwiseConv2dBackwardInput)

	arch dwArchScratch
}

// release returns s to dwScratch, dropping its references to the last
// call's planes.
func (s *dwScratchBuf) release() {
	s.args = dwRowsArgs{}
	dwScratch.Put(s)
}

// dwPlanes is the whole-plane kernel DepthwiseConvPlanesPost tries first:
// nil, or an assembly kernel chosen at start-up from the CPU's features. It
// computes planes [lo, hi) of x [C, H, W] into y [C, OH, OW], each output
// exactly as dwForwardPlane with the row kernels computes it (bias or 0,
// taps, residual or none, clamp [clo, chi], SiLU when silu is set), and
// reports false, doing nothing, for geometries it does not take.
var dwPlanes func(g *ConvGeom, x, w, bias, res []float32, clo, chi float32, silu bool, y []float32, lo, hi int, scratch *dwScratchBuf) bool

// dwPlaneMax is the most outputs per plane the whole-plane kernels take;
// larger planes go to the row kernels, whose 3×3 and 5×5 kernels reuse
// input rows. At 28×28 (784) the plane kernels still beat them, the edge
// rows' single-row calls and per-plane Go calls costing more than the
// reuse saves (BenchmarkDepthwiseConvPlanes, 784 vs 400: c192_28_s1 90 ->
// 68 us, e240_28_k5_s1 258 -> 252, c144_56_s2 147 -> 142, e144_56_k5_s2
// 370 -> 357, medians of 10 alternated noisy runs).
const dwPlaneMax = 784

// dwPlaneTab is a table of dwPlaneTable with its numbers of groups of four
// vectors and of single vectors.
type dwPlaneTab struct {
	t      []int64
	ng, ns int
}

// dwPlaneTabs caches the tables of dwPlaneTable by geometry (C = 0): a
// network has a few dozen, built on first use and never changed, so that
// steady-state calls neither build nor allocate them.
var dwPlaneTabs struct {
	sync.RWMutex
	m map[ConvGeom]*dwPlaneTab
}

// dwPlaneTable returns the table of the whole-plane kernels for the
// geometry g (cached in dwPlaneTabs; column stride 1 or 2) and its numbers
// of groups of four vectors and of single vectors. The plane's outputs are
// cut into vectors of 16: when OW = W and both strides are 1, the plane
// read as one flat row (the input of output p then lies at p + (i·DH −
// PadT)·W + j·DW − PadL for every p), else each output row on its own. The
// table holds, as int64 words, for each group of four vectors
//
//	src[4]  bytes from the plane's input to each vector's tap (0, 0)
//	dst[4]  bytes from the plane's output to each vector's outputs
//	out[4]  output masks (bit l: lane l is an output)
//	then per tap t = i·KW + j: its byte offset (i·DH·W + j·DW)·4 and
//	the four vectors' masks: bits 0…15 the lane mask (bit l: lane l is
//	an output whose tap t lies inside the input); for column stride 2
//	also bits 16…47, bit 16 + k set when float k of the 32 from the
//	vector's tap t is read by a lane of the lane mask (lane l reads 2l)
//
// and then for each single vector the same with one vector per field.
func dwPlaneTable(g *ConvGeom) ([]int64, int, int) {
	key := *g
	key.C = 0
	dwPlaneTabs.RLock()
	pt := dwPlaneTabs.m[key]
	dwPlaneTabs.RUnlock()
	if pt != nil {
		return pt.t, pt.ng, pt.ns
	}
	type vec struct {
		oy, ox, n int // first output's row and column, outputs
		flat      bool
	}
	var vs []vec
	if g.OW == g.W && g.SH == 1 && g.SW == 1 {
		for p := 0; p < g.OH*g.OW; p += 16 {
			vs = append(vs, vec{p / g.OW, p % g.OW, min(16, g.OH*g.OW-p), true})
		}
	} else {
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox += 16 {
				vs = append(vs, vec{oy, ox, min(16, g.OW-ox), false})
			}
		}
	}
	ng, ns := len(vs)/4, len(vs)%4
	var t []int64
	emit := func(vs []vec) {
		for _, v := range vs { // src
			t = append(t, int64(4*((v.oy*g.SH-g.PadT)*g.W+v.ox*g.SW-g.PadL)))
		}
		for _, v := range vs { // dst
			t = append(t, int64(4*(v.oy*g.OW+v.ox)))
		}
		for _, v := range vs { // out
			t = append(t, int64(1)<<v.n-1)
		}
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				t = append(t, int64(4*(i*g.DH*g.W+j*g.DW)))
				for _, v := range vs {
					var m int64
					for l := 0; l < v.n; l++ {
						oy, ox := v.oy, v.ox+l
						if v.flat {
							p := v.oy*g.OW + v.ox + l
							oy, ox = p/g.OW, p%g.OW
						}
						r, c := oy*g.SH-g.PadT+i*g.DH, ox*g.SW-g.PadL+j*g.DW
						if r >= 0 && r < g.H && c >= 0 && c < g.W {
							m |= 1 << l
							if g.SW == 2 {
								m |= 1 << (16 + 2*l)
							}
						}
					}
					t = append(t, m)
				}
			}
		}
	}
	for q := 0; q < ng; q++ {
		emit(vs[4*q : 4*q+4])
	}
	for _, v := range vs[4*ng:] {
		emit([]vec{v})
	}
	dwPlaneTabs.Lock()
	if dwPlaneTabs.m == nil {
		dwPlaneTabs.m = map[ConvGeom]*dwPlaneTab{}
	}
	dwPlaneTabs.m[key] = &dwPlaneTab{t, ng, ns}
	dwPlaneTabs.Unlock()
	return t, ng, ns
}

// dwGrain returns a ParallelFor grain (in planes) so that each goroutine gets
// roughly 32k multiply-adds of work at least.
func dwGrain(perPlane int) int { return max(1, 32768/max(perPlane, 1)) }

// dwClamp returns the bounds [lo, hi] of the clamp v → min(hi, max(lo, v))
// (in that order, NaN passing) that equals act, and false when act is not a
// clamp. With lo = −∞ and hi = +∞ the clamp is the identity; max(0, v)
// keeps ±0 and NaN as ApplyAct's ReLU does.
func dwClamp(act Activation) (lo, hi float32, ok bool) {
	inf := float32(math.Inf(1))
	switch act.Kind {
	case ActNone:
		return -inf, inf, true
	case ActReLU:
		return 0, inf, true
	case ActReLU6:
		return 0, 6, true
	case ActClip:
		return act.Lo, act.Hi, true
	}
	return -inf, inf, false
}

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
// with the taps summed in exactly this order for every output.
func DepthwiseConv2d(g *ConvGeom, n, m int, x, w, b, y []float32) {
	cout := g.C * m
	hw, ohw, kk := g.H*g.W, g.OH*g.OW, g.KH*g.KW
	lo, hi, _ := dwClamp(Activation{})
	ParallelFor(n*cout, dwGrain(ohw*kk), func(p0, p1 int) {
		scratch := dwScratch.Get()
		defer scratch.release()
		for p := p0; p < p1; p++ {
			i, co := p/cout, p%cout
			var bias float32
			if b != nil {
				bias = b[co]
			}
			xc := (i*g.C + co/m) * hw
			dwForwardPlane(g, x[xc:xc+hw], w[co*kk:(co+1)*kk], bias, nil, lo, hi, y[p*ohw:(p+1)*ohw], false, false, scratch)
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

// dwForwardPlane computes one output plane y [OH, OW] = clamp(x ⋆ w + bias
// + res) from the input plane x [H, W], the filter w [KH·KW], the bias, the
// residual res [OH, OW] (or nil) and the clamp bounds lo, hi (see dwClamp).
// The rows whose taps all lie inside the input vertically go to dwRows in
// one call; each other row is cut by the top or bottom padding to one call
// with only its valid kernel rows. Taps in the left or right padding are
// skipped by the row kernels. With acc the plane x ⋆ w is added to y
// instead (bias must be 0, res nil and the clamp the identity); with silu
// the engine's SiLU (EngApplyAct's bits) follows the clamp.
func dwForwardPlane(g *ConvGeom, x, w []float32, bias float32, res []float32, lo, hi float32, y []float32, acc, silu bool, scratch *dwScratchBuf) {
	a := &scratch.args
	*a = dwRowsArgs{
		kw: g.KW, colStep: g.DW, s: g.SW, padL: g.PadL, width: g.W, n: g.OW,
		rowStride: g.DH * g.W, nrows: 1, bias: bias, lo: lo, hi: hi, acc: acc, silu: silu,
	}
	a.mask = dwMasks(scratch, g.OW, g.SW, g.KW, g.DW, g.PadL, g.W)
	oyLo, oyHi := dwInterior(g.H, g.KH, g.SH, g.PadT, g.DH, g.OH)
	for oy := 0; oy < g.OH; oy++ {
		if oy >= oyLo && oy < oyHi {
			continue
		}
		y0 := oy*g.SH - g.PadT
		kiLo, kiHi := validRange(y0, g.DH, g.H, g.KH)
		a.dst = y[oy*g.OW : (oy+1)*g.OW]
		a.res = nil
		if res != nil {
			a.res = res[oy*g.OW : (oy+1)*g.OW]
		}
		if kiLo == kiHi {
			if acc {
				continue // adds nothing
			}
			a.rows, a.w, a.src = 0, nil, nil
			dwRowsGo(a)
			continue
		}
		a.src, a.w, a.rows = x[(y0+kiLo*g.DH)*g.W:], w[kiLo*g.KW:kiHi*g.KW], kiHi-kiLo
		dwRows(a)
	}
	if oyLo < oyHi {
		a.dst, a.res = y[oyLo*g.OW:], nil
		if res != nil {
			a.res, a.resStride = res[oyLo*g.OW:], g.OW
		}
		a.src, a.w, a.rows = x[(oyLo*g.SH-g.PadT)*g.W:], w, g.KH
		a.nrows, a.dstStride, a.srcStride = oyHi-oyLo, g.OW, g.SH*g.W
		dwRows(a)
	}
}

// dwMasks returns the load masks of the assembly row kernels for rows of n
// outputs at column stride s, kw taps colStep apart, left padding padL and
// input rows width wide, from scratch when its key matches. For every
// vector v of 16 outputs (o = 16v + l, l < 16) it holds 4·(kw+1) uint16:
// the output mask (bit l set for o < n), three unused, then per tap j
//
//	lane: bit l set when o < n and column c = o·s + j·colStep − padL is in [0, width)
//	lo, hi (stride 2): bit k of lo | hi<<16 set when input float k of the
//	       32 from column 32v + j·colStep − padL is read by a lane of lane
//	pad
//
// The tables are built for strides 1 and 2 only (nil otherwise).
func dwMasks(scratch *dwScratchBuf, n, s, kw, colStep, padL, width int) []uint16 {
	if s != 1 && s != 2 {
		return nil
	}
	key := [6]int{n, s, kw, colStep, padL, width}
	if scratch.key == key && scratch.mask != nil {
		return scratch.mask
	}
	nvec := (n + 15) / 16
	per := 4 * (kw + 1)
	if cap(scratch.mask) < nvec*per {
		scratch.mask = make([]uint16, nvec*per)
	}
	m := scratch.mask[:nvec*per]
	clear(m)
	for v := 0; v < nvec; v++ {
		t := m[v*per : (v+1)*per]
		for l := 0; l < 16 && 16*v+l < n; l++ {
			t[0] |= 1 << l
			o := 16*v + l
			for j := 0; j < kw; j++ {
				if c := o*s + j*colStep - padL; c >= 0 && c < width {
					t[4+4*j] |= 1 << l
					k := l * s // float k of the 32 read from column 32v + j·colStep − padL
					if k < 16 {
						t[5+4*j] |= 1 << k
					} else {
						t[6+4*j] |= 1 << (k - 16)
					}
				}
			}
		}
	}
	scratch.key, scratch.mask = key, m
	return m
}

// dwRowsGo is the pure-Go row kernel, the reference for the assembly ones.
// For r in [0, a.nrows) and o in [0, a.n) it sets
//
//	s := bias (a.acc: dst[r·dstStride + o]) + Σ_{i<rows} Σ_{j<kw, 0 ≤ c < width} w[i·kw + j] ·
//	            src[r·srcStride + i·rowStride + c],   c = o·s + j·colStep − padL
//	if res != nil: s += res[r·resStride + o]
//	if lo > s: s = lo
//	if hi < s: s = hi
//	if silu: s = SiLU(s) as EngApplyAct computes it
//	dst[r·dstStride + o] = s
//
// summing the taps in increasing i, then j, after the bias (a tap outside
// the row is skipped, not added as w·0).
func dwRowsGo(a *dwRowsArgs) {
	for r := 0; r < a.nrows; r++ {
		d := a.dst[r*a.dstStride:][:a.n]
		if !a.acc {
			for o := range d {
				d[o] = a.bias
			}
		}
		for i := 0; i < a.rows; i++ {
			row := a.src[r*a.srcStride+i*a.rowStride:][:a.width]
			for j, wv := range a.w[i*a.kw : (i+1)*a.kw] {
				c0 := j*a.colStep - a.padL
				lo, hi := validRange(c0, a.s, a.width, a.n)
				if lo == hi {
					continue
				}
				dd := d[lo:hi]
				if a.s == 1 {
					for o, v := range row[c0+lo:][:len(dd)] {
						dd[o] += wv * v
					}
					continue
				}
				sr := row[c0+lo*a.s:][:(len(dd)-1)*a.s+1]
				for o := range dd {
					dd[o] += wv * sr[o*a.s]
				}
			}
		}
		if a.res != nil {
			for o, v := range a.res[r*a.resStride:][:a.n] {
				d[o] += v
			}
		}
		for o, v := range d {
			if a.lo > v {
				v = a.lo
			}
			if a.hi < v {
				v = a.hi
			}
			d[o] = v
		}
		if a.silu {
			engSiLU(d)
		}
	}
}

// DepthwiseConv2dBackwardInput adds to dx [N, C, H, W] the gradient of the
// depthwise convolution with respect to its input, given dy [N, Cout, OH,
// OW] and the filters w [Cout, KH, KW]: up to rounding,
//
//	for i, c, j in [0, m), oy, ki, kj, ox:
//		co := c·m + j; iy, ix as in DepthwiseConv2d
//		if 0 ≤ iy < H && 0 ≤ ix < W:
//			dx[i][c][iy][ix] += w[co][ki][kj] · dy[i][co][oy][ox]
//
// This is the transposed convolution, computed as forward ones on the row
// kernels (see dwTransposePhases): for stride 1 one convolution of dy with
// the flipped filter, added into dx; for larger strides (dilation 1) one
// per phase of dx (the pixels iy ≡ py mod SH, ix ≡ px mod SW), each with
// the taps that reach it, computed into a scratch plane and then added into
// dx. Other geometries scatter dy with dwBackwardInputPlane. Each input
// plane is written by one goroutine, in a fixed order.
func DepthwiseConv2dBackwardInput(g *ConvGeom, n, m int, w, dy, dx []float32) {
	hw, ohw, kk := g.H*g.W, g.OH*g.OW, g.KH*g.KW
	rows, okr := dwTransposePhases(g.H, g.KH, g.SH, g.PadT, g.DH)
	cols, okc := dwTransposePhases(g.W, g.KW, g.SW, g.PadL, g.DW)
	if !okr || !okc {
		dwBackwardInputScatter(g, n, m, w, dy, dx)
		return
	}
	direct := g.SH == 1 && g.SW == 1 // one phase: accumulate into dx itself
	ParallelFor(n*g.C, dwGrain(m*ohw*kk), func(lo, hi int) {
		// One scratch per phase keeps its mask table across planes.
		scratch := make([]*dwScratchBuf, len(rows)*len(cols))
		for i := range scratch {
			scratch[i] = dwScratch.Get()
		}
		defer func() {
			for _, s := range scratch {
				s.release()
			}
		}()
		wf := make([]float32, kk)
		// planes[pc] is column phase pc's plane [rows[0].n, cols[0].n],
		// kept in the scratch of row phase 0 and that column phase.
		var planes [][]float32
		if !direct {
			for pc := range cols {
				sc := scratch[pc]
				if n := rows[0].n * cols[0].n; cap(sc.phase) < n {
					sc.phase = make([]float32, n)
				}
				planes = append(planes, sc.phase)
			}
		}
		// With two column phases (SW = 2) that both have taps, each row of
		// a row phase is one interleaving add of the two phase planes' rows.
		ilv := len(cols) == 2 && len(cols[0].taps) > 0 && len(cols[1].taps) > 0
		inf := float32(math.Inf(1))
		for p := lo; p < hi; p++ {
			c := p % g.C
			dxp := dx[p*hw : (p+1)*hw]
			for j := 0; j < m; j++ {
				co := p*m + j // (i·C + c)·m + j
				wc := w[(c*m+j)*kk : (c*m+j+1)*kk]
				dyp := dy[co*ohw : (co+1)*ohw]
				for pr, r := range rows {
					if len(r.taps) == 0 {
						continue
					}
					for pc, q := range cols {
						if len(q.taps) == 0 {
							continue
						}
						// The flipped filter of this phase, [len(r.taps), len(q.taps)].
						f := wf[:len(r.taps)*len(q.taps)]
						for a, ki := range r.taps {
							for b, kj := range q.taps {
								f[a*len(q.taps)+b] = wc[ki*g.KW+kj]
							}
						}
						fg := ConvGeom{C: 1, H: g.OH, W: g.OW, KH: len(r.taps), KW: len(q.taps), SH: 1, SW: 1,
							PadT: r.pad, PadL: q.pad, DH: r.d, DW: q.d, OH: r.n, OW: q.n}
						sc := scratch[pr*len(cols)+pc]
						if direct {
							dwForwardPlane(&fg, dyp, f, 0, nil, -inf, inf, dxp, true, false, sc)
							continue
						}
						ph := planes[pc][:r.n*q.n]
						dwForwardPlane(&fg, dyp, f, 0, nil, -inf, inf, ph, false, false, sc)
						if ilv {
							continue
						}
						for a := 0; a < r.n; a++ {
							d := dxp[(r.p+a*g.SH)*g.W+q.p:]
							for b, v := range ph[a*q.n : (a+1)*q.n] {
								d[b*g.SW] += v
							}
						}
					}
					if ilv {
						n0, n1 := cols[0].n, cols[1].n // n1 = n0 or n0 − 1
						for a := 0; a < r.n; a++ {
							d := dxp[(r.p+a*g.SH)*g.W:][:g.W]
							e := planes[0][a*n0 : (a+1)*n0]
							dwInterleaveAdd(d[:2*n1], e[:n1], planes[1][a*n1:(a+1)*n1])
							if n0 > n1 {
								d[2*n1] += e[n1]
							}
						}
					}
				}
			}
		}
	})
}

// dwInterleaveAdd is the interleaving add DepthwiseConv2dBackwardInput
// uses: dwInterleaveAddGo, or an assembly kernel chosen at start-up from
// the CPU's features.
var dwInterleaveAdd = dwInterleaveAddGo

// dwInterleaveAddGo adds a and b (of equal length) into the even and odd
// elements of d [2·len(a)]: d[2i] += a[i], d[2i+1] += b[i].
func dwInterleaveAddGo(d, a, b []float32) {
	d = d[:2*len(a)]
	b = b[:len(a)]
	for i, v := range a {
		d[2*i] += v
		d[2*i+1] += b[i]
	}
}

// dwPhase is one phase of the transpose of a convolution along one axis:
// the input positions p, p+s, …, p+(n−1)·s, each the sum over the flipped
// taps t of tap taps[t] times the output at position a − pad + t·d, a
// being the position's index in the phase — a forward convolution of the
// outputs with padding pad and dilation d.
type dwPhase struct {
	p, n   int
	taps   []int
	pad, d int
}

// dwTransposePhases returns the phases of the transpose of a convolution
// along an axis of in inputs with a kernel of k taps, stride s, leading
// padding pad and dilation d: for s = 1 one phase, the whole axis with the
// kernel flipped; for s > 1 and d = 1 one per residue p < s, where input p
// + s·a is read by the taps r + s·t ≡ p + pad (mod s) from output a + c −
// t. It reports false for s > 1 with d > 1.
func dwTransposePhases(in, k, s, pad, d int) ([]dwPhase, bool) {
	if s == 1 {
		taps := make([]int, k)
		for t := range taps {
			taps[t] = k - 1 - t
		}
		return []dwPhase{{p: 0, n: in, taps: taps, pad: (k-1)*d - pad, d: d}}, true
	}
	if d != 1 || pad < 0 {
		return nil, false
	}
	var ph []dwPhase
	for p := 0; p < min(s, in); p++ {
		r := (p + pad) % s
		c := (p + pad - r) / s
		nt := 0
		if r < k {
			nt = (k - r + s - 1) / s
		}
		taps := make([]int, nt)
		for t := range taps {
			taps[t] = r + s*(nt-1-t)
		}
		ph = append(ph, dwPhase{p: p, n: (in - p + s - 1) / s, taps: taps, pad: nt - 1 - c, d: 1})
	}
	return ph, true
}

// dwBackwardInputScatter is DepthwiseConv2dBackwardInput for the
// geometries without phases: every output's gradient is scattered back,
// times its tap's weight, onto the input pixels it read, in the order of
// the loop above.
func dwBackwardInputScatter(g *ConvGeom, n, m int, w, dy, dx []float32) {
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
// over the taps inside the input. Each plane's sums are formed in float32 by
// dwWeightPlane (the pure-Go one per row with dwDot, the AVX-512 one per
// kernel row in 16 lanes) and added, in a fixed order, to float64 sums over
// the images; each output channel is reduced by one goroutine, so the
// result does not depend on the number of threads.
func DepthwiseConv2dBackwardWeight(g *ConvGeom, n, m int, x, dy, dw []float32) {
	cout := g.C * m
	hw, ohw, kk := g.H*g.W, g.OH*g.OW, g.KH*g.KW
	ParallelFor(cout, dwGrain(n*ohw*kk), func(lo, hi int) {
		scratch := dwScratch.Get()
		defer scratch.release()
		acc := make([]float64, kk)
		for co := lo; co < hi; co++ {
			clear(acc)
			for i := 0; i < n; i++ {
				xc := (i*g.C + co/m) * hw
				yc := (i*cout + co) * ohw
				dwWeightPlane(g, x[xc:xc+hw], dy[yc:yc+ohw], acc, scratch)
			}
			for t, v := range acc {
				dw[co*kk+t] += float32(v)
			}
		}
	})
}

// dwWeightPlane is the weight-gradient plane kernel DepthwiseConv2dBackwardWeight
// uses: dwWeightPlaneGo, or an assembly kernel chosen at start-up from the
// CPU's features. Tests may swap it while no convolution runs.
var dwWeightPlane dwWeightPlaneFunc = dwWeightPlaneGo

// dwWeightPlaneFunc is the signature of the weight-gradient plane kernels:
// see dwWeightPlaneGo.
type dwWeightPlaneFunc func(g *ConvGeom, x, dy []float32, acc []float64, scratch *dwScratchBuf)

// dwWeightPlaneGo adds to acc [KH·KW] the products of one output plane's
// gradient dy [OH, OW] with the taps of its input plane x [H, W]: per
// output row and tap, a float32 dot product (dwDot) added to acc in
// float64.
func dwWeightPlaneGo(g *ConvGeom, x, dy []float32, acc []float64, _ *dwScratchBuf) {
	for oy := 0; oy < g.OH; oy++ {
		y0 := oy*g.SH - g.PadT
		kiLo, kiHi := validRange(y0, g.DH, g.H, g.KH)
		dr := dy[oy*g.OW : (oy+1)*g.OW]
		for ki := kiLo; ki < kiHi; ki++ {
			xr := x[(y0+ki*g.DH)*g.W : (y0+ki*g.DH+1)*g.W]
			for kj := 0; kj < g.KW; kj++ {
				lo, hi := validRange(kj*g.DW-g.PadL, g.SW, g.W, g.OW)
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
