package ops

import (
	"fmt"
)

// Reshape returns x with a new shape holding the same elements (one
// dimension may be -1). The value shares x's storage.
func Reshape(x *Var, shape ...int) *Var {
	out := x.Value.Reshape(shape...)
	return result("reshape", out, func(res *Var) {
		if needs(x) {
			gd := x.gradBuf().Data()
			for i, v := range res.Grad.Data() {
				gd[i] += v
			}
		}
	}, x)
}

// Flatten reshapes x [N, ...] to [N, F], keeping the first dimension, as
// torch.flatten(x, 1).
func Flatten(x *Var) *Var {
	if x.Value.NDim() < 1 {
		panic("ops: Flatten of a scalar")
	}
	return Reshape(x, x.Value.Dim(0), -1)
}

// Concat joins xs along axis (negative counts from the end); all other
// dimensions must agree. Concat(1, a, b, c) joins Inception's branches
// [N, Ci, H, W] into [N, ΣCi, H, W].
func Concat(axis int, xs ...*Var) *Var {
	if len(xs) == 0 {
		panic("ops: Concat of nothing")
	}
	first := xs[0].Value.Shape()
	if axis < 0 {
		axis += len(first)
	}
	if axis < 0 || axis >= len(first) {
		panic(fmt.Sprintf("ops: Concat axis %d out of range for shape %v", axis, first))
	}
	outShape := append([]int(nil), first...)
	outShape[axis] = 0
	for _, x := range xs {
		s := x.Value.Shape()
		if len(s) != len(first) {
			panic(fmt.Sprintf("ops: Concat of shapes %v and %v", first, s))
		}
		for d := range s {
			if d != axis && s[d] != first[d] {
				panic(fmt.Sprintf("ops: Concat along %d of shapes %v and %v", axis, first, s))
			}
		}
		outShape[axis] += s[axis]
	}
	outer := 1
	for _, d := range first[:axis] {
		outer *= d
	}
	inner := 1
	for _, d := range first[axis+1:] {
		inner *= d
	}
	out, pooled := newValue(outShape, xs...)
	od := out.Data()
	rowOut := outShape[axis] * inner
	off := 0 // offset of the current input inside one output row
	for _, x := range xs {
		w := x.Value.Dim(axis) * inner
		xd := x.Value.Data()
		for o := 0; o < outer; o++ {
			copy(od[o*rowOut+off:o*rowOut+off+w], xd[o*w:(o+1)*w])
		}
		off += w
	}
	return resultAttrs("concat", axis, out, func(res *Var) {
		g := res.Grad.Data()
		off := 0
		for _, x := range xs {
			w := x.Value.Dim(axis) * inner
			if needs(x) {
				gd := x.gradBuf().Data()
				for o := 0; o < outer; o++ {
					src := g[o*rowOut+off : o*rowOut+off+w]
					dst := gd[o*w : (o+1)*w]
					for i, v := range src {
						dst[i] += v
					}
				}
			}
			off += w
		}
	}, xs...).owns(pooled)
}
