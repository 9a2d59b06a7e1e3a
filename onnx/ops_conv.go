package onnx

import (
	"fmt"

	"convnet/ops"
)

// Convolution, pooling and batch normalisation. 1-D operators (input
// [N, C, L]) run as their 2-D op on [N, C, 1, L]; 3-D and higher have no op
// in package ops yet and are reported as unsupported.

func init() {
	register("Conv", buildConv)
	register("MaxPool", buildPool(true))
	register("AveragePool", buildPool(false))
	register("GlobalAveragePool", buildGlobalAveragePool)
	register("BatchNormalization", buildBatchNorm)
	register("ConvTranspose", buildConvTranspose)
}

// windowAttrs are the attributes shared by Conv and the pooling operators,
// in ONNX's order (one entry per spatial axis; pads are all begins, then
// all ends).
type windowAttrs struct {
	autoPad                   string
	kernel, strides, dilation []int64
	pads                      []int64
	ceil                      bool
	includePad                bool // AveragePool's count_include_pad
}

// readWindow reads the window attributes of n. Pooling has no dilations
// before opset 10 and AveragePool none before 19: the attribute is then
// simply absent and reads as ones.
func readWindow(n *node) (*windowAttrs, error) {
	w := &windowAttrs{
		autoPad:  n.str("auto_pad", "NOTSET"),
		kernel:   n.ints("kernel_shape", nil),
		strides:  n.ints("strides", nil),
		dilation: n.ints("dilations", nil),
		pads:     n.ints("pads", nil),
		ceil:     n.int("ceil_mode", 0) != 0,
	}
	switch w.autoPad {
	case "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER":
	default:
		return nil, n.unsupported("attribute auto_pad", "value %q", w.autoPad)
	}
	return w, nil
}

// geom2 is a window geometry mapped onto 2-D ops: kernel, stride and
// dilation (height, width), padding (top, left, bottom, right) and the
// output size.
type geom2 struct {
	k, s, d [2]int
	pad     [4]int
	out     [2]int
	ceil    bool // pooling: round the output size up (PyTorch's ceil_mode)
}

// poolGeometry finishes geometry for pooling: ONNX's output size,
// ⌊(in + begin + end − d·(k−1) − 1)/s⌋ + 1 (⌈⌉ with ceil_mode, dropping a
// last window that would start in the end padding), is
// ops.PoolOutputSizePads, and the four pads go to ops.Pool2dOptions.Pads.
// Each pad must be at most half the kernel, as ops (and PyTorch) require.
func (w *windowAttrs) poolGeometry(n *node, g *geom2, in, p, k []int) (*geom2, error) {
	for i := range 2 {
		if max(g.pad[i], g.pad[i+2]) > g.k[i]/2 {
			return nil, n.unsupported("attribute pads", "padding %v is more than half the kernel %v", p, k)
		}
	}
	for i := range 2 {
		if in[i] < 0 || g.pad[i] < 0 {
			g.out[i] = -1
			continue
		}
		g.out[i] = ops.PoolOutputSizePads(in[i], g.k[i], g.s[i], g.pad[i], g.pad[i+2], g.d[i], w.ceil)
		if g.out[i] < 1 {
			return nil, n.errorf("input of spatial size %v is too small for kernel %v (pads %v)", in, k, p)
		}
	}
	return g, nil
}

