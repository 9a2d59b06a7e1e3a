package ops

// Softmax, log-softmax and the losses (cross-entropy, mean squared error),
// forward and backward side by side, with PyTorch 1.13's semantics.
//
// Softmax-like ops view their input as [outer, K, inner], K being the size
// of the axis reduced over: element (o, k, i) lives at (o·K + k)·inner + i.
// One "line" is the K values of a fixed (o, i); every line is reduced by one
// goroutine in increasing k, in float64, so results do not depend on the
// number of threads.

import (
	"fmt"
	"math"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// lossGrainElems is roughly how many elements one goroutine should own before
// splitting lines over goroutines pays.
const lossGrainElems = 16384

// Reduction says how a loss combines its per-element values, as the
// reduction argument of PyTorch's losses. The zero value is ReduceMean,
// PyTorch's default.
type Reduction int

const (
	// ReduceMean averages the per-element losses into a scalar of shape [].
	ReduceMean Reduction = iota
	// ReduceSum adds the per-element losses into a scalar of shape [].
	ReduceSum
	// ReduceNone returns the per-element losses unreduced.
	ReduceNone
)

// String returns PyTorch's name of r ("mean", "sum" or "none").
func (r Reduction) String() string {
	switch r {
	case ReduceMean:
		return "mean"
	case ReduceSum:
		return "sum"
	case ReduceNone:
		return "none"
	}
	return fmt.Sprintf("Reduction(%d)", int(r))
}

// lossCheckReduction panics if r is not one of the defined reductions.
func lossCheckReduction(op string, r Reduction) {
	if r != ReduceMean && r != ReduceSum && r != ReduceNone {
		panic(fmt.Sprintf("ops: %s: unknown reduction %v", op, r))
	}
}

// lossSplitAxis returns the [outer, K, inner] view of shape around axis
// (negative counts from the end), panicking on an axis out of range.
func lossSplitAxis(op string, shape []int, axis int) (outer, k, inner int) {
	r := len(shape)
	rr := max(r, 1) // a 0-dim tensor has one axis of size 1, as in PyTorch
	if axis < -rr || axis >= rr {
		panic(fmt.Sprintf("ops: %s: axis %d out of range for shape %v", op, axis, shape))
	}
	if axis < 0 {
		axis += rr
	}
	if r == 0 {
		return 1, 1, 1
	}
	outer, inner = 1, 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	return outer, shape[axis], inner
}

// lossLines calls f over all outer·inner lines of an [outer, K, inner] view,
// in parallel. Each call gets one outer index o and a range [i0, i1) of inner
// indices, so that f can sweep rows of contiguous memory; scratch is a
// per-goroutine buffer of at least i1−i0 float64 values per requested slot
// (slots·inner in all).
func lossLines(outer, k, inner, slots int, f func(o, i0, i1 int, scratch []float64)) {
	lines := outer * inner
	grain := max(1, lossGrainElems/max(1, k))
	kernels.ParallelFor(lines, grain, func(lo, hi int) {
		scratch := make([]float64, slots*min(inner, hi-lo))
		for l := lo; l < hi; {
			o, i0 := l/inner, l%inner
			i1 := min(inner, i0+hi-l)
			f(o, i0, i1, scratch[:slots*(i1-i0)])
			l += i1 - i0
		}
	})
}

// lossMaxSumExp computes, for the lines (o, i) with i in [i0, i1) of
// x [outer, K, inner], the maximum mx[i−i0] and the sum of exp(x − max)
// se[i−i0], in float64.
func lossMaxSumExp(xd []float32, o, k, inner, i0, i1 int, mx, se []float64) {
	base := o * k * inner
	w := i1 - i0
	for j := range w {
		mx[j] = math.Inf(-1)
		se[j] = 0
	}
	for kk := range k {
		row := xd[base+kk*inner+i0:][:w]
		for j, v := range row {
			if fv := float64(v); fv > mx[j] || math.IsNaN(fv) {
				mx[j] = fv
			}
		}
	}
	for kk := range k {
		row := xd[base+kk*inner+i0:][:w]
		for j, v := range row {
			se[j] += math.Exp(float64(v) - mx[j])
		}
	}
}

// Softmax returns exp(x) / Σ exp(x) along axis (negative counts from the
// end), computed stably by subtracting each line's maximum first, as
// torch.softmax(x, dim=axis). x may have any rank; the output has x's
// shape.
func Softmax(x *Var, axis int) *Var {
	return lossSoftmax("Softmax", x, axis, false)
}

// LogSoftmax returns x − log Σ exp(x) along axis (negative counts from the
// end), computed stably by subtracting each line's maximum first, as
// torch.log_softmax(x, dim=axis). x may have any rank; the output has x's
// shape.
func LogSoftmax(x *Var, axis int) *Var {
	return lossSoftmax("LogSoftmax", x, axis, true)
}

// lossSoftmax is Softmax (log false) or LogSoftmax (log true).
func lossSoftmax(op string, x *Var, axis int, log bool) *Var {
	shape := x.Value.Shape()
	outer, k, inner := lossSplitAxis(op, shape, axis)
	xd := x.Value.Data()
	out := tensor.New(shape...) // [outer, K, inner]
	yd := out.Data()
	lossLines(outer, k, inner, 2, func(o, i0, i1 int, scratch []float64) {
		w := i1 - i0
		mx, se := scratch[:w], scratch[w:]
		lossMaxSumExp(xd, o, k, inner, i0, i1, mx, se)
		base := o * k * inner
		if log {
			for j := range w {
				mx[j] += math.Log(se[j]) // log Σ exp(x)
			}
			for kk := range k {
				off := base + kk*inner + i0
				for j, v := range xd[off : off+w] {
					yd[off+j] = float32(float64(v) - mx[j])
				}
			}
			return
		}
		for kk := range k {
			off := base + kk*inner + i0
			for j, v := range xd[off : off+w] {
				yd[off+j] = float32(math.Exp(float64(v)-mx[j]) / se[j])
			}
		}
	})
	return resultAttrs(op, axis, out, func(o *Var) {
		if !needs(x) {
			return
		}
		gd := o.Grad.Data()
		dx := x.gradBuf().Data()
		lossLines(outer, k, inner, 1, func(oi, i0, i1 int, scratch []float64) {
			w := i1 - i0
			acc := scratch[:w]
			clear(acc)
			base := oi * k * inner
			// Softmax:    dx = y·(dy − Σ dy·y)
			// LogSoftmax: dx = dy − exp(y)·Σ dy
			for kk := range k {
				off := base + kk*inner + i0
				for j, g := range gd[off : off+w] {
					if log {
						acc[j] += float64(g)
					} else {
						acc[j] += float64(g) * float64(yd[off+j])
					}
				}
			}
			for kk := range k {
				off := base + kk*inner + i0
				for j, g := range gd[off : off+w] {
					y := float64(yd[off+j])
					if log {
						dx[off+j] += float32(float64(g) - math.Exp(y)*acc[j])
					} else {
						dx[off+j] += float32(y * (float64(g) - acc[j]))
					}
				}
			}
		})
	}, x)
}

// CrossEntropyOptions configures CrossEntropy. The zero value is PyTorch's
// default: mean reduction, no label smoothing.
type CrossEntropyOptions struct {
	// Reduction combines the per-sample losses (default ReduceMean).
	Reduction Reduction
	// LabelSmoothing ε in [0, 1] mixes the one-hot target with the uniform
	// distribution: loss = (1 − ε)·nll + ε·mean_k(−log p_k).
	LabelSmoothing float32
}

// CrossEntropy returns the cross-entropy between softmax(logits) and the
// class labels, as torch.nn.functional.cross_entropy(logits, labels,
// reduction=..., label_smoothing=...) with no class weights.
//
// logits is [N, K] with labels of length N, or per pixel [N, K, H, W] (any
// trailing dimensions) with labels of length N·H·W in (n, h, w) order, as
// for segmentation. Each label must lie in [0, K); otherwise CrossEntropy
// panics naming the index and the value. The per-position loss is
//
//	−(1 − ε)·log p_label − ε/K · Σ_k log p_k,  p = softmax over K
//
// With ReduceMean (averaged over the N·H·W positions) or ReduceSum the
// result is a scalar of shape []; with ReduceNone it is [N] (or [N, H, W]).
func CrossEntropy(logits *Var, labels []int, o CrossEntropyOptions) *Var {
	shape := logits.Value.Shape()
	if len(shape) < 2 {
		panic(fmt.Sprintf("ops: CrossEntropy: logits of shape %v, want [N, K] or [N, K, H, W]", shape))
	}
	lossCheckReduction("CrossEntropy", o.Reduction)
	eps := float64(o.LabelSmoothing)
	if !(eps >= 0 && eps <= 1) {
		panic(fmt.Sprintf("ops: CrossEntropy: label smoothing %v out of range [0, 1]", o.LabelSmoothing))
	}
	outer, k, inner := shape[0], shape[1], 1 // [N, K, S]
	for _, d := range shape[2:] {
		inner *= d
	}
	positions := outer * inner
	if len(labels) != positions {
		panic(fmt.Sprintf("ops: CrossEntropy: %d labels for logits of shape %v, want %d", len(labels), shape, positions))
	}
	for i, l := range labels {
		if l < 0 || l >= k {
			panic(fmt.Sprintf("ops: CrossEntropy: label %d at index %d out of range [0, %d)", l, i, k))
		}
	}
	lab := append([]int(nil), labels...) // the caller may reuse its slice
	xd := logits.Value.Data()
	lse := make([]float64, positions)  // [N, S] log Σ_k exp(x)
	loss := make([]float64, positions) // [N, S]
	lossLines(outer, k, inner, 3, func(n, i0, i1 int, scratch []float64) {
		w := i1 - i0
		mx, se, sx := scratch[:w], scratch[w:2*w], scratch[2*w:]
		lossMaxSumExp(xd, n, k, inner, i0, i1, mx, se)
		base := n * k * inner
		clear(sx)
		if eps != 0 {
			for kk := range k {
				for j, v := range xd[base+kk*inner+i0:][:w] {
					sx[j] += float64(v)
				}
			}
		}
		for j := range w {
			p := n*inner + i0 + j
			l := mx[j] + math.Log(se[j])
			lse[p] = l
			nll := l - float64(xd[base+lab[p]*inner+i0+j])
			if eps == 0 {
				loss[p] = nll
			} else {
				smooth := l - sx[j]/float64(k) // mean_k(−log p_k)
				loss[p] = (1-eps)*nll + eps*smooth
			}
		}
	})

	var out *tensor.Tensor
	switch o.Reduction {
	case ReduceNone:
		outShape := append([]int{shape[0]}, shape[2:]...)
		out = tensor.New(outShape...) // [N, S...]
		for i, v := range loss {
			out.Data()[i] = float32(v)
		}
	default:
		var s float64
		for _, v := range loss {
			s += v
		}
		if o.Reduction == ReduceMean {
			s /= float64(positions)
		}
		out = tensor.Scalar(float32(s))
	}
	red := o.Reduction
	return result("CrossEntropy", out, func(ov *Var) {
		if !needs(logits) {
			return
		}
		gd := ov.Grad.Data()
		dx := logits.gradBuf().Data()
		uniform := eps / float64(k)
		// d loss_p / d x_k = p_k − ε/K − (1 − ε)·[k = label]
		lossLines(outer, k, inner, 0, func(n, i0, i1 int, _ []float64) {
			base := n * k * inner
			for j := range i1 - i0 {
				p := n*inner + i0 + j
				var g float64
				switch red {
				case ReduceNone:
					g = float64(gd[p])
				case ReduceSum:
					g = float64(gd[0])
				default:
					g = float64(gd[0]) / float64(positions)
				}
				for kk := range k {
					off := base + kk*inner + i0 + j
					d := math.Exp(float64(xd[off])-lse[p]) - uniform
					if kk == lab[p] {
						d -= 1 - eps
					}
					dx[off] += float32(g * d)
				}
			}
		})
	}, logits)
}

// MSE returns the squared error (x − target)² reduced by r, as
// torch.nn.functional.mse_loss(x, target, reduction=...). x and target must
// have the same shape; target may be a Const, and the gradient flows to
// whichever of the two requires it. With ReduceMean or ReduceSum the result
// is a scalar of shape []; with ReduceNone it has x's shape.
func MSE(x, target *Var, r Reduction) *Var {
	lossCheckReduction("MSE", r)
	if !tensor.SameShape(x.Value, target.Value) {
		panic(fmt.Sprintf("ops: MSE: input of shape %v and target of shape %v differ", x.Value.Shape(), target.Value.Shape()))
	}
	xd, td := x.Value.Data(), target.Value.Data()
	var out *tensor.Tensor
	if r == ReduceNone {
		out = tensor.New(x.Value.Shape()...)
		od := out.Data()
		for i, v := range xd {
			d := float64(v) - float64(td[i])
			od[i] = float32(d * d)
		}
	} else {
		var s float64
		for i, v := range xd {
			d := float64(v) - float64(td[i])
			s += d * d
		}
		if r == ReduceMean {
			s /= float64(len(xd))
		}
		out = tensor.Scalar(float32(s))
	}
	return result("MSE", out, func(o *Var) {
		gd := o.Grad.Data()
		var dx, dt []float32
		if needs(x) {
			dx = x.gradBuf().Data()
		}
		if needs(target) {
			dt = target.gradBuf().Data()
		}
		scale := 2.0
		if r != ReduceNone {
			scale *= float64(gd[0])
			if r == ReduceMean {
				scale /= float64(len(xd))
			}
		}
		for i, v := range xd {
			g := scale * (float64(v) - float64(td[i]))
			if r == ReduceNone {
				g *= float64(gd[i])
			}
			if dx != nil {
				dx[i] += float32(g)
			}
			if dt != nil {
				dt[i] -= float32(g)
			}
		}
	}, x, target)
}
