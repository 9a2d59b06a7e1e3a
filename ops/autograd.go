// Package ops holds every differentiable operation of convnet, each with its
// forward and backward computation side by side, and the reverse-mode tape
// that runs the backward computations.
//
// An op takes *Var inputs and returns a *Var output. When gradient recording
// is on (the default; see NoGrad) and any input requires a gradient, the
// output remembers its inputs and a closure that, given the gradient of the
// loss with respect to the output, adds the gradients with respect to the
// inputs into their Grad tensors. Var.Backward on a scalar loss runs those
// closures in reverse topological order; Var.BackwardFree, for training
// loops, also gives the memory of the graph's intermediate values back for
// the next step's ops to reuse.
//
// Dimension legend used in shape comments: N batch, C channels, H height,
// W width, K kernel size, O output features, F input features.
package ops

import (
	"fmt"
	"slices"
	"sync/atomic"

	"convnet/tensor"
)

// Var is a tensor taking part in a computation graph.
type Var struct {
	// Value is the tensor computed by the forward pass.
	Value *tensor.Tensor
	// Grad is the accumulated gradient of the loss with respect to Value
	// (same shape), or nil if no gradient has reached it. For leaves
	// (parameters) gradients accumulate across Backward calls until
	// ZeroGrad; for intermediate results Grad is released after use.
	Grad *tensor.Tensor

	requiresGrad bool
	leaf         bool
	parents      []*Var
	backward     func(out *Var) // adds out.Grad's contribution to parents' Grad
	freed        bool           // an earlier Backward released this node's graph
	pooled       bool           // Value's buffer came from gradPool (newValue) and is v's alone
	op           string
	// spare is a leaf's gradient tensor that ZeroGrad dropped, which the
	// next gradBuf clears and reuses.
	spare *tensor.Tensor
}

// Const wraps t as a Var that needs no gradient (inputs, labels).
func Const(t *tensor.Tensor) *Var { return &Var{Value: t, leaf: true} }

// Param wraps t as a leaf Var whose gradient is wanted (a learnable
// parameter).
func Param(t *tensor.Tensor) *Var { return &Var{Value: t, requiresGrad: true, leaf: true} }

// RequiresGrad reports whether a gradient flows to v.
func (v *Var) RequiresGrad() bool { return v.requiresGrad }

// SetRequiresGrad turns gradient tracking of a leaf on or off (freezing a
// parameter). It panics on a non-leaf.
func (v *Var) SetRequiresGrad(on bool) {
	if !v.leaf {
		panic("ops: SetRequiresGrad on the result of an op")
	}
	v.requiresGrad = on
}

// Shape returns the shape of v's value.
func (v *Var) Shape() []int { return v.Value.Shape() }

// Op returns the name of the op that produced v ("" for a leaf).
func (v *Var) Op() string { return v.op }

// ZeroGrad drops v's accumulated gradient: Grad becomes nil. A leaf keeps
// the dropped tensor and the next gradient to reach it is accumulated in
// that same tensor, cleared first, as PyTorch 1.13's zero_grad() does with
// .grad: a training loop then does not allocate, and page-fault, a fresh
// set of parameter gradients every step (ResNet-18's 47 MB: 11.8 K page
// faults, a tenth of a batch-16 step on the development VM). A Grad tensor
// kept from before ZeroGrad therefore sees the later gradients.
func (v *Var) ZeroGrad() {
	if v.leaf && v.Grad != nil {
		v.spare = v.Grad
	}
	v.Grad = nil
}

// String describes v briefly.
func (v *Var) String() string {
	if v.Value == nil {
		return fmt.Sprintf("Var(op=%q, value freed by BackwardFree, requiresGrad=%v)", v.op, v.requiresGrad)
	}
	return fmt.Sprintf("Var(op=%q, shape=%v, requiresGrad=%v)", v.op, v.Value.Shape(), v.requiresGrad)
}

// gradBuf returns v's gradient tensor, making a zero one if needed (for a
// leaf, the tensor ZeroGrad dropped, cleared, when it still has v's shape).
// Backward closures accumulate into it.
//
// The buffer of an intermediate result (not a leaf) comes from gradPool,
// and BackwardWith returns it there once the result's backward closure has
// run.
func (v *Var) gradBuf() *tensor.Tensor {
	if v.Grad == nil {
		if v.leaf {
			v.Grad = v.spare
			v.spare = nil
			if v.Grad == nil || !slices.Equal(v.Grad.Shape(), v.Value.Shape()) {
				v.Grad = tensor.New(v.Value.Shape()...)
			} else {
				clearParallel(v.Grad.Data())
			}
		} else {
			v.Grad = tensor.FromSlice(gradPool.get(v.Value.Len()), v.Value.Shape()...)
		}
	}
	return v.Grad
}

var noGradDepth atomic.Int32

