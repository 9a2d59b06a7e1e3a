package onnx

import (
	"fmt"
	"math"

	"convnet/onnx/onnxpb"
	"convnet/ops"
	"convnet/tensor"
)

// Operators that move or describe data without arithmetic: Concat,
// Flatten, Reshape, Squeeze, Unsqueeze, Gather, Shape, Cast, Constant and
// ConstantOfShape. Integer tensors (shapes, axes, indices) keep their exact
// values through them.

func init() {
	register("Concat", buildConcat)
	register("Flatten", buildFlatten)
	register("Reshape", buildReshape)
	register("Squeeze", buildSqueeze(true))
	register("Unsqueeze", buildSqueeze(false))
	register("Gather", buildGather)
	register("Shape", buildShape)
	register("Cast", buildCast)
	register("Constant", buildConstant)
	register("ConstantOfShape", buildConstantOfShape)
	register("Tile", buildTile)
}

// buildTile maps Tile (the repeats input, INT64 [rank]) onto ops.Concat of
// copies along each axis in turn. The result is a float tensor.
func buildTile(n *node) (*kernel, error) {
	if err := n.wantIO(2, 2, 1); err != nil {
		return nil, err
	}
	target := func(s []int, reps []int64) ([]int, error) {
		if len(reps) != len(s) {
			return nil, fmt.Errorf("repeats %v for an input of rank %d", reps, len(s))
		}
		out := make([]int, len(s))
		total := int64(1)
		for i, r := range reps {
			if r < 0 || r > MaxElements {
				return nil, fmt.Errorf("repeats %v out of range", reps)
			}
			out[i] = s[i] * int(r)
			if s[i] >= 0 {
				total *= max(int64(out[i]), 1)
				if total > MaxElements {
					return nil, fmt.Errorf("tiling %s by %v gives more than %d elements", shapeString(s), reps, MaxElements)
				}
			} else {
				out[i] = -1
			}
		}
		return out, nil
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			reps, ok := constInts(in[1])
			if !ok || !in[0].ranked {
				return []*info{unranked(Float)}, nil
			}
			out, err := target(in[0].shape, reps)
			if err != nil {
				return nil, err
			}
			return []*info{shaped(Float, out...)}, nil
		},
		run: func(in []*value) ([]*value, error) {
			reps, err := intsInput("repeats", in[1])
			if err != nil {
				return nil, err
			}
			if _, err := target(in[0].shape(), reps); err != nil {
				return nil, err
			}
			y := in[0].v
			for ax, r := range reps {
				if r == 1 {
					continue
				}
				copies := make([]*ops.Var, r)
				for i := range copies {
					copies[i] = y
				}
				if r == 0 {
					s := append([]int(nil), y.Value.Shape()...)
					s[ax] = 0
					y = ops.Const(tensor.New(s...))
					continue
				}
				y = ops.Concat(ax, copies...)
			}
			return []*value{{v: y, dtype: Float}}, nil
		},
	}, nil
}

// buildConcat maps Concat(axis) onto ops.Concat.
func buildConcat(n *node) (*kernel, error) {
	if !n.has("axis") && n.opset >= 4 {
		return nil, n.errorf("attribute axis is required")
	}
	axis := n.int("axis", 1)
	if len(n.inputs) == 0 {
		return nil, n.errorf("no inputs")
	}
	if err := n.wantIO(len(n.inputs), len(n.inputs), 1); err != nil {
		return nil, err
	}
	infer := func(in []*info) ([]*info, error) {
		var out []int
		dt := in[0].dtype
		for i, x := range in {
			if !x.ranked {
				return []*info{unranked(dt)}, nil
			}
			if !x.dtype.isInt() {
				dt = Float
			}
			ax, err := normAxis(axis, len(x.shape), 0)
			if err != nil {
				return nil, err
			}
			if out == nil {
				out = append([]int(nil), x.shape...)
				continue
			}
			if len(x.shape) != len(out) {
				return nil, fmt.Errorf("input %d has shape %s, input 0 %s", i, shapeString(x.shape), shapeString(in[0].shape))
			}
			for d := range out {
				switch {
				case d == ax:
					if out[d] < 0 || x.shape[d] < 0 {
						out[d] = -1
					} else {
						out[d] += x.shape[d]
					}
				case out[d] >= 0 && x.shape[d] >= 0 && out[d] != x.shape[d]:
					return nil, fmt.Errorf("input %d has shape %s, input 0 %s: they differ outside axis %d", i, shapeString(x.shape), shapeString(in[0].shape), axis)
				case out[d] < 0:
					out[d] = x.shape[d]
				}
			}
		}
		return []*info{shaped(dt, out...)}, nil
	}
	run := func(in []*value) ([]*value, error) {
		vs := make([]*ops.Var, len(in))
		allInt := true
		for i, x := range in {
			vs[i] = x.v
			allInt = allInt && x.ints != nil
		}
		ax, _ := normAxis(axis, len(in[0].shape()), 0)
		out := &value{v: ops.Concat(ax, vs...), dtype: Float}
		if allInt {
			f := out.v.Value.Data()
			out.ints = make([]int64, len(f))
			// The float copy has every value in place; the exact integers
			// follow the same layout, which is rebuilt here from the inputs.
			outer := numelOf(in[0].shape()[:ax])
			off := 0
			row := len(f) / max(outer, 1)
			for _, x := range in {
				w := len(x.ints) / max(outer, 1)
				for o := 0; o < outer; o++ {
					copy(out.ints[o*row+off:o*row+off+w], x.ints[o*w:(o+1)*w])
				}
				off += w
			}
			out.dtype = in[0].dtype
		}
		return []*value{out}, nil
	}
	return &kernel{infer: infer, run: run}, nil
}

