package ops

import (
	"fmt"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// Element-wise arithmetic with NumPy/PyTorch broadcasting: shapes are
// aligned at their last dimension, and a dimension of size 1 (or a missing
// leading dimension) is repeated to match the other operand. This covers a
// bias [1, C, 1, 1] added to [N, C, H, W], a residual F(x)+x of equal
// shapes, and Squeeze-and-Excitation's [N, C, 1, 1] channel scaling.

// BroadcastShapes returns the broadcast of shapes a and b, or an error if a
// dimension differs and neither is 1.
func BroadcastShapes(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v cannot be broadcast (dimension %d: %d vs %d)", a, b, i, da, db)
		}
	}
	return out, nil
}

// bcast walks an output of shape out and, for each innermost row, the
// matching offsets into two broadcast operands.
type bcast struct {
	out    []int
	sa, sb []int // element strides of a and b per output dimension, 0 where broadcast
}

// newBcast prepares the walk of a ⊕ b.
func newBcast(op string, a, b []int) *bcast {
	out, err := BroadcastShapes(a, b)
	if err != nil {
		panic("ops: " + op + ": " + err.Error())
	}
	return &bcast{out: out, sa: bcastStrides(a, out), sb: bcastStrides(b, out)}
}

// bcastStrides returns the strides of shape s viewed as the broadcast shape
// out (0 for repeated dimensions).
func bcastStrides(s, out []int) []int {
	st := make([]int, len(out))
	stride := 1
	for i := len(out) - 1; i >= 0; i-- {
		j := len(s) - len(out) + i
		if j < 0 || s[j] == 1 {
			st[i] = 0
		} else {
			st[i] = stride
		}
		if j >= 0 {
			stride *= s[j]
		}
	}
	return st
}

// rows calls f once per innermost output row with the output offset o, the
// operand offsets ia and ib, the row length n and the operands' inner
// strides da and db (0 or 1). Rows are visited in increasing output order.
func (p *bcast) rows(f func(o, ia, ib, n, da, db int)) {
	nd := len(p.out)
	if nd == 0 {
		f(0, 0, 0, 1, 0, 0)
		return
	}
	inner := p.out[nd-1]
	total := 1
	for _, d := range p.out {
		total *= d
	}
	if total == 0 {
		return
	}
	idx := make([]int, nd)
	ia, ib := 0, 0
	for o := 0; o < total; o += inner {
		f(o, ia, ib, inner, p.sa[nd-1], p.sb[nd-1])
		// Advance the odometer over all dimensions but the last.
		for d := nd - 2; d >= 0; d-- {
			idx[d]++
			ia += p.sa[d]
			ib += p.sb[d]
			if idx[d] < p.out[d] {
				break
			}
			ia -= p.sa[d] * p.out[d]
			ib -= p.sb[d] * p.out[d]
			idx[d] = 0
		}
	}
}

// binary evaluates an element-wise op with broadcasting. fwd computes one
// output; ga and gb return ∂out/∂a and ∂out/∂b at (a, b).
func binary(op string, a, b *Var, fwd, ga, gb func(x, y float32) float32) *Var {
	p := newBcast(op, a.Value.Shape(), b.Value.Shape())
	out, pooled := newValue(p.out, a, b)
	ad, bd, od := a.Value.Data(), b.Value.Data(), out.Data()
	p.rows(func(o, ia, ib, n, da, db int) {
		for i := 0; i < n; i++ {
			od[o+i] = fwd(ad[ia+i*da], bd[ib+i*db])
		}
	})
	return result(op, out, func(res *Var) {
		g := res.Grad.Data()
		var gad, gbd []float32
		if needs(a) {
			gad = a.gradBuf().Data()
		}
		if needs(b) {
			gbd = b.gradBuf().Data()
		}
		p.rows(func(o, ia, ib, n, da, db int) {
			for i := 0; i < n; i++ {
				x, y := ad[ia+i*da], bd[ib+i*db]
				if gad != nil {
					gad[ia+i*da] += g[o+i] * ga(x, y)
				}
				if gbd != nil {
					gbd[ib+i*db] += g[o+i] * gb(x, y)
				}
			}
		})
	}, a, b).owns(pooled)
}

// Add returns a + b with broadcasting.
func Add(a, b *Var) *Var {
	if tensor.SameShape(a.Value, b.Value) {
		return addSame(a, b)
	}
	one := func(x, y float32) float32 { return 1 }
	return binary("add", a, b, func(x, y float32) float32 { return x + y }, one, one)
}

// addSame is Add for operands of equal shape (the residual F(x)+x), without
// the broadcasting walk. Both directions run on vector kernels in parallel
// chunks (kernels.EngAdd; kernels.SetGrad for an input whose gradient
// buffer is fresh); every element is independent, so the result does not
// depend on the thread count.
func addSame(a, b *Var) *Var {
	out, pooled := newValue(a.Value.Shape(), a, b)
	ad, bd, od := a.Value.Data(), b.Value.Data(), out.Data()
	kernels.ParallelFor(len(od), actGrain, func(lo, hi int) { kernels.EngAdd(ad[lo:hi], bd[lo:hi], od[lo:hi]) })
	return result("add", out, func(res *Var) {
		g := res.Grad.Data()
		for _, in := range []*Var{a, b} {
			if needs(in) {
				dst, set := in.gradDst()
				gd := dst.Data()
				kernels.ParallelFor(len(g), actGrain, func(lo, hi int) {
					if set {
						kernels.SetGrad(gd[lo:hi], g[lo:hi])
					} else {
						kernels.EngAdd(gd[lo:hi], g[lo:hi], gd[lo:hi])
					}
				})
			}
		}
	}, a, b).owns(pooled)
}