// geometry resolves w for the spatial input size in (1 or 2 entries, -1
// when unknown) and kernel size k. pool selects PyTorch's pooling output
// rule (with ceil_mode) instead of the convolution formula. Unknown input
// sizes give unknown output sizes (-1).
func (w *windowAttrs) geometry(n *node, in, k []int, pool bool) (*geom2, error) {
	r := len(in)
	if r != 1 && r != 2 {
		return nil, n.unsupported("input rank", "%d spatial dimensions (only 1-D and 2-D map onto convnet's ops)", r)
	}
	if len(w.kernel) > 0 && len(w.kernel) != r {
		return nil, n.errorf("kernel_shape %v for %d spatial dimensions", w.kernel, r)
	}
	for i, kv := range w.kernel {
		if int64(k[i]) != kv {
			return nil, n.errorf("kernel_shape %v does not match the weight's kernel %v", w.kernel, k)
		}
	}
	get := func(name string, v []int64, want int, def int64) ([]int, error) {
		out := make([]int, want)
		if v == nil {
			for i := range out {
				out[i] = int(def)
			}
			return out, nil
		}
		if len(v) != want {
			return nil, n.errorf("attribute %s %v has %d entries, want %d", name, v, len(v), want)
		}
		for i, x := range v {
			if x < 0 || x > MaxElements || (x == 0 && name != "pads") {
				return nil, n.errorf("attribute %s %v is out of range", name, v)
			}
			out[i] = int(x)
		}
		return out, nil
	}
	s, err := get("strides", w.strides, r, 1)
	if err != nil {
		return nil, err
	}
	d, err := get("dilations", w.dilation, r, 1)
	if err != nil {
		return nil, err
	}
	p, err := get("pads", w.pads, 2*r, 0)
	if err != nil {
		return nil, err
	}
	for i := range r {
		if k[i] < 1 {
			return nil, n.errorf("kernel size %v is not positive", k)
		}
	}
	switch w.autoPad {
	case "VALID":
		clear(p)
	case "SAME_UPPER", "SAME_LOWER":
		for i := range r {
			if in[i] < 0 {
				p[i], p[r+i] = -1, -1
				continue
			}
			out := (in[i] + s[i] - 1) / s[i]
			total := max((out-1)*s[i]+(k[i]-1)*d[i]+1-in[i], 0)
			small, big := total/2, total-total/2
			if w.autoPad == "SAME_UPPER" {
				p[i], p[r+i] = small, big
			} else {
				p[i], p[r+i] = big, small
			}
		}
	}
	g := &geom2{}
	if r == 1 {
		g.k, g.s, g.d = [2]int{1, k[0]}, [2]int{1, s[0]}, [2]int{1, d[0]}
		g.pad = [4]int{0, p[0], 0, p[1]}
		in = []int{1, in[0]}
	} else {
		g.k, g.s, g.d = [2]int{k[0], k[1]}, [2]int{s[0], s[1]}, [2]int{d[0], d[1]}
		g.pad = [4]int{p[0], p[1], p[2], p[3]}
	}
	g.ceil = w.ceil
	if pool {
		return w.poolGeometry(n, g, in, p, k)
	}
	for i := range 2 {
		if in[i] < 0 || g.pad[i] < 0 {
			g.out[i] = -1
			continue
		}
		g.out[i] = ops.ConvOutputSize(in[i], g.k[i], g.s[i], g.pad[i], g.pad[i+2], g.d[i])
		if g.out[i] < 1 {
			return nil, n.errorf("input of spatial size %v is too small for kernel %v (strides %v, pads %v, dilations %v)", in, k, s, p, d)
		}
	}
	return g, nil
}

// outShape returns [N, C, spatial...] for an r-D operator.
func (g *geom2) outShape(nb, c, r int) []int {
	if r == 1 {
		return []int{nb, c, g.out[1]}
	}
	return []int{nb, c, g.out[0], g.out[1]}
}

// as4d views an [N, C, L] value as [N, C, 1, L].
func as4d(x *ops.Var) *ops.Var {
	s := x.Value.Shape()
	if len(s) == 3 {
		return ops.Reshape(x, s[0], s[1], 1, s[2])
	}
	return x
}