// buildFlatten maps Flatten(axis = 1) onto ops.Reshape to
// [∏ dims before axis, ∏ dims from axis].
func buildFlatten(n *node) (*kernel, error) {
	axis := n.int("axis", 1)
	if err := n.wantIO(1, 1, 1); err != nil {
		return nil, err
	}
	outShape := func(s []int) ([]int, error) {
		ax, err := normAxis(axis, len(s), 1)
		if err != nil {
			return nil, err
		}
		a, b := 1, 1
		for i, d := range s {
			p := &b
			if i < ax {
				p = &a
			}
			if d < 0 || *p < 0 {
				*p = -1
			} else {
				*p *= d
			}
		}
		return []int{a, b}, nil
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			if !in[0].ranked {
				return []*info{shaped(in[0].dtype, -1, -1)}, nil
			}
			s, err := outShape(in[0].shape)
			if err != nil {
				return nil, err
			}
			return []*info{shaped(in[0].dtype, s...)}, nil
		},
		run: func(in []*value) ([]*value, error) {
			s, err := outShape(in[0].shape())
			if err != nil {
				return nil, err
			}
			return []*value{reshapeValue(in[0], s...)}, nil
		},
	}, nil
}

// reshapeTarget resolves ONNX Reshape's shape spec for an input of shape in
// (entries -1 when unknown): 0 copies the input's dimension (unless
// allowZero), one -1 is inferred. It returns -1 entries it cannot know.
func reshapeTarget(in []int, spec []int64, allowZero bool) ([]int, error) {
	out := make([]int, len(spec))
	infer := -1
	for i, d := range spec {
		switch {
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %v has more than one -1", spec)
			}
			infer = i
		case d == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("shape %v copies dimension %d of a rank-%d input", spec, i, len(in))
			}
			out[i] = in[i]
		case d < 0 || d > MaxElements:
			return nil, fmt.Errorf("shape %v has dimension %d", spec, d)
		default:
			out[i] = int(d)
		}
	}
	total := 1
	for _, d := range in {
		if d < 0 {
			total = -1
			break
		}
		total *= d
	}
	known := 1
	for i, d := range out {
		if i == infer {
			continue
		}
		if d < 0 {
			known = -1
			break
		}
		known *= d
		if known > MaxElements {
			return nil, fmt.Errorf("shape %v is too large", spec)
		}
	}
	switch {
	case infer >= 0 && (total < 0 || known < 0):
		out[infer] = -1
	case infer >= 0:
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("cannot reshape %s to %v", shapeString(in), spec)
		}
		out[infer] = total / known
	case total >= 0 && known >= 0 && total != known:
		return nil, fmt.Errorf("cannot reshape %s (%d elements) to %v", shapeString(in), total, spec)
	}
	return out, nil
}