// AddReLU returns ReLU(Add(a, b)) for a and b of the same shape (the end
// of a residual block), with the same values and gradients bit for bit, in
// one op: each block of the sum is rectified while it is in cache, and the
// backward pass masks the incoming gradient block by block as it passes it
// to both inputs, so the un-rectified sum and its gradient never exist as
// tensors. Operands of different shapes, and any call while a Recorder is
// installed (ONNX export, the inference engine's trace), run as the two
// ops.
func AddReLU(a, b *Var) *Var {
	if recorder.Load() != nil || !tensor.SameShape(a.Value, b.Value) {
		return ReLU(Add(a, b))
	}
	out, pooled := newValue(a.Value.Shape(), a, b)
	ad, bd, od := a.Value.Data(), b.Value.Data(), out.Data()
	kernels.ParallelFor(len(od), actGrain, func(lo, hi int) {
		for j := lo; j < hi; j += fuseBlock {
			e := min(j+fuseBlock, hi)
			kernels.EngAdd(ad[j:e], bd[j:e], od[j:e])
			kernels.ReLU(od[j:e], od[j:e])
		}
	})
	return result("add_relu", out, func(res *Var) {
		gz := res.Grad.Data()
		// Each input's gradient buffer, taken in Add's order (a then b,
		// the same Var twice for Add(x, x)) and written in that order.
		type grad struct {
			d   []float32
			set bool // fresh and unzeroed: set rather than add
		}
		var gs []grad
		for _, in := range []*Var{a, b} {
			if needs(in) {
				t, set := in.gradDst()
				gs = append(gs, grad{t.Data(), set})
			}
		}
		kernels.ParallelFor(len(gz), actGrain, func(lo, hi int) {
			g := make([]float32, min(fuseBlock, hi-lo))
			for j := lo; j < hi; j += fuseBlock {
				e := min(j+fuseBlock, hi)
				// ReLU's backward pass into the sum's fresh gradient, then
				// Add's into each input's.
				kernels.MaskedGrad(kernels.MaskNonZero, 0, 0, od[j:e], gz[j:e], g[:e-j], true)
				for _, d := range gs {
					if d.set {
						kernels.SetGrad(d.d[j:e], g[:e-j])
					} else {
						kernels.EngAdd(d.d[j:e], g[:e-j], d.d[j:e])
					}
				}
			}
		})
	}, a, b).owns(pooled)
}

// fuseBlock is the block of a fused element-wise op (AddReLU) that stays in
// L1 between its steps: 16 KiB of float32.
const fuseBlock = 4096

// Sub returns a − b with broadcasting.
func Sub(a, b *Var) *Var {
	return binary("sub", a, b, func(x, y float32) float32 { return x - y },
		func(x, y float32) float32 { return 1 }, func(x, y float32) float32 { return -1 })
}

// Mul returns a ⊙ b (element-wise product) with broadcasting.
func Mul(a, b *Var) *Var {
	return binary("mul", a, b, func(x, y float32) float32 { return x * y },
		func(x, y float32) float32 { return y }, func(x, y float32) float32 { return x })
}

// Div returns a / b (element-wise) with broadcasting.
func Div(a, b *Var) *Var {
	return binary("div", a, b, func(x, y float32) float32 { return x / y },
		func(x, y float32) float32 { return 1 / y }, func(x, y float32) float32 { return -x / (y * y) })
}

// Scale returns s·x.
func Scale(x *Var, s float32) *Var {
	out, pooled := newValue(x.Value.Shape(), x)
	xd, od := x.Value.Data(), out.Data()
	for i, v := range xd {
		od[i] = s * v
	}
	return resultAttrs("scale", s, out, func(res *Var) {
		if needs(x) {
			gd := x.gradBuf().Data()
			for i, v := range res.Grad.Data() {
				gd[i] += s * v
			}
		}
	}, x).owns(pooled)
}

// Sum returns the sum of all elements of x as a 0-dimensional tensor.
func Sum(x *Var) *Var {
	s := 0.0
	for _, v := range x.Value.Data() {
		s += float64(v)
	}
	return result("sum", tensor.Scalar(float32(s)), func(res *Var) {
		if needs(x) {
			g := res.Grad.Data()[0]
			gd := x.gradBuf().Data()
			for i := range gd {
				gd[i] += g
			}
		}
	}, x)
}

// Mean returns the mean of all elements of x as a 0-dimensional tensor.
func Mean(x *Var) *Var {
	n := x.Value.Len()
	s := 0.0
	for _, v := range x.Value.Data() {
		s += float64(v)
	}
	return result("mean", tensor.Scalar(float32(s/float64(n))), func(res *Var) {
		if needs(x) {
			g := res.Grad.Data()[0] / float32(n)
			gd := x.gradBuf().Data()
			for i := range gd {
				gd[i] += g
			}
		}
	}, x)
}
