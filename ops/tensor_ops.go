package ops

import (
	"fmt"
	"math"
	"slices"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// Shape and indexing ops with ONNX semantics: Transpose, Slice, Split,
// Gather, Pad, Tile, Expand, Squeeze, Unsqueeze and the axis reductions
// SumAxes and MeanAxes. Axes may be negative (counted from the end) unless
// said otherwise. Except for Squeeze and Unsqueeze, which are views like
// Reshape, every op copies into a new tensor.
//
// Slice, Split, Gather, Pad, Tile and Expand are all one gather: output
// element [o₀, …, o_k] is input element [m₀(o₀), …, m_k(o_k)] for one index
// map m_d per dimension, or a fill value where a map says so. txIndexMap
// does that walk forward and its scatter-add backward.

// txFill marks an output index whose element is the fill value.
const txFill = -1

// txRun is a stretch of an output row whose source elements are
// consecutive: out[o : o+n] = in[i : i+n], or the fill value if i < 0.
type txRun struct{ o, i, n int }

// txRowsGrain is about how many elements one goroutine should produce.
const txRowsGrain = 1 << 15

// txIndexMap returns the gather of x seen with shape xShape (same number of
// elements as x) by maps: maps[d][o] is the index into xShape[d] of output
// index o along dimension d, or txFill. The output has shape
// [len(maps[0]), …] reshaped to outShape (nil: no reshape). The backward
// pass scatter-adds the output gradient back along the same maps.
func txIndexMap(op string, x *Var, xShape []int, maps [][]int, fill float32, outShape []int) *Var {
	nd := len(maps)
	mapShape := make([]int, nd)
	for d, m := range maps {
		mapShape[d] = len(m)
	}
	out := tensor.New(mapShape...)
	if outShape != nil {
		out = out.Reshape(outShape...)
	}
	xd, od := x.Value.Data(), out.Data()
	if len(od) == 0 {
		return result(op, out, func(*Var) {}, x)
	}
	if nd == 0 { // scalar in, scalar out
		od[0] = xd[0]
		return result(op, out, func(res *Var) {
			if needs(x) {
				x.gradBuf().Data()[0] += res.Grad.Data()[0]
			}
		}, x)
	}
	xStride := make([]int, nd) // element strides of xShape
	s := 1
	for d := nd - 1; d >= 0; d-- {
		xStride[d] = s
		s *= xShape[d]
	}
	// Runs of the innermost dimension.
	last := maps[nd-1]
	var runs []txRun
	for o, i := range last {
		if k := len(runs) - 1; k >= 0 {
			r := &runs[k]
			if (i < 0 && r.i < 0) || (i >= 0 && r.i >= 0 && i == r.i+r.n) {
				r.n++
				continue
			}
		}
		runs = append(runs, txRun{o, i, 1})
	}
	inner := len(last)
	rows := len(od) / inner
	// rowBase returns the offset in x of the start of output row r, or −1
	// if the row lies in the fill region.
	rowBase := func(r int) int {
		base := 0
		for d := nd - 2; d >= 0; d-- {
			m := maps[d]
			i := m[r%len(m)]
			r /= len(m)
			if i < 0 {
				return -1
			}
			base += i * xStride[d]
		}
		return base
	}
	kernels.ParallelFor(rows, max(1, txRowsGrain/inner), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := od[r*inner : (r+1)*inner]
			base := rowBase(r)
			if base < 0 {
				for i := range row {
					row[i] = fill
				}
				continue
			}
			for _, run := range runs {
				dst := row[run.o : run.o+run.n]
				if run.i < 0 {
					for i := range dst {
						dst[i] = fill
					}
				} else {
					copy(dst, xd[base+run.i:base+run.i+run.n])
				}
			}
		}
	})
	return result(op, out, func(res *Var) {
		if !needs(x) {
			return
		}
		g, gx := res.Grad.Data(), x.gradBuf().Data()
		scatter := func(lo, hi int) {
			for r := lo; r < hi; r++ {
				base := rowBase(r)
				if base < 0 {
					continue
				}
				grow := g[r*inner : (r+1)*inner]
				for _, run := range runs {
					if run.i < 0 {
						continue
					}
					dst := gx[base+run.i : base+run.i+run.n]
					for i, v := range grow[run.o : run.o+run.n] {
						dst[i] += v
					}
				}
			}
		}
		// Rows may run in parallel only if no two outputs read the same
		// input; Pad's reflect and edge modes, Tile, Expand and repeated
		// Gather indices do, and run sequentially.
		if txInjective(maps, xShape) {
			kernels.ParallelFor(rows, max(1, txRowsGrain/inner), scatter)
		} else {
			scatter(0, rows)
		}
	}, x)
}