// buildConv maps Conv (auto_pad, pads, strides, dilations, group) onto
// ops.Conv2d.
func buildConv(n *node) (*kernel, error) {
	if err := n.wantIO(2, 3, 1); err != nil {
		return nil, err
	}
	w, err := readWindow(n)
	if err != nil {
		return nil, err
	}
	if w.ceil {
		return nil, n.errorf("Conv has no ceil_mode")
	}
	group := n.int("group", 1)
	if group < 1 || group > MaxElements {
		return nil, n.errorf("group %d is not positive", group)
	}
	geometry := func(x, wt *info) (*geom2, []int, error) {
		if err := wantRank("input X", x, 3, 4, 5); err != nil {
			return nil, nil, err
		}
		if err := wantRank("weight W", wt, 3, 4, 5); err != nil {
			return nil, nil, err
		}
		if !wt.ranked || !allKnown(wt) {
			return nil, nil, n.unsupported("input W", "weight of unknown shape")
		}
		r := len(wt.shape) - 2
		if x.ranked && len(x.shape) != r+2 {
			return nil, nil, fmt.Errorf("input X %s and weight W %v differ in rank", shapeString(x.shape), wt.shape)
		}
		in := make([]int, r)
		for i := range in {
			in[i] = -1
			if x.ranked {
				in[i] = x.shape[2+i]
			}
		}
		g, err := w.geometry(n, in, wt.shape[2:], false)
		if err != nil {
			return nil, nil, err
		}
		nb, c := -1, -1
		if x.ranked {
			nb, c = x.shape[0], x.shape[1]
		}
		m, cg := wt.shape[0], wt.shape[1]
		if c >= 0 && c != cg*int(group) {
			return nil, nil, fmt.Errorf("input X %s has %d channels, weight W %v with group %d wants %d", shapeString(x.shape), c, wt.shape, group, cg*int(group))
		}
		if m%int(group) != 0 {
			return nil, nil, fmt.Errorf("weight W %v: %d output channels do not split into %d groups", wt.shape, m, group)
		}
		return g, g.outShape(nb, m, r), nil
	}
	infer := func(in []*info) ([]*info, error) {
		_, out, err := geometry(in[0], in[1])
		if err != nil {
			return nil, err
		}
		if len(in) > 2 && in[2] != nil && in[2].ranked && (len(in[2].shape) != 1 || in[2].shape[0] != in[1].shape[0]) {
			return nil, fmt.Errorf("bias B %s for %d output channels", shapeString(in[2].shape), in[1].shape[0])
		}
		return []*info{shaped(Float, out...)}, nil
	}
	run := func(in []*value) ([]*value, error) {
		g, out, err := geometry(infoOf(in[0]), infoOf(in[1]))
		if err != nil {
			return nil, err
		}
		var bias *ops.Var
		if len(in) > 2 && in[2] != nil {
			bias = in[2].v
		}
		y := ops.Conv2d(as4d(in[0].v), as4d(in[1].v), bias, ops.Conv2dOptions{
			Stride: g.s, Padding: g.pad, Dilation: g.d, Groups: int(group)})
		return []*value{varValue(ops.Reshape(y, out...))}, nil
	}
	return &kernel{infer: infer, run: run}, nil
}

// buildPool maps MaxPool (max) or AveragePool onto ops.MaxPool2d and
// ops.AvgPool2d, with pads (or auto_pad SAME_UPPER / SAME_LOWER) as four
// independent sides; each must be at most half the kernel, as ops
// requires. MaxPool's Indices output and a column-major storage_order are
// unsupported.
func buildPool(isMax bool) builder {
	return func(n *node) (*kernel, error) {
		if err := n.wantIO(1, 1, 1); err != nil {
			return nil, err
		}
		w, err := readWindow(n)
		if err != nil {
			return nil, err
		}
		if w.kernel == nil {
			return nil, n.errorf("attribute kernel_shape is required")
		}
		includePad := false
		if isMax {
			if so := n.int("storage_order", 0); so != 0 {
				return nil, n.unsupported("attribute storage_order", "value %d", so)
			}
		} else {
			includePad = n.int("count_include_pad", 0) != 0
			w.includePad = includePad
			for _, d := range w.dilation {
				if d != 1 {
					return nil, n.unsupported("attribute dilations", "average pooling with dilation %v", w.dilation)
				}
			}
		}
		geometry := func(x *info) (*geom2, []int, error) {
			if !x.ranked {
				return &geom2{}, nil, nil
			}
			if len(x.shape) < 3 {
				return nil, nil, fmt.Errorf("input X %s has rank %d, want [N, C, spatial...]", shapeString(x.shape), len(x.shape))
			}
			k := make([]int, len(w.kernel))
			for i, v := range w.kernel {
				if v < 1 || v > MaxElements {
					return nil, nil, n.errorf("kernel_shape %v is out of range", w.kernel)
				}
				k[i] = int(v)
			}
			if len(k) != len(x.shape)-2 {
				if len(x.shape) > 4 {
					return nil, nil, n.unsupported("input rank", "%d spatial dimensions (only 1-D and 2-D map onto convnet's ops)", len(x.shape)-2)
				}
				return nil, nil, n.errorf("kernel_shape %v for input %s", w.kernel, shapeString(x.shape))
			}
			g, err := w.geometry(n, x.shape[2:], k, true)
			if err != nil {
				return nil, nil, err
			}
			return g, g.outShape(x.shape[0], x.shape[1], len(k)), nil
		}
		infer := func(in []*info) ([]*info, error) {
			_, out, err := geometry(in[0])
			if err != nil {
				return nil, err
			}
			if out == nil {
				return []*info{unranked(Float)}, nil
			}
			return []*info{shaped(Float, out...)}, nil
		}
		run := func(in []*value) ([]*value, error) {
			g, out, err := geometry(infoOf(in[0]))
			if err != nil {
				return nil, err
			}
			o := ops.Pool2dOptions{Kernel: g.k, Stride: g.s, Pads: g.pad,
				Dilation: g.d, CeilMode: g.ceil, CountIncludePad: includePad}
			var y *ops.Var
			if isMax {
				y = ops.MaxPool2d(as4d(in[0].v), o)
			} else {
				y = ops.AvgPool2d(as4d(in[0].v), o)
			}
			return []*value{varValue(ops.Reshape(y, out...))}, nil
		}
		return &kernel{infer: infer, run: run}, nil
	}
}

