package onnx

import (
	"fmt"
	"math"
	"slices"

	"convnet/ops"
	"convnet/tensor"
)

// Operators that rearrange or reduce tensors, mapped onto package ops's
// tensor operations: Transpose, Slice, Split, Pad, ReduceSum, ReduceMean,
// DepthToSpace and SpaceToDepth. Integer tensors (shapes, indices) keep
// their exact values through the rearrangements.

func init() {
	register("Transpose", buildTranspose)
	register("Slice", buildSlice)
	register("Split", buildSplit)
	register("Pad", buildPad)
	register("ReduceSum", buildReduce(false))
	register("ReduceMean", buildReduce(true))
	register("DepthToSpace", buildDepthToSpace(true))
	register("SpaceToDepth", buildDepthToSpace(false))
}

// maxIota bounds the integer tensors rearranged through a float32 index
// tensor (applyIndexOp): float32 holds every integer below 2²⁴ exactly.
const maxIota = 1 << 24

// applyIndexOp applies the rearrangement f (which only copies elements, or
// fills them with its second argument) to v. A float value is f(v, fill).
// An integer value is rearranged exactly: f is run on the indices
// 0, 1, … of v's elements with fill −1, and each output index is replaced
// by the integer it names (intFill for −1).
func applyIndexOp(v *value, fill float32, intFill int64, f func(x *ops.Var, fill float32) []*ops.Var) ([]*value, error) {
	if v.ints == nil {
		outs := f(v.v, fill)
		res := make([]*value, len(outs))
		for i, o := range outs {
			res[i] = &value{v: o, dtype: v.dtype}
		}
		return res, nil
	}
	if len(v.ints) >= maxIota {
		return nil, fmt.Errorf("integer tensor of %d elements is too large to rearrange", len(v.ints))
	}
	iota := tensor.New(v.shape()...)
	for i := range iota.Data() {
		iota.Data()[i] = float32(i)
	}
	outs := f(ops.Const(iota), -1)
	res := make([]*value, len(outs))
	for i, o := range outs {
		idx := o.Value.Data()
		ints := make([]int64, len(idx))
		for j, k := range idx {
			if k < 0 {
				ints[j] = intFill
			} else {
				ints[j] = v.ints[int(k)]
			}
		}
		res[i] = intValue(ints, o.Value.Shape()...)
		res[i].dtype = v.dtype
	}
	return res, nil
}

// one wraps a single-output op for applyIndexOp.
func one(f func(x *ops.Var) *ops.Var) func(*ops.Var, float32) []*ops.Var {
	return func(x *ops.Var, _ float32) []*ops.Var { return []*ops.Var{f(x)} }
}

// toIntSlice converts int64 attribute or input values to ints, saturating
// at the int range (Slice's "to the end" bounds are ±2⁶³ − 1).
func toIntSlice(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(max(min(x, math.MaxInt), math.MinInt))
	}
	return out
}

// buildTranspose maps Transpose(perm; default: reverse the dimensions)
// onto ops.Transpose.
func buildTranspose(n *node) (*kernel, error) {
	perm := n.ints("perm", nil)
	if err := n.wantIO(1, 1, 1); err != nil {
		return nil, err
	}
	resolve := func(r int) ([]int, error) {
		if perm == nil {
			p := make([]int, r)
			for i := range p {
				p[i] = r - 1 - i
			}
			return p, nil
		}
		if len(perm) != r {
			return nil, fmt.Errorf("perm %v for an input of rank %d", perm, r)
		}
		p := make([]int, r)
		seen := make([]bool, r)
		for i, x := range perm {
			if x < 0 || x >= int64(r) || seen[x] {
				return nil, fmt.Errorf("perm %v is not a permutation of %d dimensions", perm, r)
			}
			seen[x], p[i] = true, int(x)
		}
		return p, nil
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			if !in[0].ranked {
				return []*info{unranked(in[0].dtype)}, nil
			}
			p, err := resolve(len(in[0].shape))
			if err != nil {
				return nil, err
			}
			out := make([]int, len(p))
			for i, x := range p {
				out[i] = in[0].shape[x]
			}
			return []*info{shaped(in[0].dtype, out...)}, nil
		},
		run: func(in []*value) ([]*value, error) {
			p, err := resolve(len(in[0].shape()))
			if err != nil {
				return nil, err
			}
			return applyIndexOp(in[0], 0, 0, one(func(x *ops.Var) *ops.Var { return ops.Transpose(x, p) }))
		},
	}, nil
}