// buildReshape maps Reshape (the target shape is the attribute shape
// before opset 5, the second input after) onto ops.Reshape, with ONNX's 0
// (copy the input's dimension; a literal 0 with allowzero = 1) and -1.
func buildReshape(n *node) (*kernel, error) {
	var attrShape []int64
	if n.opset < 5 {
		attrShape = n.ints("shape", nil)
		if attrShape == nil {
			return nil, n.errorf("attribute shape is required")
		}
		n.ignore("consumed_inputs")
		if err := n.wantIO(1, 1, 1); err != nil {
			return nil, err
		}
	} else if err := n.wantIO(2, 2, 1); err != nil {
		return nil, err
	}
	allowZero := n.int("allowzero", 0) != 0
	spec := func(in []*info) ([]int64, bool) {
		if attrShape != nil {
			return attrShape, true
		}
		return constInts(in[1])
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			if len(in) > 1 && in[1].val != nil && in[1].val.ints == nil {
				return nil, fmt.Errorf("the shape input must be INT64, got %v", in[1].dtype)
			}
			s, ok := spec(in)
			if !ok {
				if len(in) > 1 && allKnown(in[1]) && len(in[1].shape) == 1 {
					out := make([]int, in[1].shape[0])
					for i := range out {
						out[i] = -1
					}
					return []*info{shaped(in[0].dtype, out...)}, nil
				}
				return []*info{unranked(in[0].dtype)}, nil
			}
			src := in[0].shape
			if !in[0].ranked {
				src = []int{-1}
			}
			out, err := reshapeTarget(src, s, allowZero)
			if err != nil {
				return nil, err
			}
			return []*info{shaped(in[0].dtype, out...)}, nil
		},
		run: func(in []*value) ([]*value, error) {
			s := attrShape
			if s == nil {
				var err error
				if s, err = intsInput("shape", in[1]); err != nil {
					return nil, err
				}
			}
			out, err := reshapeTarget(in[0].shape(), s, allowZero)
			if err != nil {
				return nil, err
			}
			return []*value{reshapeValue(in[0], out...)}, nil
		},
	}, nil
}

// buildSqueeze maps Squeeze (squeeze) or Unsqueeze onto ops.Reshape. The
// axes are an attribute before opset 13 and an input from 13 on; Squeeze
// without axes removes every dimension of size 1.
func buildSqueeze(squeeze bool) builder {
	return func(n *node) (*kernel, error) {
		var attrAxes []int64
		fromInput := n.opset >= 13
		if !fromInput {
			attrAxes = n.ints("axes", nil)
			if err := n.wantIO(1, 1, 1); err != nil {
				return nil, err
			}
			if !squeeze && attrAxes == nil {
				return nil, n.errorf("attribute axes is required")
			}
		} else {
			maxIn := 2
			if err := n.wantIO(2-btoi(squeeze), maxIn, 1); err != nil {
				return nil, err
			}
		}
		axes := func(in []*info) ([]int64, bool, error) {
			if !fromInput {
				return attrAxes, true, nil
			}
			if len(in) < 2 || in[1] == nil {
				return nil, true, nil
			}
			if in[1].val != nil && in[1].val.ints == nil {
				return nil, false, fmt.Errorf("axes must be INT64, got %v", in[1].dtype)
			}
			v, ok := constInts(in[1])
			return v, ok, nil
		}
		// target computes the output shape from the input shape.
		target := func(s []int, ax []int64) ([]int, error) {
			if squeeze {
				drop := map[int]bool{}
				for _, a := range ax {
					i, err := normAxis(a, len(s), 0)
					if err != nil {
						return nil, err
					}
					if s[i] != 1 && s[i] >= 0 {
						return nil, fmt.Errorf("cannot squeeze axis %d of shape %s", a, shapeString(s))
					}
					drop[i] = true
				}
				var out []int
				for i, d := range s {
					if (ax == nil && d == 1) || drop[i] {
						continue
					}
					out = append(out, d)
				}
				return out, nil
			}
			r := len(s) + len(ax)
			ins := make([]bool, r)
			for _, a := range ax {
				i, err := normAxis(a, r, 0)
				if err != nil {
					return nil, err
				}
				if ins[i] {
					return nil, fmt.Errorf("axes %v repeat an axis", ax)
				}
				ins[i] = true
			}
			out := make([]int, 0, r)
			j := 0
			for i := range r {
				if ins[i] {
					out = append(out, 1)
				} else {
					out = append(out, s[j])
					j++
				}
			}
			return out, nil
		}
		return &kernel{
			infer: func(in []*info) ([]*info, error) {
				ax, ok, err := axes(in)
				if err != nil {
					return nil, err
				}
				if !ok || !in[0].ranked {
					return []*info{unranked(in[0].dtype)}, nil
				}
				if squeeze && ax == nil && !allKnown(in[0]) {
					return []*info{unranked(in[0].dtype)}, nil
				}
				s, err := target(in[0].shape, ax)
				if err != nil {
					return nil, err
				}
				return []*info{shaped(in[0].dtype, s...)}, nil
			},
			run: func(in []*value) ([]*value, error) {
				ax := attrAxes
				if fromInput && len(in) > 1 && in[1] != nil {
					var err error
					if ax, err = intsInput("axes", in[1]); err != nil {
						return nil, err
					}
				}
				s, err := target(in[0].shape(), ax)
				if err != nil {
					return nil, err
				}
				return []*value{reshapeValue(in[0], s...)}, nil
			},
		}, nil
	}
}