// buildGlobalAveragePool maps GlobalAveragePool over any number of spatial
// dimensions onto ops.GlobalAvgPool2d of the input viewed as
// [N, C, 1, ∏spatial].
func buildGlobalAveragePool(n *node) (*kernel, error) { return buildGlobalPool(n, ops.GlobalAvgPool2d) }

// buildGlobalPool maps a global pooling operator over any number of spatial
// dimensions onto pool2d ([N, C, H, W] → [N, C, 1, 1]) of the input viewed
// as [N, C, 1, ∏spatial].
func buildGlobalPool(n *node, pool2d func(*ops.Var) *ops.Var) (*kernel, error) {
	if err := n.wantIO(1, 1, 1); err != nil {
		return nil, err
	}
	outShape := func(s []int) []int {
		out := append([]int(nil), s[:2]...)
		for range s[2:] {
			out = append(out, 1)
		}
		return out
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			x := in[0]
			if !x.ranked {
				return []*info{unranked(Float)}, nil
			}
			if len(x.shape) < 3 {
				return nil, fmt.Errorf("input X %s has rank %d, want [N, C, spatial...]", shapeString(x.shape), len(x.shape))
			}
			for _, d := range x.shape[2:] {
				if d == 0 {
					return nil, fmt.Errorf("input X %s is empty", shapeString(x.shape))
				}
			}
			return []*info{shaped(Float, outShape(x.shape)...)}, nil
		},
		run: func(in []*value) ([]*value, error) {
			s := in[0].shape()
			x := ops.Reshape(in[0].v, s[0], s[1], 1, numelOf(s[2:]))
			return []*value{varValue(ops.Reshape(pool2d(x), outShape(s)...))}, nil
		},
	}, nil
}

// buildBatchNorm maps BatchNormalization in inference mode onto
// ops.BatchNorm with training false: y = scale·(x − mean)/√(var + ε) + B.
// Training mode (training_mode = 1, is_test = 0, or the running-statistics
// outputs) and spatial = 0 are unsupported.
func buildBatchNorm(n *node) (*kernel, error) {
	n.ignore("momentum", "consumed_inputs")
	eps := n.float("epsilon", 1e-5)
	if n.has("is_test") && n.int("is_test", 0) == 0 {
		return nil, n.unsupported("attribute is_test", "training mode")
	}
	if n.int("spatial", 1) != 1 {
		return nil, n.unsupported("attribute spatial", "per-activation statistics (spatial = 0)")
	}
	if n.int("training_mode", 0) != 0 {
		return nil, n.unsupported("attribute training_mode", "training mode")
	}
	if err := n.wantIO(5, 5, 1); err != nil {
		return nil, err
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			x := in[0]
			if x.ranked && len(x.shape) < 2 {
				return nil, fmt.Errorf("input X %s has rank %d, want [N, C, ...]", shapeString(x.shape), len(x.shape))
			}
			c := -1
			if x.ranked {
				c = x.shape[1]
			}
			for i, name := range []string{"", "scale", "B", "input_mean", "input_var"} {
				if i == 0 {
					continue
				}
				p := in[i]
				if !p.ranked {
					continue
				}
				if len(p.shape) != 1 || (c >= 0 && p.shape[0] >= 0 && p.shape[0] != c) {
					return nil, fmt.Errorf("%s has shape %s for input X %s, want [%d]", name, shapeString(p.shape), shapeString(x.shape), c)
				}
			}
			return []*info{like(x, Float)}, nil
		},
		run: func(in []*value) ([]*value, error) {
			y := ops.BatchNorm(in[0].v, in[1].v, in[2].v, in[3].v.Value, in[4].v.Value, false, 0, float64(eps))
			return []*value{varValue(y)}, nil
		},
	}, nil
}

