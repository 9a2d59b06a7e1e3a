package infer

import "convnet/internal/kernels"

// winogradCols is the least number of GEMM columns (tiles) a Winograd
// convolution gathers from consecutive images of the batch before running
// its 36 products: enough to fill the micro-kernel's column panels, few
// enough that V and M stay near the L2 cache.
const winogradCols = 256

// useWinograd is the rule that picks Winograd F(4×4, 3×3) over im2col and
// GEMM for an ungrouped, undilated 3×3 stride-1 convolution of a batch of
// b images from cin to cout channels with an oh×ow output.
func (e *engine) useWinograd(b, cin, cout, oh, ow int) bool {
	switch e.wino {
	case WinogradOff:
		return false
	case WinogradAll:
		return true
	}
	return winogradRule(b, cin, cout, oh, ow)
}

// winogradRule: Winograd when both channel counts are at least 16 and one
// group of images gives the 36 GEMMs at least 16 columns (tiles): at batch
// 1 and 224×224 that is ResNet's 56×56, 28×28 and 14×14 stages, not 7×7;
// at 32×32, the CIFAR ResNets' 32×32 and 16×16 stages, not 8×8.
//
// Why: Winograd cuts the multiplies of the GEMM by 4 (36 per 4×4 tile
// against 9·16), but adds transforms whose cost grows with cin + cout per
// tile while the GEMM's grows with cin·cout, so narrow layers lose; and the
// GEMMs' columns are the tiles, padded to the micro-kernel's 32-column
// panels, so few tiles waste most of each panel. BenchmarkConv3x3, one
// thread, Cin = Cout = C, 3×3 pad 1, bias + ReLU fused, AVX-512 12×32
// micro-kernel, AVX-512 transforms, µs per run, best of 6 runs on a shared
// 2-vCPU Xeon (im2col+GEMM → Winograd):
//
//	C=16  32×32 b1 (N=64):   229 →    72   3.2×
//	C=32  16×16 b1 (N=16):   130 →    54   2.4×
//	C=64  56×56 b1 (N=196): 3166 →  1006   3.1×
//	C=128 28×28 b1 (N=49):  2214 →   778   2.8×
//	C=256 14×14 b1 (N=16):  2908 →  2009   1.45×
//	C=64   8×8  b1 (N=4):     95 →   109   lose
//	C=256  8×8  b1 (N=4):    652 →  1267   lose
//	C=512  7×7  b1 (N=4):   3481 →  4981   lose
//	C=512  7×7  b8 (N=32): 22913 → 12297   1.86×
//	C=64   4×4  b1 (N=1):     43 →   110   lose
//
// Inside ResNet-18 (batch 1, 224×224, one thread, per layer, best of 10,
// ms): 56×56 3.1–3.4 → 0.9–1.1; 28×28 2.0–2.3 → 0.9; 14×14 (N=16) 2.0–2.1
// → 1.9–2.1, about even once the residual and the larger working set
// count (with the scalar transforms it lost, and the rule asked N ≥ 32 and
// C ≥ 32). BenchmarkWinogradModels/resnet20 (1×3×32×32): 2.9 → 1.7 ms
// (medians of 4) with its 32×32 and 16×16 stages by Winograd.
func winogradRule(b, cin, cout, oh, ow int) bool {
	tiles := ((oh + kernels.WinogradTile - 1) / kernels.WinogradTile) * ((ow + kernels.WinogradTile - 1) / kernels.WinogradTile)
	n := min(b, winogradPerGroup(tiles)) * tiles
	return cin >= 16 && cout >= 16 && n >= 16
}

// winogradPerGroup is the number of images whose tiles a Winograd
// convolution with the given tiles per image transforms and multiplies
// together: enough for winogradCols columns.
func winogradPerGroup(tiles int) int { return max(1, (winogradCols+tiles-1)/tiles) }

