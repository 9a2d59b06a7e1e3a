package ops

import (
	"fmt"
	"math"

	"convnet/tensor"
)

// CheckGrad compares the analytic gradients of f with central finite
// differences. f builds a graph from inputs and returns any output; the
// scalar checked is L = Σ out ⊙ R for a fixed random tensor R (so every
// output element matters with a distinct weight). L is accumulated in
// float64; each input element is perturbed by ±eps (in float32).
//
// The check passes when, for every input element,
// |analytic − numeric| ≤ tol · max(1, max|numeric| over that input). It
// returns nil or an error naming the input, the element and both values.
// Only inputs that require a gradient are checked.
func CheckGrad(f func(in []*Var) *Var, inputs []*Var, eps, tol float64) error {
	out := f(inputs)
	rng := tensor.NewRNG(12345)
	r := tensor.Rand(rng, -1, 1, out.Value.Shape()...)
	lossOf := func(o *tensor.Tensor) float64 {
		s := 0.0
		for i, v := range o.Data() {
			s += float64(v) * float64(r.Data()[i])
		}
		return s
	}
	for _, in := range inputs {
		in.ZeroGrad()
	}
	if !out.RequiresGrad() {
		return fmt.Errorf("output does not require a gradient")
	}
	out.BackwardWith(r.Clone())

	for k, in := range inputs {
		if !in.RequiresGrad() {
			continue
		}
		analytic := in.Grad
		if analytic == nil {
			analytic = tensor.New(in.Value.Shape()...)
		}
		numeric := make([]float64, in.Value.Len())
		d := in.Value.Data()
		scale := 1.0
		for i := range d {
			orig := d[i]
			d[i] = orig + float32(eps)
			up := lossOf(evalNoGrad(f, inputs))
			d[i] = orig - float32(eps)
			down := lossOf(evalNoGrad(f, inputs))
			d[i] = orig
			h := float64(orig+float32(eps)) - float64(orig-float32(eps))
			numeric[i] = (up - down) / h
			scale = math.Max(scale, math.Abs(numeric[i]))
		}
		for i, nv := range numeric {
			av := float64(analytic.Data()[i])
			if math.IsNaN(av) || math.Abs(av-nv) > tol*scale {
				return fmt.Errorf("input %d %v, element %d: analytic %.6g, numeric %.6g (tol %.2g × scale %.3g)",
					k, in.Value.Shape(), i, av, nv, tol, scale)
			}
		}
	}
	return nil
}

// evalNoGrad runs f without recording a graph and returns its value.
func evalNoGrad(f func(in []*Var) *Var, inputs []*Var) *tensor.Tensor {
	defer NoGrad()()
	return f(inputs).Value
}
