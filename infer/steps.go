package infer

import (
	"fmt"

	"convnet/internal/kernels"
	"convnet/ops"
)

// Grains of parallel loops: the least work worth handing to one goroutine.
const (
	elemGrain  = 16384 // elements of an element-wise loop
	planeGrain = 16384 // input pixels of a per-plane loop, divided by the plane size
)

// newStep builds the executable form of node n over the planned memory.
func (e *engine) newStep(n *Node) (step, error) {
	g := e.g
	switch n.Op {
	case "conv2d":
		return e.newConv(n)
	case "linear":
		return e.newLinear(n)
	case "affine":
		at := n.Attrs.(affineAttrs)
		s := g.Values[n.In[0]].Shape
		st := &affineStep{x: e.views[n.In[0]], y: e.views[n.Out], scale: at.Scale, shift: at.Shift,
			c: s[1], hw: numel(s[2:]), planes: s[0] * s[1], act: n.Act}
		st.fn = st.body
		return st, nil
	case "act":
		st := &actStep{x: e.views[n.In[0]], y: e.views[n.Out], act: n.Act}
		st.fn = st.body
		return st, nil
	case "add", "mul":
		return e.newBinary(n)
	case "max_pool2d", "avg_pool2d":
		return e.newPool(n)
	case "global_avg_pool2d":
		return e.newGlobalPool(n)
	case "adaptive_avg_pool2d":
		if hw, ok := n.Attrs.([2]int); ok && hw == [2]int{1, 1} {
			return e.newGlobalPool(n)
		}
		return nil, fmt.Errorf("infer: op adaptive_avg_pool2d to %v is not supported (only to 1×1)", n.Attrs)
	case "concat":
		return e.newConcat(n)
	}
	return nil, fmt.Errorf("infer: op %q is not supported by the inference engine", n.Op)
}

// splitAct splits a into the part that a kernel's epilogue applies and the
// part that the engine applies afterwards with kernels.EngApplyAct: SiLU
// and sigmoid, whose float32 forms there are much faster than the float64
// ones of the kernels' epilogues.
func splitAct(a kernels.Activation) (inKernel, after kernels.Activation) {
	if a.Kind == kernels.ActSiLU || a.Kind == kernels.ActSigmoid {
		return kernels.Activation{}, a
	}
	return a, kernels.Activation{}
}

// postChunk is the number of columns of a GEMM computed before the
// activation that splitAct moved out of the epilogue runs over them, so
// that they are still in cache.
const postChunk = 512

// Row-chunked im2col. A convolution whose unfolded input would be larger
// than colChunkMin bytes while its weights take at most colChunkMaxW
// unfolds and multiplies its output a few rows at a time instead, each
// goroutine with a slice of the im2col buffer of about colChunkTarget
// bytes, which stays in L2 between the unfolding and the product (the whole
// buffer, 7.4 MB for a 7×7 stem at 224², went out to L3 and came back).
// The weights are read once per chunk, hence the bound on them. ResNet-50's
// stem, one thread: im2col then GEMM 0.61 + 1.47 ms, by chunks of 2–8
// rows 1.76–1.81 ms (16 rows 1.87–1.93).
const (
	colChunkMin    = 1 << 20
	colChunkMaxW   = 512 << 10
	colChunkTarget = 256 << 10
	// colImageMax is the largest unfolded image, in bytes, for which a
	// convolution at batch ≥ threads gives each goroutine whole images
	// (each needs its own im2col buffer of that size).
	colImageMax = 16 << 20
)

// constCopy returns a copy of the data of constant value id, or an error
// when it is computed from the input.
func (e *engine) constCopy(id int, what string) ([]float32, error) {
	d, err := constData(e.g, id, what)
	if err != nil {
		return nil, err
	}
	return append([]float32(nil), d...), nil
}

