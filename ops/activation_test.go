package ops

import (
	"math"
	"testing"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// actCase names an activation and the points where its derivative jumps.
type actCase struct {
	name  string
	f     func(*Var) *Var
	kinks []float32
}

func actCases() []actCase {
	return []actCase{
		{"ReLU", ReLU, []float32{0}},
		{"ReLU6", ReLU6, []float32{0, 6}},
		{"LeakyReLU", func(x *Var) *Var { return LeakyReLU(x, 0.1) }, []float32{0}},
		{"Sigmoid", Sigmoid, nil},
		{"Tanh", Tanh, nil},
		{"SiLU", SiLU, nil},
		{"HardSwish", HardSwish, []float32{-3, 3}},
		{"HardSigmoid", HardSigmoid, []float32{-3, 3}},
	}
}

// actAwayFrom moves every element of t that lies within 0.05 of a kink to
// 0.1 past it, so finite differences with eps = 1e-2 never straddle a kink.
func actAwayFrom(t *tensor.Tensor, kinks []float32) {
	d := t.Data()
	for i, v := range d {
		for _, k := range kinks {
			if math.Abs(float64(v-k)) < 0.05 {
				d[i] = k + 0.1
			}
		}
	}
}

// TestActivationGradCheck compares every activation's gradient with central
// differences (eps 1e-2, tolerance 1e-2 relative to max(1, |numeric|)) on
// inputs in [-8, 8) of a 4-D and a 1-D shape, away from kinks.
func TestActivationGradCheck(t *testing.T) {
	for _, c := range actCases() {
		for _, shape := range [][]int{{2, 3, 4, 5}, {7}} {
			x := tensor.Rand(tensor.NewRNG(7), -8, 8, shape...)
			actAwayFrom(x, c.kinks)
			f := func(in []*Var) *Var { return c.f(in[0]) }
			if err := CheckGrad(f, []*Var{Param(x)}, 1e-2, 1e-2); err != nil {
				t.Errorf("%s %v: %v", c.name, shape, err)
			}
		}
	}
}

// TestActivationExact checks forward values and gradients (for an output
// gradient of ones) at kinks, beyond them and at NaN against the values
// PyTorch 1.13 gives (torch.nn.functional, float32).
func TestActivationExact(t *testing.T) {
	nan := float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	x := []float32{-3, 0, 3, 6, nan, negZero, -4}
	tests := []struct {
		name     string
		f        func(*Var) *Var
		out, grd []float32
	}{
		{"ReLU", ReLU, []float32{0, 0, 3, 6, nan, negZero, 0}, []float32{0, 0, 1, 1, 1, 0, 0}},
		{"ReLU6", ReLU6, []float32{0, 0, 3, 6, nan, negZero, 0}, []float32{0, 0, 1, 0, 1, 0, 0}},
		{"HardSigmoid", HardSigmoid, []float32{0, 0.5, 1, 1, nan, 0.5, 0}, []float32{0, 1.0 / 6, 0, 0, 0, 1.0 / 6, 0}},
		{"HardSwish", HardSwish, []float32{negZero, 0, 3, 6, nan, negZero, negZero}, []float32{-0.5, 0.5, 1.5, 1, 1, 0.5, 0}},
		{"LeakyReLU", func(v *Var) *Var { return LeakyReLU(v, 0.1) },
			[]float32{-3 * float32(0.1), 0, 3, 6, nan, negZero, -4 * float32(0.1)},
			[]float32{0.1, 0.1, 1, 1, 0.1, 0.1, 0.1}},
	}
	same := func(a, b float32) bool {
		if a != a || b != b {
			return a != a && b != b
		}
		return a == b && math.Signbit(float64(a)) == math.Signbit(float64(b))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Param(tensor.FromSlice(append([]float32(nil), x...), len(x)))
			y := tc.f(in)
			y.BackwardWith(tensor.Ones(len(x)))
			for i := range x {
				if got := y.Value.Data()[i]; !same(got, tc.out[i]) {
					t.Errorf("f(%v) = %v, want %v", x[i], got, tc.out[i])
				}
				if got := in.Grad.Data()[i]; !same(got, tc.grd[i]) {
					t.Errorf("f'(%v) = %v, want %v", x[i], got, tc.grd[i])
				}
			}
		})
	}
}