// winoStep is a 3×3 stride-1 convolution by Winograd F(4×4, 3×3): for each
// group of images, the input transform (parallel over images·channels),
// 36 pre-packed GEMMs  M[ξ] [Cout, N] = U[ξ] [Cout, Cin] · V[ξ] [Cin, N]
// (parallel over products·column panels), and the output transform with
// the epilogue (parallel over images·output channels). Every output
// element's arithmetic is independent of the split, so results are
// bit-identical at any thread count.
type winoStep struct {
	e            *engine
	x, y, res    []float32 // [B, Cin, H, W], [B, Cout, OH, OW], residual like y or nil
	geom         kernels.WinogradGeom
	b, cin, cout int
	hw, ohw      int
	tiles        int // tiles per image
	perGroup     int // images per group
	packed       [kernels.WinogradN]*kernels.PackedA
	bias         []float32
	act          kernels.Activation
	nr           int

	// The group being computed, when the threads share each group.
	cur winoGroup

	// byGroup: each goroutine computes whole groups of images on its own
	// slices (vLen, mLen floats) of the engine's scratch (see
	// newWinograd).
	byGroup    bool
	vLen, mLen int

	inFn, gemmFn, outFn, groupFn func(w, lo, hi int)
}

// winoGroup is a group of images being computed: images [img0,
// img0+nimg), n = nimg·tiles columns in panels column panels, and the
// transformed inputs v [36, Cin, n] and products m [36, Cout, n].
type winoGroup struct {
	img0, nimg, n, panels int
	v, m                  []float32
}

// group returns group g of the step's images, with scratch v and m.
func (s *winoStep) group(g int, v, m []float32) winoGroup {
	gr := winoGroup{img0: g * s.perGroup, v: v, m: m}
	gr.nimg = min(s.perGroup, s.b-gr.img0)
	gr.n = gr.nimg * s.tiles
	gr.panels = (gr.n + s.nr - 1) / s.nr
	return gr
}

// newWinograd builds a winoStep from the geometry in s, transforming and
// packing the weights w [Cout, Cin, 3, 3] once.
func (e *engine) newWinograd(s *convStep, w, bias []float32, act kernels.Activation) *winoStep {
	g := s.geom
	st := &winoStep{e: e, x: s.x, y: s.y, res: s.res, b: s.b, cin: s.cin, cout: s.cout,
		hw: s.hw, ohw: s.ohw, bias: bias, act: act,
		geom: kernels.NewWinogradGeom(g.H, g.W, g.PadT, g.PadL, g.OH, g.OW)}
	st.tiles = st.geom.Tiles()
	st.perGroup = min(st.b, winogradPerGroup(st.tiles))
	u := make([]float32, kernels.WinogradN*st.cout*st.cin)
	kernels.WinogradWeights(st.cout, st.cin, w, u)
	plane := st.cout * st.cin
	for xi := range st.packed {
		st.packed[xi] = kernels.PackA(&e.slab, st.cout, st.cin, u[xi*plane:(xi+1)*plane], st.cin)
	}
	st.nr = st.packed[0].NR()
	n := st.perGroup * st.tiles
	st.vLen, st.mLen = kernels.WinogradN*st.cin*n, kernels.WinogradN*st.cout*n
	// With at least as many groups of images as goroutines (and as many
	// each, or 4 per goroutine), each goroutine transforms, multiplies and
	// transforms back whole groups on its own scratch: no barriers
	// between the three phases, and each group's transformed tiles stay in
	// its core's cache.
	t := e.threads
	groups := (st.b + st.perGroup - 1) / st.perGroup
	st.byGroup = t > 1 && groups >= t && (groups%t == 0 || groups >= 4*t)
	copies := 1
	if st.byGroup {
		copies = t
	}
	e.winoVLen = max(e.winoVLen, copies*st.vLen)
	e.winoMLen = max(e.winoMLen, copies*st.mLen)
	e.gemmN = max(e.gemmN, min(n, 2048))
	st.inFn, st.gemmFn, st.outFn, st.groupFn = st.inBody, st.gemmBody, st.outBody, st.groupBody
	return st
}