// convStep is a 2-D convolution with its epilogue: for each image and
// group, im2col (unless the kernel is 1×1 with stride 1 and no padding)
// then a pre-packed GEMM  y_g [og, OH·OW] = W_g [og, cg·KH·KW] · col
// [cg·KH·KW, OH·OW], or, for a depthwise convolution (groups = Cin = Cout),
// a direct per-plane kernel.
type convStep struct {
	e                 *engine
	x, y, res         []float32 // [B, Cin, H, W], [B, Cout, OH, OW], residual like y or nil
	geom              kernels.ConvGeom
	b, cin, cout      int
	groups, cg, og    int
	hw, ohw, ckk      int
	direct, depthwise bool
	packed            []*kernels.PackedA // per group
	eps               []kernels.Epilogue // per image·group
	post              kernels.Activation // applied after the epilogues (see splitAct)
	dwW               []float32          // depthwise weights [C, KH, KW]
	splitN            bool               // GEMM work split over columns (else rows)
	units             int                // GEMM work units (tiles of the split dimension)
	mr, nr            int
	rowChunk          int  // output rows per chunk of a row-chunked im2col (0: whole image at once)
	chunkLen          int  // floats of the im2col buffer per goroutine when chunked
	img, grp          int  // image and group being computed
	byImage           bool // whole images per goroutine (see newConv)
	im2colFn, gemmFn  func(w, lo, hi int)
	chunkFn, imageFn  func(w, lo, hi int)
	dwFn              func(w, lo, hi int)
}