// txInjective reports whether no index appears twice in any of maps
// (fill entries aside), so that distinct outputs read distinct inputs.
func txInjective(maps [][]int, xShape []int) bool {
	for d, m := range maps {
		seen := make([]bool, xShape[d])
		for _, i := range m {
			if i < 0 {
				continue
			}
			if seen[i] {
				return false
			}
			seen[i] = true
		}
	}
	return true
}

// txIdentity returns the map [0, 1, …, n−1].
func txIdentity(n int) []int {
	m := make([]int, n)
	for i := range m {
		m[i] = i
	}
	return m
}

// txIdentityMaps returns the identity maps of shape.
func txIdentityMaps(shape []int) [][]int {
	maps := make([][]int, len(shape))
	for d, n := range shape {
		maps[d] = txIdentity(n)
	}
	return maps
}

// txAxis resolves a possibly negative axis of a rank-r tensor, panicking
// with a message naming op and shape when it is out of range.
func txAxis(op string, axis, r int, shape []int) int {
	if axis < -r || axis >= r {
		panic(fmt.Sprintf("ops: %s: axis %d out of range for shape %v", op, axis, shape))
	}
	if axis < 0 {
		axis += r
	}
	return axis
}

// txAxes resolves a list of distinct axes of a rank-r tensor.
func txAxes(op string, axes []int, r int, shape []int) []int {
	out := make([]int, len(axes))
	for k, a := range axes {
		out[k] = txAxis(op, a, r, shape)
		if slices.Contains(out[:k], out[k]) {
			panic(fmt.Sprintf("ops: %s: axis %d repeated in %v (shape %v)", op, a, axes, shape))
		}
	}
	return out
}

// Transpose returns x with its dimensions permuted: output dimension i is
// x's dimension perm[i] (ONNX Transpose, numpy.transpose). A nil perm
// reverses the dimensions, as ONNX's default. x [2, 3, 4] with perm
// [2, 0, 1] gives [4, 2, 3]. The gradient is the output gradient
// transposed back.
func Transpose(x *Var, perm []int) *Var {
	shape := x.Value.Shape()
	r := len(shape)
	if perm == nil {
		perm = make([]int, r)
		for i := range perm {
			perm[i] = r - 1 - i
		}
	}
	if len(perm) != r {
		panic(fmt.Sprintf("ops: Transpose: perm %v for shape %v", perm, shape))
	}
	perm = slices.Clone(perm)
	inv := make([]int, r)
	seen := make([]bool, r)
	outShape := make([]int, r)
	for i, p := range perm {
		if p < 0 || p >= r || seen[p] {
			panic(fmt.Sprintf("ops: Transpose: perm %v is not a permutation of the %d dimensions of shape %v", perm, r, shape))
		}
		seen[p] = true
		inv[p] = i
		outShape[i] = shape[p]
	}
	out := tensor.New(outShape...)
	kernels.Permute(out.Data(), x.Value.Data(), shape, perm, false)
	return result("transpose", out, func(res *Var) {
		if needs(x) {
			kernels.Permute(x.gradBuf().Data(), res.Grad.Data(), outShape, inv, true)
		}
	}, x)
}

// Slice returns the elements of x at starts[k], starts[k]+steps[k], …
// (stopping before ends[k]) along each axis axes[k], and all elements along
// the other axes (ONNX Slice). axes nil means 0, 1, …, len(starts)−1;
// steps nil means all 1. As in ONNX, a negative start or end counts from
// the end of its dimension and is then clamped, to [0, dim] for a positive
// step and to [0, dim−1] (start) and [−1, dim−1] (end) for a negative one,
// so math.MaxInt and math.MinInt mean "to the end" in either direction. A
// negative step walks backwards: Slice(x [5], [−1], [math.MinInt], nil,
// [−1]) reverses x. An empty range gives a dimension of length 0. Steps
// must not be 0 and axes must be distinct.
func Slice(x *Var, starts, ends, axes, steps []int) *Var {
	shape := x.Value.Shape()
	r := len(shape)
	if len(ends) != len(starts) || (axes != nil && len(axes) != len(starts)) || (steps != nil && len(steps) != len(starts)) {
		panic(fmt.Sprintf("ops: Slice of shape %v: starts %v, ends %v, axes %v, steps %v differ in length", shape, starts, ends, axes, steps))
	}
	if axes == nil {
		axes = txIdentity(len(starts))
	}
	axes = txAxes("Slice", axes, r, shape)
	maps := txIdentityMaps(shape)
	for k, a := range axes {
		step := 1
		if steps != nil {
			step = steps[k]
		}
		if step == 0 {
			panic(fmt.Sprintf("ops: Slice of shape %v: step 0 on axis %d", shape, a))
		}
		dim := shape[a]
		start, end := txSliceBound(starts[k], dim), txSliceBound(ends[k], dim)
		var m []int
		if step > 0 {
			start, end = min(max(start, 0), dim), min(max(end, 0), dim)
			for i := start; i < end; i += step {
				m = append(m, i)
			}
		} else {
			start, end = min(max(start, 0), dim-1), min(max(end, -1), dim-1)
			for i := start; i > end; i += step {
				m = append(m, i)
			}
		}
		maps[a] = m
	}
	return txIndexMap("slice", x, shape, maps, 0, nil)
}