// TestSmoothActivationValues checks Sigmoid, Tanh and SiLU against float64
// formulas to within 1 ulp-ish (1e-6 absolute for outputs of order 1).
func TestSmoothActivationValues(t *testing.T) {
	xs := []float32{-20, -2.5, -0.3, 0, 0.7, 4, 20}
	in := Const(tensor.FromSlice(xs, len(xs)))
	s, th, si := Sigmoid(in), Tanh(in), SiLU(in)
	for i, v := range xs {
		x := float64(v)
		sig := 1 / (1 + math.Exp(-x))
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"sigmoid", float64(s.Value.Data()[i]), sig},
			{"tanh", float64(th.Value.Data()[i]), math.Tanh(x)},
			{"silu", float64(si.Value.Data()[i]), x * sig},
		} {
			if math.Abs(c.got-c.want) > 1e-6*math.Max(1, math.Abs(c.want)) {
				t.Errorf("%s(%v) = %v, want %v", c.name, v, c.got, c.want)
			}
		}
	}
	if s.RequiresGrad() {
		t.Error("activation of a constant requires a gradient")
	}
}

// TestActivationAccumulates checks that backward adds into an existing
// gradient instead of overwriting it.
func TestActivationAccumulates(t *testing.T) {
	for _, c := range actCases() {
		x := Param(tensor.FromSlice([]float32{-1.5, 0.5, 2}, 3))
		g := tensor.FromSlice([]float32{1, -2, 3}, 3)
		c.f(x).BackwardWith(g)
		once := x.Grad.Clone()
		c.f(x).BackwardWith(g)
		for i, v := range x.Grad.Data() {
			if v != 2*once.Data()[i] {
				t.Errorf("%s: grad[%d] after two passes %v, want 2×%v", c.name, i, v, once.Data()[i])
			}
		}
	}
}

// TestActivationThreadIndependent checks that results are bitwise the same
// with 1 and 3 threads on a tensor large enough to be split.
func TestActivationThreadIndependent(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	x := tensor.Rand(tensor.NewRNG(3), -8, 8, 5, 40000)
	g := tensor.Rand(tensor.NewRNG(4), -1, 1, 5, 40000)
	run := func(c actCase, threads int) (*tensor.Tensor, *tensor.Tensor) {
		kernels.SetThreads(threads)
		p := Param(x)
		y := c.f(p)
		y.BackwardWith(g)
		return y.Value, p.Grad
	}
	for _, c := range actCases() {
		y1, g1 := run(c, 1)
		y3, g3 := run(c, 3)
		if tensor.MaxAbsDiff(y1, y3) != 0 || tensor.MaxAbsDiff(g1, g3) != 0 {
			t.Errorf("%s: results differ between 1 and 3 threads", c.name)
		}
	}
}

// TestClampActsSetThenAccumulate checks ReLU6, Clip and ReLU's gradients
// into an intermediate that two of them read: the first backward sets
// the fresh (unzeroed) buffer, the second accumulates into it; the sum
// must be that of the masks computed by hand.
func TestClampActsSetThenAccumulate(t *testing.T) {
	n := 64
	xt := tensor.New(n)
	for i := range xt.Data() {
		xt.Data()[i] = float32(i)/4 - 4 // −4 … 11.75, crossing 0, 6 and the clip's bounds
	}
	// Dirty the pool with a buffer of the right length, so that a buffer
	// that is not fully written shows.
	junk := make([]float32, n*128)
	for i := range junk {
		junk[i] = 1e9
	}
	gradPool.put(junk)
	xd := tensor.New(n * 128)
	copy(xd.Data(), xt.Data())
	x := Param(xd)
	h := Scale(x, 1)
	y := Add(Add(Sum(ReLU6(h)), Sum(Clip(h, -1, 2))), Sum(ReLU(h)))
	y.Backward()
	for i, v := range x.Grad.Data() {
		xv := xd.Data()[i]
		var want float32
		if xv > 0 && xv < 6 {
			want++
		}
		if xv >= -1 && xv <= 2 {
			want++
		}
		if xv > 0 {
			want++
		}
		if v != want {
			t.Fatalf("x = %v: gradient %v, want %v", xv, v, want)
		}
	}
}

// TestAddSameSetThenAccumulate checks Add of equal shapes into an
// intermediate read three times (twice by one Add): the first gradient
// contribution sets the fresh, dirty pooled buffer and the others
// accumulate, giving 3 + relu'(x).
func TestAddSameSetThenAccumulate(t *testing.T) {
	n := 8192
	junk := make([]float32, n)
	for i := range junk {
		junk[i] = -7e8
	}
	gradPool.put(junk)
	xd := tensor.New(n)
	for i := range xd.Data() {
		xd.Data()[i] = float32(i%9) - 4
	}
	x := Param(xd)
	h := Scale(x, 1)
	Add(Sum(Add(h, h)), Sum(Add(h, ReLU(h)))).Backward()
	for i, v := range x.Grad.Data() {
		want := float32(3)
		if xd.Data()[i] > 0 {
			want++
		}
		if v != want {
			t.Fatalf("x = %v: gradient %v, want %v", xd.Data()[i], v, want)
		}
	}
}