// newConv builds a convStep, packing the weights once.
func (e *engine) newConv(n *Node) (step, error) {
	g := e.g
	o := n.Attrs.(ops.Conv2dOptions)
	xs, ys := g.Values[n.In[0]].Shape, g.Values[n.Out].Shape
	if g.Values[n.In[1]].Const == nil {
		return nil, fmt.Errorf("infer: conv2d whose weight depends on the input is not supported")
	}
	w := g.Values[n.In[1]].Const
	ws := w.Shape()
	groups := max(o.Groups, 1)
	s := &convStep{e: e, x: e.views[n.In[0]], y: e.views[n.Out],
		b: xs[0], cin: xs[1], cout: ws[0], groups: groups, cg: ws[1], og: ws[0] / groups}
	if n.Residual >= 0 {
		s.res = e.views[n.Residual]
		if s.res == nil {
			return nil, fmt.Errorf("infer: conv2d residual is a constant; not supported")
		}
	}
	str, dil := o.Stride, o.Dilation
	for i := range 2 {
		str[i], dil[i] = max(str[i], 1), max(dil[i], 1)
	}
	s.geom = kernels.ConvGeom{C: s.cg, H: xs[2], W: xs[3], KH: ws[2], KW: ws[3], SH: str[0], SW: str[1],
		PadT: o.Padding[0], PadL: o.Padding[1], DH: dil[0], DW: dil[1], OH: ys[2], OW: ys[3]}
	s.hw, s.ohw, s.ckk = xs[2]*xs[3], ys[2]*ys[3], s.cg*ws[2]*ws[3]
	s.direct = ws[2] == 1 && ws[3] == 1 && str == [2]int{1, 1} && o.Padding == [4]int{}
	var bias []float32
	if len(n.In) > 2 && n.In[2] >= 0 {
		var err error
		if bias, err = e.constCopy(n.In[2], "conv2d bias"); err != nil {
			return nil, err
		}
	}
	s.depthwise = groups == s.cin && s.cout == s.cin && s.cg == 1
	act, post := splitAct(n.Act)
	s.post = post
	if groups == 1 && ws[2] == 3 && ws[3] == 3 && str == [2]int{1, 1} && dil == [2]int{1, 1} && e.useWinograd(s.b, s.cin, s.cout, ys[2], ys[3]) {
		return e.newWinograd(s, w.Data(), bias, n.Act), nil
	}
	if s.depthwise {
		s.dwW = append([]float32(nil), w.Data()...)
		s.eps = []kernels.Epilogue{{Bias: bias, Act: act}}
		s.dwFn = s.dwBody
		return s, nil
	}
	for gi := 0; gi < groups; gi++ {
		s.packed = append(s.packed, kernels.PackA(&e.slab, s.og, s.ckk, w.Data()[gi*s.og*s.ckk:], s.ckk))
	}
	for i := 0; i < s.b; i++ {
		for gi := 0; gi < groups; gi++ {
			ep := kernels.Epilogue{Act: act}
			if bias != nil {
				ep.Bias = bias[gi*s.og : (gi+1)*s.og]
			}
			if s.res != nil {
				off := (i*s.cout + gi*s.og) * s.ohw
				ep.Residual, ep.ResLd = s.res[off:off+s.og*s.ohw], s.ohw
			}
			s.eps = append(s.eps, ep)
		}
	}
	s.mr, s.nr = s.packed[0].MR(), s.packed[0].NR()
	tilesM, tilesN := (s.og+s.mr-1)/s.mr, (s.ohw+s.nr-1)/s.nr
	// Goroutines taking columns each read all of the weights, ones taking
	// rows all of the unfolded input; at batch 1 the weights come from
	// DRAM and the input from cache, so columns are split only when there
	// are at least as many pixels as output channels (or too few row tiles
	// to go round). Splitting ResNet-50's 7×7 layers (49 pixels, 2 column
	// tiles of 32 and 17) by columns also left one goroutine with twice the
	// other's work.
	//
	// Even then rows win when the largest share of column tiles holds a
	// fifth more work than that of row tiles: MobileNet-v2's 576→96 at 14²
	// (196 pixels, 7 column tiles, shares of 4 and 3) by rows, 2 threads
	// 0.115 → 0.086–0.090 ms. (Not for less: its 192→32 at 28², 1.06 times
	// the work by columns, went 0.051 → 0.063 ms by rows, each goroutine
	// reading all of the 600 KB input.)
	t := e.threads
	workN := s.og * min(s.ohw, (tilesN+t-1)/t*s.nr)
	workM := min(s.og, (tilesM+t-1)/t*s.mr) * s.ohw
	s.splitN = (s.ohw >= s.og && 5*workN <= 6*workM) || tilesM < t
	if s.splitN {
		s.units = tilesN
	} else {
		s.units = tilesM
	}
	e.gemmN = max(e.gemmN, min(s.ohw, 2048))
	if !s.direct && groups == 1 && 4*s.ckk*s.ohw > colChunkMin && 4*s.og*s.ckk <= colChunkMaxW {
		ow := s.geom.OW
		s.rowChunk = max(1, colChunkTarget/(4*s.ckk*ow))
		s.chunkLen = s.ckk * min(s.rowChunk, s.geom.OH) * ow
		e.colLen = max(e.colLen, e.threads*s.chunkLen)
	} else if !s.direct {
		e.colLen = max(e.colLen, s.ckk*s.ohw)
	}
	// With at least as many images as goroutines (and as many per
	// goroutine), each goroutine unfolds and multiplies whole images on
	// its own slice of the im2col buffer: no barrier between the unfolding
	// and the product, nor per image, and each goroutine's unfolded input
	// stays in its own core's cache. (The batch-1 split of every image's
	// product over the threads scaled 1.6–1.8× on two threads at batch 32
	// for ResNet-50's strided layers.) Not where one image's unfolded
	// input exceeds colImageMax per goroutine; the arithmetic of every
	// element is the same either way (GemmPacked).
	if t > 1 && s.b >= t && (s.b%t == 0 || s.b >= 4*t) && (s.direct || s.rowChunk > 0 || 4*s.ckk*s.ohw <= colImageMax) {
		s.byImage = true
		if !s.direct && s.rowChunk == 0 {
			s.chunkLen = s.ckk * s.ohw
			e.colLen = max(e.colLen, t*s.chunkLen)
		}
	}
	s.im2colFn, s.gemmFn, s.chunkFn, s.imageFn = s.im2colBody, s.gemmBody, s.chunkBody, s.imageBody
	return s, nil
}