// txSliceBound adds dim to a negative Slice bound without overflowing at
// math.MinInt.
func txSliceBound(b, dim int) int {
	if b < 0 {
		if b < math.MinInt+dim {
			return -1
		}
		return b + dim
	}
	return b
}

// Split cuts x along axis into consecutive pieces of the given sizes (ONNX
// Split, torch.split with a list): x [N, 6, H, W] with axis 1 and sizes
// [2, 4] gives [N, 2, H, W] and [N, 4, H, W]. The sizes must be
// non-negative and add up to x's dimension. Each piece is a separate Var
// whose gradient flows into its part of x's gradient.
func Split(x *Var, axis int, sizes []int) []*Var {
	shape := x.Value.Shape()
	a := txAxis("Split", axis, len(shape), shape)
	total := 0
	for _, s := range sizes {
		if s < 0 {
			panic(fmt.Sprintf("ops: Split of shape %v along %d: negative size in %v", shape, axis, sizes))
		}
		total += s
	}
	if total != shape[a] {
		panic(fmt.Sprintf("ops: Split of shape %v along %d: sizes %v add up to %d, want %d", shape, axis, sizes, total, shape[a]))
	}
	outs := make([]*Var, len(sizes))
	off := 0
	for k, s := range sizes {
		maps := txIdentityMaps(shape)
		maps[a] = maps[a][off : off+s]
		outs[k] = txIndexMap("split", x, shape, maps, 0, nil)
		off += s
	}
	return outs
}

// Gather picks entries of x along axis (ONNX Gather, numpy.take): with
// indices of shape indicesShape, the output has shape
// x.shape[:axis] + indicesShape + x.shape[axis+1:] and
//
//	out[i…, j…, k…] = x[i…, indices[j…], k…]
//
// indicesShape nil means [len(indices)]; an empty non-nil indicesShape
// means a single scalar index, which drops the axis. An index may be
// negative, counting from the end, and must lie in [−dim, dim). The
// gradient is scatter-added, so repeated indices accumulate.
func Gather(x *Var, axis int, indices []int, indicesShape []int) *Var {
	shape := x.Value.Shape()
	a := txAxis("Gather", axis, len(shape), shape)
	if indicesShape == nil {
		indicesShape = []int{len(indices)}
	}
	n := 1
	for _, d := range indicesShape {
		n *= d
	}
	if n != len(indices) {
		panic(fmt.Sprintf("ops: Gather from shape %v: %d indices for an index shape %v", shape, len(indices), indicesShape))
	}
	dim := shape[a]
	m := make([]int, len(indices))
	for k, i := range indices {
		if i < -dim || i >= dim {
			panic(fmt.Sprintf("ops: Gather from shape %v along %d: index %d out of range [%d, %d)", shape, axis, i, -dim, dim))
		}
		if i < 0 {
			i += dim
		}
		m[k] = i
	}
	maps := txIdentityMaps(shape)
	maps[a] = m
	outShape := slices.Concat(shape[:a], indicesShape, shape[a+1:])
	return txIndexMap("gather", x, shape, maps, 0, outShape)
}

// Pad modes of Pad.
const (
	PadConstant = "constant" // the fill value
	PadReflect  = "reflect"  // mirror without repeating the border: 3 2 | 1 2 3 | 2 1
	PadEdge     = "edge"     // repeat the border element: 1 1 | 1 2 3 | 3 3
	PadWrap     = "wrap"     // periodic: 2 3 | 1 2 3 | 1 2
)