// convTransposePlan is a ConvTranspose resolved for one input: the ops
// options, the four pads (top, left, bottom, right) and the output size
// (height, width).
type convTransposePlan struct {
	o    ops.ConvTranspose2dOptions
	pads [4]int
	out  [2]int
	// direct is set when o alone gives ONNX's result; otherwise the full
	// output (no padding) is cropped or extended by pads and out.
	direct bool
}

// buildConvTranspose maps ConvTranspose (strides, dilations, group, pads,
// output_padding, output_shape, auto_pad) onto ops.ConvTranspose2d. ONNX's
// output is the full transposed convolution, (in−1)·s + d·(k−1) + 1 long,
// with pads[begin] elements dropped at the start and its length set to
// (in−1)·s + output_padding + d·(k−1) + 1 − begin − end (or to
// output_shape, the pads then split from the total as auto_pad says). When
// end ≤ begin and the difference fits ops' output padding this is
// ops.ConvTranspose2d with Padding begin; otherwise it is the full output
// cropped (and extended with zeros) by ops.Pad, plus the bias.
func buildConvTranspose(n *node) (*kernel, error) {
	if err := n.wantIO(2, 3, 1); err != nil {
		return nil, err
	}
	w, err := readWindow(n)
	if err != nil {
		return nil, err
	}
	if w.ceil {
		return nil, n.errorf("ConvTranspose has no ceil_mode")
	}
	group := n.int("group", 1)
	outPad := n.ints("output_padding", nil)
	outShape := n.ints("output_shape", nil)
	if group < 1 || group > MaxElements {
		return nil, n.errorf("group %d is not positive", group)
	}
	plan := func(x, wt *info) (*convTransposePlan, []int, error) {
		if err := wantRank("input X", x, 3, 4, 5); err != nil {
			return nil, nil, err
		}
		if !wt.ranked || !allKnown(wt) {
			return nil, nil, n.unsupported("input W", "weight of unknown shape")
		}
		r := len(wt.shape) - 2
		if r != 1 && r != 2 {
			return nil, nil, n.unsupported("input rank", "%d spatial dimensions (only 1-D and 2-D map onto convnet's ops)", r)
		}
		if x.ranked && len(x.shape) != r+2 {
			return nil, nil, fmt.Errorf("input X %s and weight W %v differ in rank", shapeString(x.shape), wt.shape)
		}
		if x.ranked && x.shape[1] >= 0 && x.shape[1] != wt.shape[0] {
			return nil, nil, fmt.Errorf("input X %s has %d channels, weight W %v wants %d", shapeString(x.shape), x.shape[1], wt.shape, wt.shape[0])
		}
		if wt.shape[0]%int(group) != 0 {
			return nil, nil, fmt.Errorf("weight W %v: %d input channels do not split into %d groups", wt.shape, wt.shape[0], group)
		}
		k := wt.shape[2:]
		for i, kv := range w.kernel {
			if i >= r || int64(k[i]) != kv {
				return nil, nil, n.errorf("kernel_shape %v does not match the weight's kernel %v", w.kernel, k)
			}
		}
		list := func(name string, v []int64, want int, def int64, lo int64) ([]int, error) {
			out := make([]int, want)
			for i := range out {
				out[i] = int(def)
			}
			if v == nil {
				return out, nil
			}
			if len(v) != want {
				return nil, n.errorf("attribute %s %v has %d entries, want %d", name, v, len(v), want)
			}
			for i, e := range v {
				if e < lo || e > MaxElements {
					return nil, n.errorf("attribute %s %v is out of range", name, v)
				}
				out[i] = int(e)
			}
			return out, nil
		}
		s, err := list("strides", w.strides, r, 1, 1)
		if err != nil {
			return nil, nil, err
		}
		d, err := list("dilations", w.dilation, r, 1, 1)
		if err != nil {
			return nil, nil, err
		}
		op, err := list("output_padding", outPad, r, 0, 0)
		if err != nil {
			return nil, nil, err
		}
		p, err := list("pads", w.pads, 2*r, 0, 0)
		if err != nil {
			return nil, nil, err
		}
		var os []int
		if outShape != nil {
			// output_shape may list all dimensions or only the spatial ones.
			sp := outShape
			if len(sp) == r+2 {
				sp = sp[2:]
			}
			if os, err = list("output_shape", sp, r, 0, 1); err != nil {
				return nil, nil, err
			}
		}
		in := make([]int, r)
		for i := range in {
			in[i] = -1
			if x.ranked {
				in[i] = x.shape[2+i]
			}
		}
		full := make([]int, r) // the full output length, -1 if unknown
		for i := range r {
			full[i] = -1
			if in[i] >= 0 {
				full[i] = (in[i]-1)*s[i] + d[i]*(k[i]-1) + 1
			}
		}
		if os == nil && (w.autoPad == "SAME_UPPER" || w.autoPad == "SAME_LOWER") {
			os = make([]int, r)
			for i := range r {
				os[i] = -1
				if in[i] >= 0 {
					os[i] = in[i] * s[i]
				}
			}
		}
		if w.autoPad == "VALID" {
			clear(p)
		}
		out := make([]int, r)
		for i := range r {
			switch {
			case full[i] < 0:
				out[i], p[i], p[r+i] = -1, -1, -1
			case os != nil:
				total := full[i] + op[i] - os[i]
				small, big := total/2, total-total/2
				if w.autoPad == "SAME_UPPER" {
					p[i], p[r+i] = small, big
				} else {
					p[i], p[r+i] = big, small
				}
				out[i] = os[i]
			default:
				out[i] = full[i] + op[i] - p[i] - p[r+i]
			}
			if full[i] >= 0 && out[i] < 1 {
				return nil, nil, n.errorf("output of spatial size %d on axis %d (input %d, kernel %v, strides %v, pads %v)", out[i], i, in[i], k, s, p)
			}
		}
		pl := &convTransposePlan{}
		if r == 1 {
			pl.pads = [4]int{0, p[0], 0, p[1]}
			pl.out = [2]int{1, out[0]}
			pl.o = ops.ConvTranspose2dOptions{Stride: [2]int{1, s[0]}, Dilation: [2]int{1, d[0]}, OutputPadding: [2]int{0, op[0]}}
		} else {
			pl.pads = [4]int{p[0], p[1], p[2], p[3]}
			pl.out = [2]int{out[0], out[1]}
			pl.o = ops.ConvTranspose2dOptions{Stride: [2]int{s[0], s[1]}, Dilation: [2]int{d[0], d[1]}, OutputPadding: [2]int{op[0], op[1]}}
		}
		pl.o.Groups = int(group)
		// ops pads both sides by Padding and adds OutputPadding at the end:
		// begin = Padding, end = Padding − OutputPadding.
		pl.direct = true
		for i := range 2 {
			b, e := pl.pads[i], pl.pads[i+2]
			extra := b - e + pl.o.OutputPadding[i]
			if b < 0 || e > b+pl.o.OutputPadding[i] || (extra >= pl.o.Stride[i] && extra >= pl.o.Dilation[i]) {
				pl.direct = false
			}
			pl.o.Padding[i], pl.o.OutputPadding[i] = b, extra
		}
		nb := -1
		if x.ranked {
			nb = x.shape[0]
		}
		shape := append([]int{nb, wt.shape[1] * int(group)}, out...)
		return pl, shape, nil
	}
	infer := func(in []*info) ([]*info, error) {
		_, out, err := plan(in[0], in[1])
		if err != nil {
			return nil, err
		}
		if len(in) > 2 && in[2] != nil && in[2].ranked && (len(in[2].shape) != 1 || in[2].shape[0] != out[1]) {
			return nil, fmt.Errorf("bias B %s for %d output channels", shapeString(in[2].shape), out[1])
		}
		return []*info{shaped(Float, out...)}, nil
	}
	run := func(in []*value) ([]*value, error) {
		pl, out, err := plan(infoOf(in[0]), infoOf(in[1]))
		if err != nil {
			return nil, err
		}
		var bias *ops.Var
		if len(in) > 2 && in[2] != nil {
			bias = in[2].v
		}
		x, wt := as4d(in[0].v), as4d(in[1].v)
		if pl.direct {
			y := ops.ConvTranspose2d(x, wt, bias, pl.o)
			return []*value{varValue(ops.Reshape(y, out...))}, nil
		}
		o := pl.o
		o.Padding, o.OutputPadding = [2]int{}, [2]int{}
		y := ops.ConvTranspose2d(x, wt, nil, o)
		ys := y.Value.Shape()
		y = ops.Pad(y, []int{0, 0, -pl.pads[0], -pl.pads[1], 0, 0, pl.out[0] - (ys[2] - pl.pads[0]), pl.out[1] - (ys[3] - pl.pads[1])}, ops.PadConstant, 0)
		if bias != nil {
			y = ops.Add(y, ops.Reshape(bias, 1, -1, 1, 1))
		}
		return []*value{varValue(ops.Reshape(y, out...))}, nil
	}
	return &kernel{infer: infer, run: run}, nil
}