func (s *convStep) run(p *kernels.Pool) {
	if s.depthwise {
		p.Parallel(s.b*s.cin, max(1, planeGrain/max(1, s.ohw*s.geom.KH*s.geom.KW)), s.dwFn)
		return
	}
	if s.byImage {
		p.Parallel(s.b, 1, s.imageFn)
		return
	}
	if s.rowChunk > 0 {
		chunks := (s.geom.OH + s.rowChunk - 1) / s.rowChunk
		for i := 0; i < s.b; i++ {
			s.img, s.grp = i, 0
			p.Parallel(chunks, 1, s.chunkFn)
		}
		return
	}
	for i := 0; i < s.b; i++ {
		for gi := 0; gi < s.groups; gi++ {
			s.img, s.grp = i, gi
			if !s.direct {
				p.Parallel(s.cg, max(1, planeGrain/max(1, s.ohw*s.geom.KH*s.geom.KW)), s.im2colFn)
			}
			// A unit of GEMM work is one tile row or column: about
			// mr·ckk·OH·OW or nr·ckk·og multiply-adds; ask for ~64k per
			// goroutine at least.
			per := s.ckk * s.ohw * s.mr
			if s.splitN {
				per = s.ckk * s.og * s.nr
			}
			p.Parallel(s.units, max(1, 65536/max(1, per)), s.gemmFn)
		}
	}
}

// im2colBody unfolds channels [lo, hi) of the current image and group.
func (s *convStep) im2colBody(_, lo, hi int) {
	g := s.geom
	g.C = hi - lo
	c0 := s.img*s.cin + s.grp*s.cg + lo
	kk := g.KH * g.KW
	kernels.Im2col(&g, s.x[c0*s.hw:(c0+g.C)*s.hw], s.e.col[lo*kk*s.ohw:(hi*kk)*s.ohw])
}

// chunkBody unfolds and multiplies row chunks [lo, hi) of the current
// image's output (groups = 1), in goroutine w's slice of the im2col buffer.
// Every output element is formed by the same arithmetic as in gemmBody.
func (s *convStep) chunkBody(w, lo, hi int) { s.chunkRows(w, s.img, lo, hi) }

// imageBody computes images [lo, hi) whole on goroutine w (byImage).
func (s *convStep) imageBody(w, lo, hi int) {
	for i := lo; i < hi; i++ {
		if s.rowChunk > 0 {
			s.chunkRows(w, i, 0, (s.geom.OH+s.rowChunk-1)/s.rowChunk)
			continue
		}
		for gi := 0; gi < s.groups; gi++ {
			c0 := i*s.cin + gi*s.cg
			src := s.x[c0*s.hw : (c0+s.cg)*s.hw]
			if !s.direct {
				g := s.geom
				g.C = s.cg
				col := s.e.col[w*s.chunkLen : w*s.chunkLen+s.ckk*s.ohw]
				kernels.Im2col(&g, src, col)
				src = col
			}
			s.gemmRange(w, i, gi, src, 0, s.og, 0, s.ohw)
		}
	}
}

// chunkRows unfolds and multiplies row chunks [lo, hi) of image img's
// output (groups = 1), in goroutine w's slice of the im2col buffer.
func (s *convStep) chunkRows(w, img, lo, hi int) {
	col := s.e.col[w*s.chunkLen : (w+1)*s.chunkLen]
	ow, oh := s.geom.OW, s.geom.OH
	x := s.x[img*s.cin*s.hw : (img+1)*s.cin*s.hw]
	y := s.y[img*s.cout*s.ohw : (img+1)*s.cout*s.ohw]
	for ch := lo; ch < hi; ch++ {
		oy0 := ch * s.rowChunk
		oy1 := min(oy0+s.rowChunk, oh)
		px0, np := oy0*ow, (oy1-oy0)*ow
		b := col[:s.ckk*np]
		kernels.Im2colRows(&s.geom, x, b, oy0, oy1)
		ep := s.eps[img] // a copy: its residual starts at the chunk
		if ep.Residual != nil {
			ep.Residual = ep.Residual[px0:]
		}
		kernels.GemmPacked(s.packed[0], false, np, b, np, y[px0:], s.ohw, &ep, 0, s.og, 0, np, s.e.ws[w])
		if s.post.Kind != kernels.ActNone {
			for i := 0; i < s.og; i++ {
				kernels.EngApplyAct(s.post, y[i*s.ohw+px0:i*s.ohw+px0+np])
			}
		}
	}
}