// Pad pads x with pads in ONNX's layout [b₀, b₁, …, e₀, e₁, …]: bᵢ
// elements before and eᵢ after dimension i, so a 4-D [N, C, H, W] input
// padded by 1 on top and 2 on the right takes [0, 0, 1, 0, 0, 0, 0, 2].
// (torch.nn.functional.pad lists the last dimension first, as (left,
// right, top, bottom).) mode is PadConstant (elements equal value),
// PadReflect, PadEdge or PadWrap; value is used only by PadConstant. A
// negative pad removes elements, as in ONNX. Reflect padding must be
// smaller than the dimension (as in PyTorch); edge and wrap padding need a
// non-empty dimension and may exceed it (wrap then cycles, as
// numpy.pad). The gradient
// of a padded element flows to the element it copies.
func Pad(x *Var, pads []int, mode string, value float32) *Var {
	shape := x.Value.Shape()
	r := len(shape)
	if len(pads) != 2*r {
		panic(fmt.Sprintf("ops: Pad of shape %v: %d pads %v, want %d (begins then ends)", shape, len(pads), pads, 2*r))
	}
	switch mode {
	case PadConstant, PadReflect, PadEdge, PadWrap:
	default:
		panic(fmt.Sprintf("ops: Pad of shape %v: unknown mode %q", shape, mode))
	}
	maps := make([][]int, r)
	for d, dim := range shape {
		b, e := pads[d], pads[r+d]
		n := dim + b + e
		if n < 0 {
			panic(fmt.Sprintf("ops: Pad of shape %v by %v: dimension %d would have length %d", shape, pads, d, n))
		}
		if mode != PadConstant && (b > 0 || e > 0) {
			if dim == 0 || (mode == PadReflect && max(b, e) >= dim) {
				panic(fmt.Sprintf("ops: Pad of shape %v by %v: %s padding of %d, %d on dimension %d of length %d", shape, pads, mode, b, e, d, dim))
			}
		}
		m := make([]int, n)
		for o := range m {
			i := o - b
			if i < 0 || i >= dim {
				switch mode {
				case PadConstant:
					i = txFill
				case PadReflect:
					if i < 0 {
						i = -i
					} else {
						i = 2*(dim-1) - i
					}
				case PadEdge:
					i = min(max(i, 0), dim-1)
				case PadWrap:
					i = (i%dim + dim) % dim
				}
			}
			m[o] = i
		}
		maps[d] = m
	}
	return txIndexMap("pad", x, shape, maps, value, nil)
}

// Tile repeats x repeats[d] times along each dimension d (ONNX Tile,
// numpy.tile with one repeat per dimension): x [2, 3] tiled by [2, 1] is
// [4, 3], x's rows stacked twice. Repeats must be non-negative. The
// gradient of x sums over the copies.
func Tile(x *Var, repeats []int) *Var {
	shape := x.Value.Shape()
	if len(repeats) != len(shape) {
		panic(fmt.Sprintf("ops: Tile of shape %v: repeats %v, want one per dimension", shape, repeats))
	}
	maps := make([][]int, len(shape))
	for d, dim := range shape {
		if repeats[d] < 0 {
			panic(fmt.Sprintf("ops: Tile of shape %v: negative repeat in %v", shape, repeats))
		}
		m := make([]int, dim*repeats[d])
		for o := range m {
			m[o] = o % dim
		}
		maps[d] = m
	}
	return txIndexMap("tile", x, shape, maps, 0, nil)
}

// Expand broadcasts x to shape (ONNX Expand): the output shape is the
// broadcast of x's shape and shape, so either may have dimensions of 1 the
// other fills in, and shape may have more dimensions than x (ONNX's
// bidirectional broadcasting; torch.Tensor.expand allows only x's side).
// x [3, 1] expanded to [2, 1, 4] gives [2, 3, 4]. The gradient of x sums
// over the repeated dimensions.
func Expand(x *Var, shape []int) *Var {
	xs := x.Value.Shape()
	outShape, err := BroadcastShapes(xs, shape)
	if err != nil {
		panic("ops: Expand: " + err.Error())
	}
	// x seen with the rank of the output, leading dimensions of 1.
	full := make([]int, len(outShape))
	for i := range full {
		full[i] = 1
	}
	copy(full[len(full)-len(xs):], xs)
	maps := make([][]int, len(outShape))
	for d, n := range outShape {
		if full[d] == n {
			maps[d] = txIdentity(n)
		} else {
			maps[d] = make([]int, n) // all index 0
		}
	}
	return txIndexMap("expand", x, full, maps, 0, nil)
}