// groupBody computes groups of images [lo, hi) whole on goroutine w.
func (s *winoStep) groupBody(w, lo, hi int) {
	v := s.e.winoV[w*s.vLen : (w+1)*s.vLen]
	m := s.e.winoM[w*s.mLen : (w+1)*s.mLen]
	for g := lo; g < hi; g++ {
		gr := s.group(g, v, m)
		s.inRange(&gr, 0, gr.nimg*s.cin)
		s.gemmRange(&gr, w, 0, kernels.WinogradN*gr.panels)
		s.outRange(&gr, 0, gr.nimg*s.cout)
	}
}

func (s *winoStep) run(p *kernels.Pool) {
	if s.byGroup {
		p.Parallel((s.b+s.perGroup-1)/s.perGroup, 1, s.groupFn)
		return
	}
	for g := 0; g*s.perGroup < s.b; g++ {
		s.cur = s.group(g, s.e.winoV, s.e.winoM)
		// Grains: ~16k input pixels per goroutine for the transforms,
		// and at least one GEMM of ~64k multiply-adds.
		p.Parallel(s.cur.nimg*s.cin, max(1, planeGrain/max(1, s.hw)), s.inFn)
		p.Parallel(kernels.WinogradN*s.cur.panels, max(1, 65536/max(1, s.cin*s.cout*s.nr)), s.gemmFn)
		p.Parallel(s.cur.nimg*s.cout, max(1, planeGrain/max(1, s.ohw)), s.outFn)
	}
}

// inBody transforms units [lo, hi) of images·input channels of the
// current group.
func (s *winoStep) inBody(_, lo, hi int) { s.inRange(&s.cur, lo, hi) }

// gemmBody computes units [lo, hi) of products·column panels of the
// current group.
func (s *winoStep) gemmBody(w, lo, hi int) { s.gemmRange(&s.cur, w, lo, hi) }

// outBody finishes units [lo, hi) of images·output channels of the
// current group.
func (s *winoStep) outBody(_, lo, hi int) { s.outRange(&s.cur, lo, hi) }

// inRange transforms units [lo, hi) of images·input channels of gr.
func (s *winoStep) inRange(gr *winoGroup, lo, hi int) {
	for lo < hi {
		i := lo / s.cin
		end := min(hi, (i+1)*s.cin)
		img := gr.img0 + i
		x := s.x[img*s.cin*s.hw : (img+1)*s.cin*s.hw]
		kernels.WinogradInput(&s.geom, x, lo-i*s.cin, end-i*s.cin, gr.v, s.cin*gr.n, gr.n, i*s.tiles)
		lo = end
	}
}

// gemmRange computes units [lo, hi) of products·column panels of gr on
// goroutine w.
func (s *winoStep) gemmRange(gr *winoGroup, w, lo, hi int) {
	vs, ms := s.cin*gr.n, s.cout*gr.n
	for lo < hi {
		xi := lo / gr.panels
		end := min(hi, (xi+1)*gr.panels)
		n0, n1 := (lo-xi*gr.panels)*s.nr, min((end-xi*gr.panels)*s.nr, gr.n)
		kernels.GemmPacked(s.packed[xi], false, gr.n, gr.v[xi*vs:(xi+1)*vs], gr.n,
			gr.m[xi*ms:(xi+1)*ms], gr.n, nil, 0, s.cout, n0, n1, s.e.ws[w])
		lo = end
	}
}

// outRange finishes units [lo, hi) of images·output channels of gr.
func (s *winoStep) outRange(gr *winoGroup, lo, hi int) {
	for lo < hi {
		i := lo / s.cout
		end := min(hi, (i+1)*s.cout)
		img := gr.img0 + i
		act, post := splitAct(s.act)
		ep := kernels.Epilogue{Bias: s.bias, Act: act}
		if s.res != nil {
			ep.Residual = s.res[img*s.cout*s.ohw : (img+1)*s.cout*s.ohw]
		}
		y := s.y[img*s.cout*s.ohw : (img+1)*s.cout*s.ohw]
		kernels.WinogradOutput(&s.geom, gr.m, s.cout*gr.n, gr.n, i*s.tiles, y, &ep, lo-i*s.cout, end-i*s.cout)
		kernels.EngApplyAct(post, y[(lo-i*s.cout)*s.ohw:(end-i*s.cout)*s.ohw])
		lo = end
	}
}