// gemmBody computes tiles [lo, hi) of the current image and group.
func (s *convStep) gemmBody(w, lo, hi int) {
	var src []float32
	if s.direct {
		c0 := s.img*s.cin + s.grp*s.cg
		src = s.x[c0*s.hw : (c0+s.cg)*s.hw]
	} else {
		src = s.e.col[:s.ckk*s.ohw]
	}
	m0, m1, n0, n1 := 0, s.og, 0, s.ohw
	if s.splitN {
		n0, n1 = lo*s.nr, min(hi*s.nr, s.ohw)
	} else {
		m0, m1 = lo*s.mr, min(hi*s.mr, s.og)
	}
	s.gemmRange(w, s.img, s.grp, src, m0, m1, n0, n1)
}

// gemmRange computes rows [m0, m1) and columns [n0, n1) of image img's
// group gi from its unfolded input src, on goroutine w.
func (s *convStep) gemmRange(w, img, gi int, src []float32, m0, m1, n0, n1 int) {
	off := (img*s.cout + gi*s.og) * s.ohw
	dst := s.y[off : off+s.og*s.ohw]
	ep := &s.eps[img*s.groups+gi]
	if s.post.Kind == kernels.ActNone {
		kernels.GemmPacked(s.packed[gi], false, s.ohw, src, s.ohw, dst, s.ohw, ep, m0, m1, n0, n1, s.e.ws[w])
		return
	}
	// Column chunks start on multiples of nr, so the arithmetic of each
	// element is unchanged (GemmPacked).
	chunk := max(s.nr, postChunk/s.nr*s.nr)
	for c0 := n0; c0 < n1; c0 += chunk {
		c1 := min(c0+chunk, n1)
		kernels.GemmPacked(s.packed[gi], false, s.ohw, src, s.ohw, dst, s.ohw, ep, m0, m1, c0, c1, s.e.ws[w])
		for i := m0; i < m1; i++ {
			kernels.EngApplyAct(s.post, dst[i*s.ohw+c0:i*s.ohw+c1])
		}
	}
}

// dwBody computes planes [lo, hi) of B·C of a depthwise convolution.
func (s *convStep) dwBody(_, lo, hi int) {
	c := s.cin
	for lo < hi {
		i := lo / c
		end := min(hi, (i+1)*c)
		x := s.x[i*c*s.hw : (i+1)*c*s.hw]
		y := s.y[i*c*s.ohw : (i+1)*c*s.ohw]
		ep := s.eps[0]
		if s.res != nil {
			ep.Residual, ep.ResLd = s.res[i*c*s.ohw:(i+1)*c*s.ohw], s.ohw
		}
		// A SiLU post runs fused in the row kernels, with EngApplyAct's bits.
		kernels.DepthwiseConvPlanesPost(&s.geom, x, s.dwW, y, &ep, s.post, lo-i*c, end-i*c)
		lo = end
	}
}

// linearStep is y [N, O] = act(x [N, F] · Wᵀ + bias). Up to
// kernels.EngLinearMaxBatch() images it is a set of matrix-vector products
// over the unpacked weights (kernels.EngLinearRows), written straight into
// y; at larger batches, the pre-packed GEMM  yᵀ [O, N] = W [O, F] · xᵀ,
// through a transposition.
type linearStep struct {
	e       *engine
	x, y    []float32 // [N, F], [N, O]
	n, f, o int
	w       []float32 // [O, F], row-major, for the matrix-vector path (else nil)
	packed  *kernels.PackedA
	ep      kernels.Epilogue
	post    kernels.Activation // applied after the epilogue (see splitAct)
	mr      int                // rows per work unit: the GEMM's row tile, or linearRows
	fn      func(w, lo, hi int)
}