// btoi is 1 for true.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// buildGather maps Gather(axis) onto ops.Gather; integer data (shape
// arithmetic) is gathered exactly. Negative indices count from the end.
func buildGather(n *node) (*kernel, error) {
	axis := n.int("axis", 0)
	if err := n.wantIO(2, 2, 1); err != nil {
		return nil, err
	}
	infer := func(in []*info) ([]*info, error) {
		d, idx := in[0], in[1]
		if idx.val != nil && idx.val.ints == nil {
			return nil, fmt.Errorf("indices must be an integer tensor, got %v", idx.dtype)
		}
		if !d.ranked || !idx.ranked {
			return []*info{unranked(d.dtype)}, nil
		}
		ax, err := normAxis(axis, len(d.shape), 0)
		if err != nil {
			return nil, err
		}
		out := append(append(append([]int(nil), d.shape[:ax]...), idx.shape...), d.shape[ax+1:]...)
		return []*info{shaped(d.dtype, out...)}, nil
	}
	run := func(in []*value) ([]*value, error) {
		d := in[0]
		raw, err := intsInput("indices", in[1])
		if err != nil {
			return nil, err
		}
		idx := append([]int64(nil), raw...)
		s := d.shape()
		ax, err := normAxis(axis, len(s), 0)
		if err != nil {
			return nil, err
		}
		dim := s[ax]
		for i, x := range idx {
			if x < -int64(dim) || x >= int64(dim) {
				return nil, fmt.Errorf("index %d is out of range for axis %d of size %d", x, axis, dim)
			}
			if x < 0 {
				idx[i] = x + int64(dim)
			}
		}
		out := append(append(append([]int(nil), s[:ax]...), in[1].shape()...), s[ax+1:]...)
		if d.ints != nil {
			outer, inner := numelOf(s[:ax]), numelOf(s[ax+1:])
			res := make([]int64, 0, outer*len(idx)*inner)
			for o := 0; o < outer; o++ {
				for _, x := range idx {
					off := (o*dim + int(x)) * inner
					res = append(res, d.ints[off:off+inner]...)
				}
			}
			v := intValue(res, out...)
			v.dtype = d.dtype
			return []*value{v}, nil
		}
		is := make([]int, len(idx))
		for i, x := range idx {
			is[i] = int(x)
		}
		ishape := append([]int{}, in[1].shape()...)
		return []*value{{v: ops.Gather(d.v, ax, is, ishape), dtype: d.dtype}}, nil
	}
	return &kernel{infer: infer, run: run}, nil
}

// buildShape maps Shape: the input's dimensions as a 1-D INT64 tensor,
// optionally sliced by start and end (opset 15).
func buildShape(n *node) (*kernel, error) {
	start, end := n.int("start", 0), n.int("end", math.MaxInt32)
	if err := n.wantIO(1, 1, 1); err != nil {
		return nil, err
	}
	bounds := func(r int) (int, int) {
		clamp := func(x int64) int {
			if x < 0 {
				x += int64(r)
			}
			return int(min(max(x, 0), int64(r)))
		}
		a, b := clamp(start), clamp(end)
		return a, max(a, b)
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			if !in[0].ranked {
				return []*info{shaped(Int64, -1)}, nil
			}
			a, b := bounds(len(in[0].shape))
			out := shaped(Int64, b-a)
			if allKnown(in[0]) {
				out.val = intValue(toInts(in[0].shape[a:b]), b-a)
			}
			return []*info{out}, nil
		},
		run: func(in []*value) ([]*value, error) {
			s := in[0].shape()
			a, b := bounds(len(s))
			return []*value{intValue(toInts(s[a:b]), b-a)}, nil
		},
	}, nil
}

