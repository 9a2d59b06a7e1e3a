package ops

import (
	"math"
	"testing"

	"convnet/tensor"
)

// TestDropoutIdentity checks that evaluation mode and p == 0 return x
// itself.
func TestDropoutIdentity(t *testing.T) {
	x := Param(tensor.Ones(3, 4))
	rng := tensor.NewRNG(1)
	if Dropout(x, 0.5, false, rng) != x {
		t.Error("Dropout in evaluation mode did not return its input")
	}
	if Dropout(x, 0, true, rng) != x {
		t.Error("Dropout with p = 0 did not return its input")
	}
}

// TestDropoutPanics checks that probabilities outside [0, 1] panic.
func TestDropoutPanics(t *testing.T) {
	for _, p := range []float32{-0.1, 1.5, float32(math.NaN())} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Dropout(p=%v) did not panic", p)
				}
			}()
			Dropout(Const(tensor.Ones(2)), p, true, tensor.NewRNG(1))
		}()
	}
}

// TestDropoutOne checks that p == 1 zeroes the output and the gradient.
func TestDropoutOne(t *testing.T) {
	x := Param(tensor.Rand(tensor.NewRNG(2), -1, 1, 2, 5))
	y := Dropout(x, 1, true, tensor.NewRNG(3))
	y.BackwardWith(tensor.Ones(2, 5))
	if y.Value.MaxAbs() != 0 || x.Grad.MaxAbs() != 0 {
		t.Errorf("p = 1: output %v, gradient %v", y.Value, x.Grad)
	}
}

// TestDropoutMaskAndGradient checks that every output is 0 or x/(1−p), that
// the kept fraction is 1−p to within 5 standard deviations, and that the
// gradient is the output gradient times the same mask and scale.
func TestDropoutMaskAndGradient(t *testing.T) {
	const n, p = 100000, float32(0.3)
	scale := 1 / (1 - p)
	x := Param(tensor.Rand(tensor.NewRNG(4), 0.5, 1.5, 10, n/10))
	g := tensor.Rand(tensor.NewRNG(5), -1, 1, 10, n/10)
	y := Dropout(x, p, true, tensor.NewRNG(6))
	y.BackwardWith(g)
	kept := 0
	for i, v := range y.Value.Data() {
		xv, gv, dv := x.Value.Data()[i], g.Data()[i], x.Grad.Data()[i]
		switch v {
		case xv * scale:
			kept++
			if dv != gv*scale {
				t.Fatalf("element %d kept but gradient %v, want %v", i, dv, gv*scale)
			}
		case 0:
			if dv != 0 {
				t.Fatalf("element %d dropped but gradient %v", i, dv)
			}
		default:
			t.Fatalf("element %d: output %v from input %v is neither 0 nor x/(1−p)", i, v, xv)
		}
	}
	frac, sd := float64(kept)/n, math.Sqrt(float64(p*(1-p))/n)
	if math.Abs(frac-float64(1-p)) > 5*sd {
		t.Errorf("kept fraction %v, want %v ± %v", frac, 1-p, 5*sd)
	}
}

// TestDropoutExpectation checks that the mean over many draws of the
// output equals the input, elementwise and overall.
func TestDropoutExpectation(t *testing.T) {
	const draws = 4000
	x := Const(tensor.FromSlice([]float32{1, -2, 0.5, 3}, 4))
	rng := tensor.NewRNG(7)
	sum := make([]float64, 4)
	for range draws {
		for i, v := range Dropout(x, 0.5, true, rng).Value.Data() {
			sum[i] += float64(v)
		}
	}
	for i, s := range sum {
		xv := float64(x.Value.Data()[i])
		// The output is 0 or 2x with equal odds: standard deviation |x|.
		if m, sd := s/draws, math.Abs(xv)/math.Sqrt(draws); math.Abs(m-xv) > 5*sd {
			t.Errorf("element %d: mean %v over %d draws, want %v ± %v", i, m, draws, xv, 5*sd)
		}
	}
}

// TestDropoutDeterministic checks that the mask depends only on the rng
// state: equal seeds give equal outputs, another seed another mask, and a
// restored rng state repeats a draw.
func TestDropoutDeterministic(t *testing.T) {
	x := Const(tensor.Ones(1000))
	a := Dropout(x, 0.4, true, tensor.NewRNG(8)).Value
	b := Dropout(x, 0.4, true, tensor.NewRNG(8)).Value
	c := Dropout(x, 0.4, true, tensor.NewRNG(9)).Value
	if tensor.MaxAbsDiff(a, b) != 0 {
		t.Error("equal seeds gave different masks")
	}
	if tensor.MaxAbsDiff(a, c) == 0 {
		t.Error("different seeds gave the same mask")
	}
	rng := tensor.NewRNG(10)
	state, err := rng.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	d := Dropout(x, 0.4, true, rng).Value
	if err := rng.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	if tensor.MaxAbsDiff(d, Dropout(x, 0.4, true, rng).Value) != 0 {
		t.Error("a restored rng state gave a different mask")
	}
}

// TestDropoutGradCheck checks the gradient by central differences (eps
// 1e-2, tolerance 1e-2 relative), redrawing the same mask every evaluation
// from a fresh rng with a fixed seed.
func TestDropoutGradCheck(t *testing.T) {
	x := Param(tensor.Rand(tensor.NewRNG(11), -2, 2, 2, 3, 4))
	f := func(in []*Var) *Var { return Dropout(in[0], 0.25, true, tensor.NewRNG(12)) }
	if err := CheckGrad(f, []*Var{x}, 1e-2, 1e-2); err != nil {
		t.Error(err)
	}
}

// TestDropoutNoGrad checks that under NoGrad no backward pass is recorded.
func TestDropoutNoGrad(t *testing.T) {
	restore := NoGrad()
	y := Dropout(Param(tensor.Ones(8)), 0.5, true, tensor.NewRNG(13))
	restore()
	if y.RequiresGrad() {
		t.Error("dropout under NoGrad requires a gradient")
	}
}