// Squeeze removes dimensions of length 1 (ONNX Squeeze, a view like
// Reshape): those listed in axes, each of which must have length 1, or
// all of them when axes is empty. x [1, 3, 1, 2] squeezed on [0, −2]
// gives [3, 2].
func Squeeze(x *Var, axes []int) *Var {
	shape := x.Value.Shape()
	drop := make([]bool, len(shape))
	if len(axes) == 0 {
		for d, n := range shape {
			drop[d] = n == 1
		}
	}
	for _, a := range txAxes("Squeeze", axes, len(shape), shape) {
		if shape[a] != 1 {
			panic(fmt.Sprintf("ops: Squeeze of shape %v: axis %d has length %d, not 1", shape, a, shape[a]))
		}
		drop[a] = true
	}
	out := []int{}
	for d, n := range shape {
		if !drop[d] {
			out = append(out, n)
		}
	}
	return Reshape(x, out...)
}

// Unsqueeze inserts dimensions of length 1 (ONNX Unsqueeze, a view like
// Reshape) at the given axes of the output, whose rank is x's rank plus
// len(axes); negative axes count from the output's end. x [3, 4] with axes
// [0, −1] gives [1, 3, 4, 1].
func Unsqueeze(x *Var, axes []int) *Var {
	shape := x.Value.Shape()
	r := len(shape) + len(axes)
	outShape := make([]int, r)
	for _, a := range txAxes("Unsqueeze", axes, r, shape) {
		outShape[a] = -1 // placeholder
	}
	k := 0
	for d := range outShape {
		if outShape[d] == -1 {
			outShape[d] = 1
		} else {
			outShape[d] = shape[k]
			k++
		}
	}
	return Reshape(x, outShape...)
}

// txReduce sums x over axes (all of them when axes is empty), dividing by
// the number of elements summed into each output if mean, and keeps
// reduced dimensions as 1 if keepdims. Sums are taken in float64. name is
// the exported name used in panics, op the name on the tape.
func txReduce(name, op string, x *Var, axes []int, keepdims bool, mean bool) *Var {
	shape := x.Value.Shape()
	r := len(shape)
	red := make([]bool, r)
	if len(axes) == 0 {
		for d := range red {
			red[d] = true
		}
	}
	for _, a := range txAxes(name, axes, r, shape) {
		red[a] = true
	}
	keep := make([]int, r) // output shape with kept dimensions
	var outShape []int
	count := 1
	for d, n := range shape {
		if red[d] {
			keep[d] = 1
			count *= n
			if keepdims {
				outShape = append(outShape, 1)
			}
		} else {
			keep[d] = n
			outShape = append(outShape, n)
		}
	}
	if outShape == nil {
		outShape = []int{}
	}
	scale := 1.0
	if mean {
		scale = 1 / float64(count) // Inf for an empty reduction: NaN mean, as PyTorch
	}
	p := newBcast(op, shape, keep) // walks x, with the output's offsets as operand b
	out := tensor.New(outShape...)
	acc := make([]float64, out.Len())
	xd := x.Value.Data()
	p.rows(func(o, ia, ib, n, da, db int) {
		for i := 0; i < n; i++ {
			acc[ib+i*db] += float64(xd[o+i])
		}
	})
	od := out.Data()
	for i, s := range acc {
		if mean {
			s *= scale
		}
		od[i] = float32(s)
	}
	return result(op, out, func(res *Var) {
		if !needs(x) {
			return
		}
		g, gx := res.Grad.Data(), x.gradBuf().Data()
		sc := float32(scale)
		p.rows(func(o, ia, ib, n, da, db int) {
			for i := 0; i < n; i++ {
				gx[o+i] += g[ib+i*db] * sc
			}
		})
	}, x)
}

// SumAxes returns the sum of x over axes (ONNX ReduceSum, torch.sum with
// dim and keepdim), or over every axis when axes is empty. Reduced
// dimensions are kept with length 1 if keepdims, dropped otherwise:
// x [2, 3, 4] summed over [−1] is [2, 3] (or [2, 3, 1]). Sums are taken in
// float64. The gradient is the output gradient repeated over the reduced
// dimensions. (The name avoids the Reduction constant ReduceSum.)
func SumAxes(x *Var, axes []int, keepdims bool) *Var {
	return txReduce("SumAxes", "sum_axes", x, axes, keepdims, false)
}

// MeanAxes returns the mean of x over axes (ONNX ReduceMean, torch.mean
// with dim and keepdim), or over every axis when axes is empty; see
// SumAxes for the shapes. The gradient is the output gradient divided by
// the number of elements averaged, repeated over the reduced dimensions.
func MeanAxes(x *Var, axes []int, keepdims bool) *Var {
	return txReduce("MeanAxes", "mean_axes", x, axes, keepdims, true)
}