// linearRows is the number of output features in a work unit of the
// matrix-vector path (a multiple of its kernels' 8 and 4 rows).
const linearRows = 8

func (e *engine) newLinear(n *Node) (step, error) {
	g := e.g
	if g.Values[n.In[1]].Const == nil {
		return nil, fmt.Errorf("infer: linear whose weight depends on the input is not supported")
	}
	w := g.Values[n.In[1]].Const
	o, f := w.Shape()[0], w.Shape()[1]
	s := &linearStep{e: e, x: e.views[n.In[0]], y: e.views[n.Out], o: o, f: f}
	s.n = len(s.x) / f
	s.ep.Act, s.post = splitAct(n.Act)
	if len(n.In) > 2 && n.In[2] >= 0 {
		var err error
		if s.ep.Bias, err = e.constCopy(n.In[2], "linear bias"); err != nil {
			return nil, err
		}
	}
	s.fn = s.body
	if s.n <= kernels.EngLinearMaxBatch() {
		s.w = append([]float32(nil), w.Data()...)
		s.mr = linearRows
		return s, nil
	}
	s.packed = kernels.PackA(&e.slab, o, f, w.Data(), f)
	s.mr = s.packed.MR()
	e.gemmN = max(e.gemmN, min(s.n, 2048))
	e.tmpLen = max(e.tmpLen, s.n*s.o)
	return s, nil
}

func (s *linearStep) run(p *kernels.Pool) {
	tiles := (s.o + s.mr - 1) / s.mr
	p.Parallel(tiles, max(1, 65536/max(1, s.mr*s.f*s.n)), s.fn)
	if s.w != nil {
		return
	}
	t := s.e.tmp[:s.o*s.n]
	for j := 0; j < s.n; j++ {
		row := s.y[j*s.o : (j+1)*s.o]
		for i := range row {
			row[i] = t[i*s.n+j]
		}
	}
}

func (s *linearStep) body(w, lo, hi int) {
	m0, m1 := lo*s.mr, min(hi*s.mr, s.o)
	if s.w != nil {
		kernels.EngLinearRows(s.w, s.x, s.y, s.n, s.o, s.f, &s.ep, m0, m1)
		for j := 0; j < s.n; j++ {
			kernels.EngApplyAct(s.post, s.y[j*s.o+m0:j*s.o+m1])
		}
		return
	}
	dst := s.e.tmp[:s.o*s.n]
	kernels.GemmPacked(s.packed, true, s.n, s.x, s.f, dst, s.n, &s.ep, m0, m1, 0, s.n, s.e.ws[w])
	kernels.EngApplyAct(s.post, dst[m0*s.n:m1*s.n])
}

// affineStep is y = act(x·scale[c] + shift[c]) per channel of x [B, C, ...].
type affineStep struct {
	x, y         []float32
	scale, shift []float32 // [C]
	c, hw        int
	planes       int
	act          kernels.Activation
	fn           func(w, lo, hi int)
}

func (s *affineStep) run(p *kernels.Pool) {
	p.Parallel(s.planes, max(1, planeGrain/max(1, s.hw)), s.fn)
}

func (s *affineStep) body(_, lo, hi int) {
	for pl := lo; pl < hi; pl++ {
		a, b := s.scale[pl%s.c], s.shift[pl%s.c]
		src, dst := s.x[pl*s.hw:(pl+1)*s.hw], s.y[pl*s.hw:(pl+1)*s.hw]
		for i, v := range src {
			dst[i] = v*a + b
		}
		kernels.EngApplyAct(s.act, dst)
	}
}

// actStep is y = act(x) element-wise.
type actStep struct {
	x, y []float32
	act  kernels.Activation
	fn   func(w, lo, hi int)
}

func (s *actStep) run(p *kernels.Pool) { p.Parallel(len(s.y), elemGrain, s.fn) }

func (s *actStep) body(_, lo, hi int) {
	copy(s.y[lo:hi], s.x[lo:hi])
	kernels.EngApplyAct(s.act, s.y[lo:hi])
}