// buildCast maps Cast to FLOAT, DOUBLE (both held as float32), INT64 or
// INT32 (truncating toward zero, as C and NumPy do); other target types are
// unsupported.
func buildCast(n *node) (*kernel, error) {
	var to DataType
	if a := n.attrs["to"]; a != nil && a.GetType() == onnxpb.AttributeProto_STRING {
		return nil, n.unsupported("attribute to", "string type names (opset 1)")
	}
	to = DataType(n.int("to", 0))
	switch to {
	case Float, Double, Int64, Int32:
	default:
		return nil, n.unsupported("attribute to", "cast to %v", to)
	}
	if err := n.wantIO(1, 1, 1); err != nil {
		return nil, err
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) { return []*info{like(in[0], to)}, nil },
		run: func(in []*value) ([]*value, error) {
			x := in[0]
			if !to.isInt() {
				return []*value{{v: x.v, dtype: to}}, nil
			}
			ints := x.ints
			if ints == nil {
				f := x.v.Value.Data()
				ints = make([]int64, len(f))
				for i, v := range f {
					if math.IsNaN(float64(v)) || math.Abs(float64(v)) >= 1<<63 {
						return nil, fmt.Errorf("value %v does not fit %v", v, to)
					}
					ints[i] = int64(v)
				}
			}
			if to == Int32 {
				ints = append([]int64(nil), ints...)
				for i, v := range ints {
					ints[i] = int64(int32(v))
				}
			}
			v := intValue(ints, x.shape()...)
			v.dtype = to
			return []*value{v}, nil
		},
	}, nil
}

// buildConstant maps Constant: the attribute value (a tensor), or from
// opset 12 value_float, value_floats, value_int or value_ints.
func buildConstant(n *node) (*kernel, error) {
	if err := n.wantIO(0, 0, 1); err != nil {
		return nil, err
	}
	var v *value
	switch {
	case n.has("value"):
		t := n.tensorAttr("value")
		if t == nil {
			return nil, n.err
		}
		v = valueOf(t)
	case n.has("value_float"):
		v = floatValue(tensor.Scalar(n.float("value_float", 0)))
	case n.has("value_floats"):
		f := n.floats("value_floats")
		v = floatValue(tensor.FromSlice(append([]float32(nil), f...), len(f)))
	case n.has("value_int"):
		v = intValue([]int64{n.int("value_int", 0)})
	case n.has("value_ints"):
		is := n.ints("value_ints", nil)
		v = intValue(append([]int64(nil), is...), len(is))
	default:
		for name := range n.attrs {
			return nil, n.unsupported("attribute "+name, "constant of this kind")
		}
		return nil, n.errorf("no value attribute")
	}
	if n.err != nil {
		return nil, n.err
	}
	return &kernel{
		infer: func([]*info) ([]*info, error) {
			return []*info{{shape: v.shape(), ranked: true, dtype: v.dtype, val: v}}, nil
		},
		run: func([]*value) ([]*value, error) { return []*value{v}, nil },
	}, nil
}

// buildConstantOfShape maps ConstantOfShape: a tensor of the shape given
// by the input, every element the one-element attribute value (float 0 by
// default). An absurd shape is refused before anything is allocated.
func buildConstantOfShape(n *node) (*kernel, error) {
	fill := &Tensor{DType: Float, Data: tensor.New(1)}
	if n.has("value") {
		if fill = n.tensorAttr("value"); fill == nil {
			return nil, n.err
		}
		if fill.Data.Len() != 1 {
			return nil, n.errorf("attribute value has %d elements, want 1", fill.Data.Len())
		}
	}
	if err := n.wantIO(1, 1, 1); err != nil {
		return nil, err
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			if in[0].val != nil && in[0].val.ints == nil {
				return nil, fmt.Errorf("the shape input must be INT64, got %v", in[0].dtype)
			}
			if s, ok := constInts(in[0]); ok {
				if _, err := checkedNumel(s); err != nil {
					return nil, err
				}
				out := make([]int, len(s))
				for i, d := range s {
					out[i] = int(d)
				}
				return []*info{shaped(fill.DType, out...)}, nil
			}
			return []*info{unranked(fill.DType)}, nil
		},
		run: func(in []*value) ([]*value, error) {
			s, err := intsInput("shape", in[0])
			if err != nil {
				return nil, err
			}
			if _, err := checkedNumel(s); err != nil {
				return nil, err
			}
			shape := make([]int, len(s))
			for i, d := range s {
				shape[i] = int(d)
			}
			t := tensor.Full(fill.Data.Data()[0], shape...)
			v := &value{v: ops.Const(t), dtype: fill.DType}
			if fill.Ints != nil {
				v.ints = make([]int64, t.Len())
				for i := range v.ints {
					v.ints[i] = fill.Ints[0]
				}
			}
			return []*value{v}, nil
		},
	}, nil
}