// NoGrad turns gradient recording off until the returned function is called;
// use it as `defer ops.NoGrad()()` around evaluation code. Calls nest. The
// mode is process-wide, not per goroutine (Go has no goroutine-local
// state): while one goroutine is inside NoGrad, ops built by any other
// goroutine are not recorded either, so do not build a training graph
// concurrently with evaluation, infer.Compile or export in one process.
func NoGrad() (restore func()) {
	noGradDepth.Add(1)
	done := false
	return func() {
		if !done {
			done = true
			noGradDepth.Add(-1)
		}
	}
}

// GradEnabled reports whether ops currently record the graph.
func GradEnabled() bool { return noGradDepth.Load() == 0 }

// result builds the output Var of an op named op. If recording is on and
// any input requires a gradient, back is kept to be run by Backward; back
// reads out.Grad and accumulates into the inputs' gradients (use needs and
// gradBuf).
func result(op string, value *tensor.Tensor, back func(out *Var), inputs ...*Var) *Var {
	return resultAttrs(op, nil, value, back, inputs...)
}

// resultAttrs is result for an op with attributes (its options), which an
// installed Recorder receives with the op; see Recorder for what each op
// passes.
func resultAttrs(op string, attrs any, value *tensor.Tensor, back func(out *Var), inputs ...*Var) *Var {
	out := &Var{Value: value, op: op}
	record(op, attrs, out, inputs)
	if records(inputs) {
		out.requiresGrad = true
		out.parents = inputs
		out.backward = back
	}
	return out
}

// needs reports whether v wants a gradient.
func needs(v *Var) bool { return v != nil && v.requiresGrad }

// Backward computes the gradient of the scalar v with respect to every Var
// it depends on that requires a gradient, accumulating into their Grad. The
// graph is released afterwards (as PyTorch does without retain_graph).
func (v *Var) Backward() {
	if v.Value.Len() != 1 {
		panic(fmt.Sprintf("ops: Backward on a non-scalar of shape %v", v.Value.Shape()))
	}
	v.BackwardWith(tensor.Full(1, v.Value.Shape()...))
}

// BackwardFree is Backward for a training loop: as the backward pass goes,
// it also gives the memory of every intermediate result's value back for
// the ops of later steps to reuse, instead of leaving it to the garbage
// collector. Afterwards the Value of every intermediate result of the graph
// (every Var made by an op, except v itself) is nil; leaves (inputs,
// parameters) keep theirs. Read what you need from the graph, such as
// the logits for an accuracy count, before calling it, and do not keep
// values of the graph in other Vars (Detach) or tensors past it.
func (v *Var) BackwardFree() {
	if v.Value.Len() != 1 {
		panic(fmt.Sprintf("ops: BackwardFree on a non-scalar of shape %v", v.Value.Shape()))
	}
	v.backwardWith(tensor.Full(1, v.Value.Shape()...), true)
}

// BackwardWith runs the backward pass seeded with grad (the gradient of some
// scalar with respect to v, same shape as v).
func (v *Var) BackwardWith(grad *tensor.Tensor) { v.backwardWith(grad, false) }

// backwardWith is BackwardWith, and BackwardFree's pass when free is set.
func (v *Var) backwardWith(grad *tensor.Tensor, free bool) {
	if !tensor.SameShape(grad, v.Value) {
		panic(fmt.Sprintf("ops: BackwardWith gradient of shape %v for a value of shape %v", grad.Shape(), v.Value.Shape()))
	}
	if !v.requiresGrad {
		panic("ops: Backward on a value that does not depend on any parameter")
	}
	// Topological order by iterative depth-first search.
	var order []*Var
	seen := map[*Var]bool{}
	type frame struct {
		v *Var
		i int
	}
	stack := []frame{{v, 0}}
	seen[v] = true
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.i < len(top.v.parents) {
			p := top.v.parents[top.i]
			top.i++
			if p != nil && p.requiresGrad && !seen[p] {
				seen[p] = true
				stack = append(stack, frame{p, 0})
			}
			continue
		}
		if top.v.freed {
			// PyTorch raises here too: the backward closures are gone, so
			// going on would silently drop this loss's share of the
			// gradients.
			panic(fmt.Sprintf("ops: Backward reached %s, whose graph an earlier Backward already released; add the losses and call Backward once", top.v))
		}
		order = append(order, top.v)
		stack = stack[:len(stack)-1]
	}
	g := v.gradBuf()
	for i, x := range grad.Data() {
		g.Data()[i] += x
	}
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.backward != nil && n.Grad != nil {
			n.backward(n)
		}
		if !n.leaf {
			if n.Grad != nil {
				gradPool.put(n.Grad.Data())
			}
			n.Grad = nil
			n.parents = nil
			n.backward = nil
			n.freed = true
			// Every closure that reads n's value has run: those of the
			// ops that took n as an input came earlier in this order,
			// and n's own just now.
			switch {
			case free && n != v:
				if n.pooled {
					gradPool.put(n.Value.Data())
				}
				n.Value = nil
			case n.pooled:
				gradPool.forget(n.Value.Len())
			}
			n.pooled = false
		}
	}
}

// Detach returns a Var sharing v's value but cut from the graph.
func Detach(v *Var) *Var { return &Var{Value: v.Value, leaf: true} }