// binaryStep is y = act(a ∘ b) for ∘ = + or ·, where a has y's shape and b
// either has it too or is broadcast per plane: b [Bb, C, 1, 1] with Bb = 1
// or B (a squeeze-and-excitation scale), or a single value.
type binaryStep struct {
	a, b, y  []float32
	mul      bool
	perPlane bool // b holds one value per plane (or per channel when bc == planes of one image)
	hw       int  // elements per plane of y
	bLen     int  // len(b)
	act      kernels.Activation
	fn       func(w, lo, hi int)
}

func (e *engine) newBinary(n *Node) (step, error) {
	g := e.g
	ys := g.Values[n.Out].Shape
	a, b := n.In[0], n.In[1]
	full := func(v int) bool { return shapeEq(g.Values[v].Shape, ys) }
	if !full(a) && full(b) {
		a, b = b, a // both ops are commutative
	}
	if !full(a) {
		return nil, fmt.Errorf("infer: op %s of shapes %v and %v: broadcasting both operands is not supported", n.Op, g.Values[a].Shape, g.Values[b].Shape)
	}
	s := &binaryStep{y: e.views[n.Out], mul: n.Op == "mul", act: n.Act}
	data := func(v int) ([]float32, error) {
		if g.Values[v].Const != nil {
			return e.constCopy(v, n.Op+" operand")
		}
		return e.views[v], nil
	}
	var err error
	if s.a, err = data(a); err != nil {
		return nil, err
	}
	if s.b, err = data(b); err != nil {
		return nil, err
	}
	bs := g.Values[b].Shape
	s.bLen = numel(bs)
	switch {
	case full(b):
	case s.bLen == 1:
		s.perPlane, s.hw = true, numel(ys)
	case len(bs) == len(ys) && len(ys) >= 2 && numel(bs[2:]) == 1 && bs[1] == ys[1] && (bs[0] == 1 || bs[0] == ys[0]):
		s.perPlane, s.hw = true, numel(ys[2:])
	default:
		return nil, fmt.Errorf("infer: op %s of shapes %v and %v: this broadcast is not supported", n.Op, g.Values[a].Shape, bs)
	}
	s.fn = s.body
	return s, nil
}

func (s *binaryStep) run(p *kernels.Pool) {
	if s.perPlane {
		planes := len(s.y) / s.hw
		p.Parallel(planes, max(1, elemGrain/s.hw), s.fn)
		return
	}
	p.Parallel(len(s.y), elemGrain, s.fn)
}

func (s *binaryStep) body(_, lo, hi int) {
	if !s.perPlane {
		y := s.y[lo:hi]
		if s.mul {
			kernels.EngMul(s.a[lo:hi], s.b[lo:hi], y)
		} else {
			kernels.EngAdd(s.a[lo:hi], s.b[lo:hi], y)
		}
		kernels.EngApplyAct(s.act, y)
		return
	}
	// Planes [lo, hi) in runs whose values of b are consecutive (b repeats
	// every bLen planes).
	for pl := lo; pl < hi; {
		j := pl % s.bLen
		n := min(hi-pl, s.bLen-j)
		a, y := s.a[pl*s.hw:(pl+n)*s.hw], s.y[pl*s.hw:(pl+n)*s.hw]
		if s.mul {
			kernels.EngMulPlanes(s.hw, a, s.b[j:j+n], y)
		} else {
			kernels.EngAddPlanes(s.hw, a, s.b[j:j+n], y)
		}
		kernels.EngApplyAct(s.act, y)
		pl += n
	}
}

// poolStep is max or average pooling over the planes of x [B, C, H, W].
type poolStep struct {
	x, y       []float32
	geom       kernels.ConvGeom
	max        bool
	padB, padR int
	inclPad    bool
	planes     int
	fn         func(w, lo, hi int)
}

