package onnx

import (
	"fmt"

	"convnet/ops"
)

// Helpers for shape inference and for the mapping functions of ops_*.go.

// unranked is an info with unknown rank.
func unranked(dt DataType) *info { return &info{dtype: dt} }

// shaped is an info with the given shape (-1 for unknown dimensions).
func shaped(dt DataType, shape ...int) *info {
	return &info{shape: append([]int(nil), shape...), ranked: true, dtype: dt}
}

// like returns an info with in's shape and type dt.
func like(in *info, dt DataType) *info {
	if !in.ranked {
		return unranked(dt)
	}
	return shaped(dt, in.shape...)
}

// wantRank checks that in has one of the given ranks (when its rank is
// known).
func wantRank(what string, in *info, ranks ...int) error {
	if !in.ranked {
		return nil
	}
	for _, r := range ranks {
		if len(in.shape) == r {
			return nil
		}
	}
	return fmt.Errorf("%s has shape %s, want rank %v", what, shapeString(in.shape), ranks)
}

// broadcastInfo infers the NumPy broadcast of a and b.
func broadcastInfo(a, b *info) (*info, error) {
	if !a.ranked || !b.ranked {
		return unranked(a.dtype), nil
	}
	n := max(len(a.shape), len(b.shape))
	out := make([]int, n)
	for i := range n {
		da, db := 1, 1
		if j := len(a.shape) - n + i; j >= 0 {
			da = a.shape[j]
		}
		if j := len(b.shape) - n + i; j >= 0 {
			db = b.shape[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		case da < 0 && db < 0:
			out[i] = -1
		case da < 0:
			out[i] = db
		case db < 0:
			out[i] = da
		default:
			return nil, fmt.Errorf("shapes %s and %s cannot be broadcast", shapeString(a.shape), shapeString(b.shape))
		}
	}
	return shaped(a.dtype, out...), nil
}

// numelOf returns the product of a concrete shape.
func numelOf(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// allKnown reports whether every dimension of in is known.
func allKnown(in *info) bool {
	if !in.ranked {
		return false
	}
	for _, d := range in.shape {
		if d < 0 {
			return false
		}
	}
	return true
}

// normAxis turns a possibly negative axis into [0, rank) (or [0, rank] with
// extra = 1, for Unsqueeze and Flatten).
func normAxis(axis int64, rank, extra int) (int, error) {
	a := axis
	if a < 0 {
		a += int64(rank + extra)
	}
	if a < 0 || a >= int64(rank+extra) {
		return 0, fmt.Errorf("axis %d is out of range for rank %d", axis, rank)
	}
	return int(a), nil
}

// intsInput returns the exact integer values of an input (a shape, axes
// or indices), or an error if it is not an integer tensor.
func intsInput(what string, v *value) ([]int64, error) {
	if v == nil {
		return nil, fmt.Errorf("%s is missing", what)
	}
	if v.ints == nil {
		return nil, fmt.Errorf("%s must be an integer tensor, got %v", what, v.dtype)
	}
	return v.ints, nil
}

// constInts returns the integer values of in if they are known now.
func constInts(in *info) ([]int64, bool) {
	if in == nil || in.val == nil || in.val.ints == nil {
		return nil, false
	}
	return in.val.ints, true
}

// scalarInput returns the single float value of an optional scalar input,
// or def when the input is absent.
func scalarInput(what string, v *value, def float32) (float32, error) {
	if v == nil {
		return def, nil
	}
	if v.v.Value.Len() != 1 {
		return 0, fmt.Errorf("%s must hold one value, has shape %v", what, v.shape())
	}
	return v.v.Value.Data()[0], nil
}

// toInts converts a shape to int64s.
func toInts(s []int) []int64 {
	out := make([]int64, len(s))
	for i, d := range s {
		out[i] = int64(d)
	}
	return out
}

// reshapeValue reshapes v with ops.Reshape, keeping exact integers.
func reshapeValue(v *value, shape ...int) *value {
	return &value{v: ops.Reshape(v.v, shape...), ints: v.ints, dtype: v.dtype}
}

// broadcastInts applies f to integer tensors a and b with NumPy
// broadcasting (used for shape arithmetic, which must stay exact).
func broadcastInts(a, b *value, f func(x, y int64) int64) (*value, error) {
	as, bs := a.shape(), b.shape()
	out, err := ops.BroadcastShapes(as, bs)
	if err != nil {
		return nil, err
	}
	n := numelOf(out)
	res := make([]int64, n)
	idx := make([]int, len(out))
	for o := 0; o < n; o++ {
		rem := o
		for d := len(out) - 1; d >= 0; d-- {
			idx[d] = rem % out[d]
			rem /= out[d]
		}
		res[o] = f(a.ints[bcastOffset(idx, as)], b.ints[bcastOffset(idx, bs)])
	}
	v := intValue(res, out...)
	v.dtype = a.dtype
	return v, nil
}

// bcastOffset returns the offset in a tensor of shape s of the element
// broadcast to output index idx.
func bcastOffset(idx, s []int) int {
	off := 0
	for i, d := range s {
		j := idx[len(idx)-len(s)+i]
		if d == 1 {
			j = 0
		}
		off = off*d + j
	}
	return off
}