// sliceSpec is a resolved Slice: per listed axis its start, end and step.
type sliceSpec struct {
	starts, ends, axes, steps []int
}

// sliceLen returns the length Slice gives a dimension of length dim, with
// ops.Slice's (and ONNX's) clamping.
func sliceLen(dim, start, end, step int) int {
	bound := func(b int) int {
		if b < 0 {
			if b < math.MinInt+dim {
				return -1
			}
			return b + dim
		}
		return b
	}
	s, e := bound(start), bound(end)
	if step > 0 {
		s, e = min(max(s, 0), dim), min(max(e, 0), dim)
		if e <= s {
			return 0
		}
		return (e - s + step - 1) / step
	}
	s, e = min(max(s, 0), dim-1), min(max(e, -1), dim-1)
	if s <= e {
		return 0
	}
	return (s - e - step - 1) / -step
}

// shape returns the output shape of the slice of an input of shape s
// (-1 entries stay unknown), checking the axes and steps.
func (sp *sliceSpec) shape(s []int) ([]int, error) {
	out := append([]int(nil), s...)
	seen := map[int]bool{}
	for k, a := range sp.axes {
		ax, err := normAxis(int64(a), len(s), 0)
		if err != nil {
			return nil, err
		}
		if seen[ax] {
			return nil, fmt.Errorf("axes %v repeat an axis", sp.axes)
		}
		seen[ax] = true
		sp.axes[k] = ax
		if sp.steps[k] == 0 {
			return nil, fmt.Errorf("step 0 on axis %d", a)
		}
		if s[ax] >= 0 {
			out[ax] = sliceLen(s[ax], sp.starts[k], sp.ends[k], sp.steps[k])
		}
	}
	return out, nil
}

// buildSlice maps Slice onto ops.Slice. Before opset 10 starts, ends and
// axes are attributes; from 10 on they are inputs 1 to 3, with steps as
// input 4. Bounds beyond a dimension are clamped, negative ones count from
// its end.
func buildSlice(n *node) (*kernel, error) {
	var aStarts, aEnds, aAxes []int64
	if n.opset < 10 {
		aStarts, aEnds, aAxes = n.ints("starts", nil), n.ints("ends", nil), n.ints("axes", nil)
		if aStarts == nil || aEnds == nil {
			return nil, n.errorf("attributes starts and ends are required")
		}
		if err := n.wantIO(1, 1, 1); err != nil {
			return nil, err
		}
	} else if err := n.wantIO(3, 5, 1); err != nil {
		return nil, err
	}
	// spec resolves the parameters from attributes or input values (ok
	// false when an input is not known yet).
	spec := func(get func(i int) ([]int64, bool, error)) (*sliceSpec, bool, error) {
		st, en, ax, steps := aStarts, aEnds, aAxes, []int64(nil)
		if n.opset >= 10 {
			var ok [4]bool
			var err error
			for i, p := range []*[]int64{&st, &en, &ax, &steps} {
				if *p, ok[i], err = get(i + 1); err != nil {
					return nil, false, err
				}
			}
			if !ok[0] || !ok[1] || !ok[2] || !ok[3] {
				return nil, false, nil
			}
		}
		if len(st) != len(en) || (ax != nil && len(ax) != len(st)) || (steps != nil && len(steps) != len(st)) {
			return nil, false, fmt.Errorf("starts %v, ends %v, axes %v and steps %v differ in length", st, en, ax, steps)
		}
		sp := &sliceSpec{starts: toIntSlice(st), ends: toIntSlice(en), axes: toIntSlice(ax), steps: toIntSlice(steps)}
		if ax == nil {
			sp.axes = make([]int, len(st))
			for i := range sp.axes {
				sp.axes[i] = i
			}
		}
		if steps == nil {
			sp.steps = make([]int, len(st))
			for i := range sp.steps {
				sp.steps[i] = 1
			}
		}
		return sp, true, nil
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			sp, ok, err := spec(func(i int) ([]int64, bool, error) {
				if i >= len(in) || in[i] == nil {
					return nil, true, nil
				}
				if in[i].val != nil && in[i].val.ints == nil {
					return nil, false, fmt.Errorf("input %d must be an integer tensor, got %v", i, in[i].dtype)
				}
				v, ok := constInts(in[i])
				return v, ok, nil
			})
			if err != nil {
				return nil, err
			}
			if !in[0].ranked {
				return []*info{unranked(in[0].dtype)}, nil
			}
			if !ok {
				return []*info{shaped(in[0].dtype, slices.Repeat([]int{-1}, len(in[0].shape))...)}, nil
			}
			out, err := sp.shape(in[0].shape)
			if err != nil {
				return nil, err
			}
			return []*info{shaped(in[0].dtype, out...)}, nil
		},
		run: func(in []*value) ([]*value, error) {
			sp, _, err := spec(func(i int) ([]int64, bool, error) {
				if i >= len(in) || in[i] == nil {
					return nil, true, nil
				}
				v, err := intsInput(fmt.Sprintf("input %d", i), in[i])
				return v, true, err
			})
			if err != nil {
				return nil, err
			}
			if _, err := sp.shape(in[0].shape()); err != nil {
				return nil, err
			}
			return applyIndexOp(in[0], 0, 0, one(func(x *ops.Var) *ops.Var {
				return ops.Slice(x, sp.starts, sp.ends, sp.axes, sp.steps)
			}))
		},
	}, nil
}