func (e *engine) newPool(n *Node) (step, error) {
	g := e.g
	o := n.Attrs.(ops.Pool2dOptions)
	xs, ys := g.Values[n.In[0]].Shape, g.Values[n.Out].Shape
	p := [4]int{o.Padding[0], o.Padding[1], o.Padding[0], o.Padding[1]}
	if o.Pads != [4]int{} {
		p = o.Pads
	}
	str, dil := o.Stride, o.Dilation
	for i := range 2 {
		if str[i] == 0 {
			str[i] = o.Kernel[i]
		}
		dil[i] = max(dil[i], 1)
	}
	s := &poolStep{x: e.views[n.In[0]], y: e.views[n.Out], max: n.Op == "max_pool2d",
		padB: p[2], padR: p[3], inclPad: o.CountIncludePad, planes: xs[0] * xs[1]}
	s.geom = kernels.ConvGeom{C: s.planes, H: xs[2], W: xs[3], KH: o.Kernel[0], KW: o.Kernel[1],
		SH: str[0], SW: str[1], PadT: p[0], PadL: p[1], DH: dil[0], DW: dil[1], OH: ys[2], OW: ys[3]}
	s.fn = s.body
	return s, nil
}

func (s *poolStep) run(p *kernels.Pool) {
	work := s.geom.OH * s.geom.OW * s.geom.KH * s.geom.KW
	p.Parallel(s.planes, max(1, planeGrain/max(1, work)), s.fn)
}

func (s *poolStep) body(_, lo, hi int) {
	if s.max {
		kernels.EngMaxPoolPlanes(&s.geom, s.x, s.y, lo, hi)
		return
	}
	kernels.AvgPool2dPlanes(&s.geom, s.padB, s.padR, s.inclPad, s.x, s.y, lo, hi)
}

// globalPoolStep averages each plane of x [B, C, H, W] into y [B, C, 1, 1].
type globalPoolStep struct {
	x, y   []float32
	hw     int
	planes int
	fn     func(w, lo, hi int)
}

func (e *engine) newGlobalPool(n *Node) (step, error) {
	xs := e.g.Values[n.In[0]].Shape
	if len(xs) != 4 {
		return nil, fmt.Errorf("infer: %s of a %d-D input is not supported", n.Op, len(xs))
	}
	s := &globalPoolStep{x: e.views[n.In[0]], y: e.views[n.Out], hw: xs[2] * xs[3], planes: xs[0] * xs[1]}
	s.fn = s.body
	return s, nil
}

func (s *globalPoolStep) run(p *kernels.Pool) {
	p.Parallel(s.planes, max(1, planeGrain/max(1, s.hw)), s.fn)
}

func (s *globalPoolStep) body(_, lo, hi int) { kernels.GlobalAvgPool2dPlanes(s.hw, s.x, s.y, lo, hi) }

// concatStep copies its inputs side by side along an axis.
type concatStep struct {
	ins   [][]float32
	inner []int // per input: elements per outer index (its axis length × the sizes after the axis)
	outer int   // product of the sizes before the axis
	y     []float32
}

func (e *engine) newConcat(n *Node) (step, error) {
	g := e.g
	axis, ok := n.Attrs.(int)
	if !ok {
		return nil, fmt.Errorf("infer: concat with attributes %T", n.Attrs)
	}
	ys := g.Values[n.Out].Shape
	s := &concatStep{y: e.views[n.Out], outer: numel(ys[:axis])}
	for _, in := range n.In {
		var d []float32
		if g.Values[in].Const != nil {
			var err error
			if d, err = e.constCopy(in, "concat operand"); err != nil {
				return nil, err
			}
		} else {
			d = e.views[in]
		}
		s.ins = append(s.ins, d)
		s.inner = append(s.inner, numel(g.Values[in].Shape[axis:]))
	}
	return s, nil
}

func (s *concatStep) run(*kernels.Pool) {
	off := 0
	for o := 0; o < s.outer; o++ {
		for k, in := range s.ins {
			n := s.inner[k]
			copy(s.y[off:off+n], in[o*n:(o+1)*n])
			off += n
		}
	}
}