// buildSplit maps Split onto ops.Split. The sizes come from the attribute
// split before opset 13 and from input 1 from 13 on; without them the axis
// is split into as many equal parts as the node has outputs, or (opset 18)
// into num_outputs parts of ⌈dim/num_outputs⌉ with a smaller last one.
func buildSplit(n *node) (*kernel, error) {
	axis := n.int("axis", 0)
	attrSplit := n.ints("split", nil)
	numOut := n.int("num_outputs", 0)
	if n.opset >= 13 && attrSplit != nil {
		return nil, n.errorf("attribute split is an input from opset 13")
	}
	maxIn := 1
	if n.opset >= 13 || n.opset < 2 {
		maxIn = 2
	}
	if err := n.wantIO(1, maxIn, len(n.outputs)); err != nil {
		return nil, err
	}
	parts := len(n.outputs)
	if numOut != 0 && numOut != int64(parts) {
		return nil, n.errorf("num_outputs %d for %d outputs", numOut, parts)
	}
	// sizes resolves the piece sizes for a dimension of length dim (-1
	// entries when dim is unknown and the sizes are not given).
	sizes := func(dim int, split []int64) ([]int, error) {
		if split != nil {
			if len(split) != parts {
				return nil, fmt.Errorf("split %v for %d outputs", split, parts)
			}
			total := int64(0)
			for _, s := range split {
				if s < 0 || s > MaxElements {
					return nil, fmt.Errorf("split %v has a negative or absurd size", split)
				}
				total += s
			}
			if dim >= 0 && total != int64(dim) {
				return nil, fmt.Errorf("split %v adds up to %d, the axis has %d", split, total, dim)
			}
			return toIntSlice(split), nil
		}
		out := make([]int, parts)
		if dim < 0 {
			for i := range out {
				out[i] = -1
			}
			return out, nil
		}
		if numOut == 0 && dim%parts != 0 {
			return nil, fmt.Errorf("an axis of %d does not split into %d equal parts", dim, parts)
		}
		chunk := (dim + parts - 1) / parts
		left := dim
		for i := range out {
			out[i] = min(chunk, left)
			left -= out[i]
		}
		return out, nil
	}
	splitOf := func(in []*info) ([]int64, bool, error) {
		if attrSplit != nil || len(in) < 2 || in[1] == nil {
			return attrSplit, true, nil
		}
		if in[1].val != nil && in[1].val.ints == nil {
			return nil, false, fmt.Errorf("split must be an integer tensor, got %v", in[1].dtype)
		}
		v, ok := constInts(in[1])
		return v, ok, nil
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			split, ok, err := splitOf(in)
			if err != nil {
				return nil, err
			}
			outs := make([]*info, parts)
			if !in[0].ranked {
				for i := range outs {
					outs[i] = unranked(in[0].dtype)
				}
				return outs, nil
			}
			ax, err := normAxis(axis, len(in[0].shape), 0)
			if err != nil {
				return nil, err
			}
			dim := in[0].shape[ax]
			if !ok {
				dim, split = -1, nil
			}
			sz, err := sizes(dim, split)
			if err != nil {
				return nil, err
			}
			for i := range outs {
				s := append([]int(nil), in[0].shape...)
				s[ax] = sz[i]
				outs[i] = shaped(in[0].dtype, s...)
			}
			return outs, nil
		},
		run: func(in []*value) ([]*value, error) {
			split := attrSplit
			if split == nil && len(in) > 1 && in[1] != nil {
				var err error
				if split, err = intsInput("split", in[1]); err != nil {
					return nil, err
				}
			}
			ax, err := normAxis(axis, len(in[0].shape()), 0)
			if err != nil {
				return nil, err
			}
			sz, err := sizes(in[0].shape()[ax], split)
			if err != nil {
				return nil, err
			}
			return applyIndexOp(in[0], 0, 0, func(x *ops.Var, _ float32) []*ops.Var { return ops.Split(x, ax, sz) })
		},
	}, nil
}

// buildPad maps Pad onto ops.Pad. The pads [b₀, b₁, …, e₀, e₁, …] and the
// constant value are attributes before opset 11 (pads is called paddings
// in opset 1) and inputs 1 and 2 from 11 on, with input 3 (opset 18)
// naming the axes the pads apply to. mode is constant, reflect, edge or
// wrap.
func buildPad(n *node) (*kernel, error) {
	mode := n.str("mode", "constant")
	switch mode {
	case ops.PadConstant, ops.PadReflect, ops.PadEdge, ops.PadWrap:
	default:
		return nil, n.unsupported("attribute mode", "value %q", mode)
	}
	var attrPads []int64
	var attrValue float32
	if n.opset < 11 {
		name := "pads"
		if n.opset < 2 {
			name = "paddings"
		}
		attrPads = n.ints(name, nil)
		attrValue = n.float("value", 0)
		if attrPads == nil {
			return nil, n.errorf("attribute %s is required", name)
		}
		if err := n.wantIO(1, 1, 1); err != nil {
			return nil, err
		}
	} else if err := n.wantIO(2, 4, 1); err != nil {
		return nil, err
	}
	// full expands pads given for axes to all r dimensions.
	full := func(r int, pads, axes []int64) ([]int, error) {
		if axes == nil {
			if len(pads) != 2*r {
				return nil, fmt.Errorf("pads %v for an input of rank %d, want %d values", pads, r, 2*r)
			}
			return toIntSlice(pads), nil
		}
		if len(pads) != 2*len(axes) {
			return nil, fmt.Errorf("pads %v for axes %v", pads, axes)
		}
		out := make([]int, 2*r)
		for i, a := range axes {
			ax, err := normAxis(a, r, 0)
			if err != nil {
				return nil, err
			}
			out[ax], out[r+ax] = int(pads[i]), int(pads[len(axes)+i])
		}
		return out, nil
	}
	outShape := func(s []int, p []int) ([]int, error) {
		r := len(s)
		out := make([]int, r)
		for d := range s {
			if s[d] < 0 {
				out[d] = -1
				continue
			}
			b, e := p[d], p[r+d]
			out[d] = s[d] + b + e
			if out[d] < 0 || out[d] > MaxElements {
				return nil, fmt.Errorf("padding %s by %v gives dimension %d of length %d", shapeString(s), p, d, out[d])
			}
			if mode != ops.PadConstant && (b > 0 || e > 0) && (s[d] == 0 || (mode == ops.PadReflect && max(b, e) >= s[d])) {
				return nil, n.unsupported("attribute pads", "%s padding of %d, %d on a dimension of length %d", mode, b, e, s[d])
			}
		}
		return out, nil
	}
	params := func(in []*info) ([]int64, []int64, bool, error) {
		if attrPads != nil {
			return attrPads, nil, true, nil
		}
		for i := 1; i < len(in); i++ {
			if i != 2 && in[i] != nil && in[i].val != nil && in[i].val.ints == nil {
				return nil, nil, false, fmt.Errorf("input %d must be an integer tensor, got %v", i, in[i].dtype)
			}
		}
		p, ok := constInts(in[1])
		var axes []int64
		if len(in) > 3 && in[3] != nil {
			var ok2 bool
			axes, ok2 = constInts(in[3])
			ok = ok && ok2
		}
		return p, axes, ok, nil
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			p, axes, ok, err := params(in)
			if err != nil {
				return nil, err
			}
			if !in[0].ranked {
				return []*info{unranked(in[0].dtype)}, nil
			}
			if !ok {
				return []*info{shaped(in[0].dtype, slices.Repeat([]int{-1}, len(in[0].shape))...)}, nil
			}
			fp, err := full(len(in[0].shape), p, axes)
			if err != nil {
				return nil, err
			}
			out, err := outShape(in[0].shape, fp)
			if err != nil {
				return nil, err
			}
			return []*info{shaped(in[0].dtype, out...)}, nil
		},
		run: func(in []*value) ([]*value, error) {
			p, val := attrPads, attrValue
			var axes []int64
			var err error
			if p == nil {
				if p, err = intsInput("pads", in[1]); err != nil {
					return nil, err
				}
				if len(in) > 2 && in[2] != nil {
					if val, err = scalarInput("constant_value", in[2], 0); err != nil {
						return nil, err
					}
				}
				if len(in) > 3 && in[3] != nil {
					if axes, err = intsInput("axes", in[3]); err != nil {
						return nil, err
					}
				}
			}
			s := in[0].shape()
			fp, err := full(len(s), p, axes)
			if err != nil {
				return nil, err
			}
			if _, err := outShape(s, fp); err != nil {
				return nil, err
			}
			intFill := int64(val)
			if len(in) > 2 && in[2] != nil && in[2].ints != nil {
				intFill = in[2].ints[0]
			}
			return applyIndexOp(in[0], val, intFill, func(x *ops.Var, fill float32) []*ops.Var {
				return []*ops.Var{ops.Pad(x, fp, mode, fill)}
			})
		},
	}, nil
}

// buildReduce maps ReduceSum or ReduceMean (mean) onto ops.SumAxes and
// ops.MeanAxes. The axes are an attribute before opset 13 (ReduceSum) or
// 18 (ReduceMean) and an optional input from then on; no axes reduces over
// every axis, unless noop_with_empty_axes = 1, which makes the operator
// the identity. keepdims (default 1) keeps reduced axes with length 1.
func buildReduce(mean bool) builder {
	return func(n *node) (*kernel, error) {
		inputFrom := int64(13)
		if mean {
			inputFrom = 18
		}
		keep := n.int("keepdims", 1) != 0
		noop := n.int("noop_with_empty_axes", 0) != 0
		var attrAxes []int64
		if n.opset < inputFrom {
			attrAxes = n.ints("axes", nil)
			if err := n.wantIO(1, 1, 1); err != nil {
				return nil, err
			}
		} else if err := n.wantIO(1, 2, 1); err != nil {
			return nil, err
		}
		axesOf := func(in []*info) ([]int64, bool, error) {
			if n.opset < inputFrom || len(in) < 2 || in[1] == nil {
				return attrAxes, true, nil
			}
			if in[1].val != nil && in[1].val.ints == nil {
				return nil, false, fmt.Errorf("axes must be an integer tensor, got %v", in[1].dtype)
			}
			v, ok := constInts(in[1])
			return v, ok, nil
		}
		// resolve returns the reduced axes of a rank-r input (nil with
		// identity true for the no-op).
		resolve := func(r int, axes []int64) (ax []int, identity bool, err error) {
			if len(axes) == 0 {
				if noop {
					return nil, true, nil
				}
				ax = make([]int, r)
				for i := range ax {
					ax[i] = i
				}
				return ax, false, nil
			}
			seen := map[int]bool{}
			for _, a := range axes {
				i, err := normAxis(a, r, 0)
				if err != nil {
					return nil, false, err
				}
				if seen[i] {
					return nil, false, fmt.Errorf("axes %v repeat an axis", axes)
				}
				seen[i] = true
				ax = append(ax, i)
			}
			return ax, false, nil
		}
		return &kernel{
			infer: func(in []*info) ([]*info, error) {
				axes, ok, err := axesOf(in)
				if err != nil {
					return nil, err
				}
				if !ok || !in[0].ranked {
					return []*info{unranked(Float)}, nil
				}
				ax, identity, err := resolve(len(in[0].shape), axes)
				if err != nil {
					return nil, err
				}
				if identity {
					return []*info{like(in[0], Float)}, nil
				}
				var out []int
				for d, s := range in[0].shape {
					switch {
					case !slices.Contains(ax, d):
						out = append(out, s)
					case keep:
						out = append(out, 1)
					}
				}
				return []*info{shaped(Float, out...)}, nil
			},
			run: func(in []*value) ([]*value, error) {
				axes := attrAxes
				if n.opset >= inputFrom && len(in) > 1 && in[1] != nil {
					var err error
					if axes, err = intsInput("axes", in[1]); err != nil {
						return nil, err
					}
				}
				ax, identity, err := resolve(len(in[0].shape()), axes)
				if err != nil {
					return nil, err
				}
				if identity {
					return []*value{{v: in[0].v, dtype: Float}}, nil
				}
				f := ops.SumAxes
				if mean {
					f = ops.MeanAxes
				}
				return []*value{varValue(f(in[0].v, ax, keep))}, nil
			},
		}, nil
	}
}

// buildDepthToSpace maps DepthToSpace (toSpace; mode DCR or CRD, from
// opset 11) onto ops.DepthToSpace, or SpaceToDepth onto ops.SpaceToDepth.
func buildDepthToSpace(toSpace bool) builder {
	return func(n *node) (*kernel, error) {
		if !n.has("blocksize") {
			return nil, n.errorf("attribute blocksize is required")
		}
		b := n.int("blocksize", 0)
		mode := ops.DepthToSpaceDCR
		if toSpace {
			mode = n.str("mode", ops.DepthToSpaceDCR)
			if mode != ops.DepthToSpaceDCR && mode != ops.DepthToSpaceCRD {
				return nil, n.unsupported("attribute mode", "value %q", mode)
			}
		}
		if b < 1 || b > 1<<15 {
			return nil, n.errorf("blocksize %d is out of range", b)
		}
		if err := n.wantIO(1, 1, 1); err != nil {
			return nil, err
		}
		bs := int(b)
		outShape := func(s []int) ([]int, error) {
			if len(s) != 4 {
				return nil, fmt.Errorf("input %s has rank %d, want [N, C, H, W]", shapeString(s), len(s))
			}
			out := append([]int(nil), s...)
			if toSpace {
				if s[1] >= 0 && s[1]%(bs*bs) != 0 {
					return nil, fmt.Errorf("input %s: %d channels are not divisible by blocksize² = %d", shapeString(s), s[1], bs*bs)
				}
				out[1], out[2], out[3] = s[1]/(bs*bs), s[2]*bs, s[3]*bs
			} else {
				if (s[2] >= 0 && s[2]%bs != 0) || (s[3] >= 0 && s[3]%bs != 0) {
					return nil, fmt.Errorf("input %s: height and width are not divisible by blocksize %d", shapeString(s), bs)
				}
				out[1], out[2], out[3] = s[1]*bs*bs, s[2]/bs, s[3]/bs
			}
			for i, d := range s {
				if d < 0 {
					out[i] = -1
				}
			}
			return out, nil
		}
		return &kernel{
			infer: func(in []*info) ([]*info, error) {
				if !in[0].ranked {
					return []*info{unranked(Float)}, nil
				}
				out, err := outShape(in[0].shape)
				if err != nil {
					return nil, err
				}
				return []*info{shaped(Float, out...)}, nil
			},
			run: func(in []*value) ([]*value, error) {
				if _, err := outShape(in[0].shape()); err != nil {
					return nil, err
				}
				if toSpace {
					return []*value{varValue(ops.DepthToSpace(in[0].v, bs, mode))}, nil
				}
				return []*value{varValue(ops.SpaceToDepth(in[0].v, bs))}, nil
			},
		}, nil
	}
}
