package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"convnet/tensor"
)

// exEval runs f on Params holding the given values and shapes, seeds the
// backward pass with ones and returns the output and the input gradients.
func exEval(f func(in []*Var) *Var, vals [][]float32, shapes [][]int) (*tensor.Tensor, [][]float32) {
	in := make([]*Var, len(vals))
	for i, v := range vals {
		in[i] = Param(tensor.FromSlice(append([]float32(nil), v...), shapes[i]...))
	}
	out := f(in)
	out.BackwardWith(tensor.Full(1, out.Value.Shape()...))
	grads := make([][]float32, len(in))
	for i, v := range in {
		if v.Grad != nil {
			grads[i] = v.Grad.Data()
		} else {
			grads[i] = make([]float32, v.Value.Len())
		}
	}
	return out.Value, grads
}

// exClose fails t unless got equals want within tol·max(1, |want|);
// NaN must match NaN and ±Inf must match exactly.
func exClose(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i, w := range want {
		g := float64(got[i])
		switch {
		case math.IsNaN(w):
			if !math.IsNaN(g) {
				t.Errorf("%s[%d] = %v, want NaN", what, i, g)
			}
		case math.IsInf(w, 0):
			if g != w {
				t.Errorf("%s[%d] = %v, want %v", what, i, g, w)
			}
		case math.IsNaN(g) || math.Abs(g-w) > tol*math.Max(1, math.Abs(w)):
			t.Errorf("%s[%d] = %.8g, want %.8g", what, i, g, w)
		}
	}
}

// exPanics fails t unless f panics with a message containing every want.
func exPanics(t *testing.T, f func(), want ...string) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one containing %q", want)
		}
		msg := fmt.Sprint(r)
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Fatalf("panic %q, want one containing %q", msg, w)
			}
		}
	}()
	f()
}

func TestUnaryMoreValues(t *testing.T) {
	e := math.E
	nan, inf := math.NaN(), math.Inf(1)
	s := 1 / (1 + math.Exp(-1.0)) // σ(1)
	cases := []struct {
		name     string
		f        func(*Var) *Var
		x        []float32
		out, grd []float64
	}{
		{"elu_a1", func(x *Var) *Var { return Elu(x, 1) },
			[]float32{-1, 0, 2}, []float64{1/e - 1, 0, 2}, []float64{1 / e, 1, 1}},
		{"elu_a0p5", func(x *Var) *Var { return Elu(x, 0.5) },
			[]float32{-1, 0, 2}, []float64{0.5 * (1/e - 1), 0, 2}, []float64{0.5 / e, 0.5, 1}},
		{"selu", func(x *Var) *Var { return Selu(x, 2, 3) },
			[]float32{-1, 0, 2}, []float64{6 * (1/e - 1), 0, 6}, []float64{6 / e, 6, 3}},
		{"softplus", Softplus,
			[]float32{-1, 0, 1, 100, -100}, []float64{math.Log(1 + 1/e), math.Ln2, math.Log(1 + e), 100, math.Exp(-100)},
			[]float64{1 - s, 0.5, s, 1, math.Exp(-100)}},
		{"softsign", Softsign,
			[]float32{-3, 0, 1}, []float64{-0.75, 0, 0.5}, []float64{1.0 / 16, 1, 0.25}},
		{"exp", Exp, []float32{0, 1, -2}, []float64{1, e, 1 / (e * e)}, []float64{1, e, 1 / (e * e)}},
		{"log", Log, []float32{1, 4, 0, -1}, []float64{0, math.Log(4), -inf, nan}, []float64{1, 0.25, inf, -1}},
		{"sqrt", Sqrt, []float32{4, 0.25, 0, -1}, []float64{2, 0.5, 0, nan}, []float64{0.25, 1, inf, nan}},
		{"neg", Neg, []float32{-2, 0, 3}, []float64{2, 0, -3}, []float64{-1, -1, -1}},
		{"abs", Abs, []float32{-2, 0, 3}, []float64{2, 0, 3}, []float64{-1, 0, 1}},
		{"reciprocal", Reciprocal, []float32{2, -0.5, 0}, []float64{0.5, -2, inf}, []float64{-0.25, -4, -inf}},
		{"erf", Erf, []float32{0, 1, -1}, []float64{0, 0.8427007929497149, -0.8427007929497149},
			[]float64{2 / math.SqrtPi, 2 / math.SqrtPi / e, 2 / math.SqrtPi / e}},
		{"clip", func(x *Var) *Var { return Clip(x, -1, 2) },
			[]float32{-3, -1, 0.5, 2, 5, float32(nan)}, []float64{-1, -1, 0.5, 2, 2, nan}, []float64{0, 1, 1, 1, 0, 0}},
		{"clip_lo_gt_hi", func(x *Var) *Var { return Clip(x, 3, 1) },
			[]float32{0, 2, 4}, []float64{1, 1, 1}, []float64{0, 0, 0}},
		{"clip_no_min", func(x *Var) *Var { return Clip(x, float32(math.Inf(-1)), 0) },
			[]float32{-1e30, 1}, []float64{-1e30, 0}, []float64{1, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, g := exEval(func(in []*Var) *Var { return c.f(in[0]) }, [][]float32{c.x}, [][]int{{len(c.x)}})
			if !tensor.ShapeEqual(out.Shape(), []int{len(c.x)}) {
				t.Fatalf("shape %v", out.Shape())
			}
			exClose(t, "out", out.Data(), c.out, 1e-6)
			exClose(t, "grad", g[0], c.grd, 1e-6)
		})
	}
}

func TestUnaryMoreGradCheck(t *testing.T) {
	cases := []struct {
		name   string
		f      func(*Var) *Var
		lo, hi float32 // input range, away from kinks and domain edges
	}{
		{"elu", func(x *Var) *Var { return Elu(x, 0.7) }, -3, 3},
		{"selu", func(x *Var) *Var { return Selu(x, SeluAlpha, SeluGamma) }, -3, 3},
		{"softplus", Softplus, -4, 4},
		{"softsign", Softsign, -3, 3},
		{"exp", Exp, -2, 2},
		{"log", Log, 0.5, 3},
		{"sqrt", Sqrt, 0.5, 3},
		{"neg", Neg, -2, 2},
		{"abs", Abs, -2, 2},
		{"reciprocal", Reciprocal, 0.5, 2},
		{"erf", Erf, -2, 2},
		{"clip", func(x *Var) *Var { return Clip(x, -0.5, 0.7) }, -2, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := tensor.NewRNG(3)
			x := tensor.Rand(rng, c.lo, c.hi, 2, 3, 4)
			// Keep x away from the kinks at 0, −0.5 and 0.7 by more than eps.
			for i, v := range x.Data() {
				for _, k := range []float32{0, -0.5, 0.7} {
					if d := v - k; d > -0.05 && d < 0.05 {
						x.Data()[i] = k + 0.1
					}
				}
			}
			if err := CheckGrad(func(in []*Var) *Var { return c.f(in[0]) }, []*Var{Param(x)}, 1e-2, 1e-2); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBinaryMoreGradCheck(t *testing.T) {
	shapes := []struct{ a, b []int }{
		{[]int{2, 3, 4}, []int{2, 3, 4}},
		{[]int{2, 3, 4}, []int{4}},
		{[]int{2, 1, 4}, []int{3, 1}},
		{[]int{1}, []int{2, 3}},
		{[]int{}, []int{3}},
	}
	ops := []struct {
		name     string
		f        func(a, b *Var) *Var
		alo, ahi float32
		blo, bhi float32
	}{
		{"pow", Pow, 0.5, 2, -1.5, 2},
		{"maximum", Maximum, -1, 1, -1, 1},
		{"minimum", Minimum, -1, 1, -1, 1},
	}
	for _, op := range ops {
		for _, s := range shapes {
			t.Run(fmt.Sprintf("%s/%v_%v", op.name, s.a, s.b), func(t *testing.T) {
				rng := tensor.NewRNG(5)
				a := Param(tensor.Rand(rng, op.alo, op.ahi, s.a...))
				b := Param(tensor.Rand(rng, op.blo, op.bhi, s.b...))
				if op.name != "pow" { // keep |a − b| > eps so no tie flips
					bd := b.Value.Data()
					p := newBcast("t", s.a, s.b)
					p.rows(func(o, ia, ib, n, da, db int) {
						for i := 0; i < n; i++ {
							if d := a.Value.Data()[ia+i*da] - bd[ib+i*db]; d > -0.05 && d < 0.05 {
								a.Value.Data()[ia+i*da] += 0.2
							}
						}
					})
				}
				if err := CheckGrad(func(in []*Var) *Var { return op.f(in[0], in[1]) }, []*Var{a, b}, 1e-2, 1e-2); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

func TestPReluGradCheck(t *testing.T) {
	cases := []struct{ x, slope []int }{
		{[]int{2, 3, 4, 4}, []int{3, 1, 1}}, // per channel, as exported from nn.PReLU(3)
		{[]int{2, 3, 4, 4}, []int{1}},       // shared
		{[]int{2, 3, 4, 4}, []int{4}},       // along W
		{[]int{2, 5}, []int{2, 5}},          // same shape
		{[]int{2, 3, 4}, []int{}},           // scalar
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v_%v", c.x, c.slope), func(t *testing.T) {
			rng := tensor.NewRNG(9)
			x := tensor.Rand(rng, -2, 2, c.x...)
			for i, v := range x.Data() {
				if v > -0.05 && v < 0.05 {
					x.Data()[i] = 0.3
				}
			}
			in := []*Var{Param(x), Param(tensor.Rand(rng, -0.5, 0.5, c.slope...))}
			if err := CheckGrad(func(v []*Var) *Var { return PRelu(v[0], v[1]) }, in, 1e-2, 1e-2); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPReluValues(t *testing.T) {
	// x [1, 2, 2], slope [2, 1]: channel 0 slope 0.1, channel 1 slope −2.
	out, g := exEval(func(in []*Var) *Var { return PRelu(in[0], in[1]) },
		[][]float32{{-1, 2, 0, -3}, {0.1, -2}}, [][]int{{1, 2, 2}, {2, 1}})
	exClose(t, "out", out.Data(), []float64{-0.1, 2, 0, 6}, 1e-7)
	exClose(t, "grad x", g[0], []float64{0.1, 1, -2, -2}, 1e-7)
	exClose(t, "grad slope", g[1], []float64{-1, -3}, 1e-7) // Σ x over x ≤ 0
	exPanics(t, func() { PRelu(Const(tensor.New(2, 3)), Const(tensor.New(2, 1, 3))) }, "PRelu", "[2 1 3]", "[2 3]")
	exPanics(t, func() { PRelu(Const(tensor.New(2, 3)), Const(tensor.New(2))) }, "PRelu", "[2]", "[2 3]")
}

func TestPowValues(t *testing.T) {
	// a [3] ^ b [2, 1]
	out, g := exEval(func(in []*Var) *Var { return Pow(in[0], in[1]) },
		[][]float32{{2, 0, -2}, {3, 0}}, [][]int{{3}, {2, 1}})
	if !tensor.ShapeEqual(out.Shape(), []int{2, 3}) {
		t.Fatalf("shape %v", out.Shape())
	}
	exClose(t, "out", out.Data(), []float64{8, 0, -8, 1, 1, 1}, 1e-7)
	// ∂/∂a: b·a^(b−1) = 12, 0, 12 for b = 3; 0 for b = 0.
	exClose(t, "grad a", g[0], []float64{12, 0, 12}, 1e-7)
	// ∂/∂b: aᵇ ln a: b = 3: 8 ln 2 + 0 (a = 0) + NaN (ln −2); b = 0: ln 2 + 0 + NaN.
	exClose(t, "grad b", g[1], []float64{math.NaN(), math.NaN()}, 1e-7)
	_, g = exEval(func(in []*Var) *Var { return Pow(in[0], in[1]) },
		[][]float32{{2, 0}, {3, 0}}, [][]int{{2}, {2, 1}})
	exClose(t, "grad b (a ≥ 0)", g[1], []float64{8 * math.Ln2, math.Ln2}, 1e-6)
	exClose(t, "sqrt via pow", func() []float32 {
		o, _ := exEval(func(in []*Var) *Var { return Pow(in[0], in[1]) }, [][]float32{{9, -1}, {0.5}}, [][]int{{2}, {1}})
		return o.Data()
	}(), []float64{3, math.NaN()}, 1e-7)
}

func TestMaximumMinimumValues(t *testing.T) {
	nan := float32(math.NaN())
	a, b := []float32{1, 2, 3, nan, 1}, []float32{2, 2, 1, 0, nan}
	out, g := exEval(func(in []*Var) *Var { return Maximum(in[0], in[1]) }, [][]float32{a, b}, [][]int{{5}, {5}})
	exClose(t, "max", out.Data(), []float64{2, 2, 3, math.NaN(), math.NaN()}, 0)
	exClose(t, "max grad a", g[0], []float64{0, 0.5, 1, 1, 1}, 0)
	exClose(t, "max grad b", g[1], []float64{1, 0.5, 0, 1, 1}, 0)
	out, g = exEval(func(in []*Var) *Var { return Minimum(in[0], in[1]) }, [][]float32{a, b}, [][]int{{5}, {5}})
	exClose(t, "min", out.Data(), []float64{1, 2, 1, math.NaN(), math.NaN()}, 0)
	exClose(t, "min grad a", g[0], []float64{1, 0.5, 0, 1, 1}, 0)
	exClose(t, "min grad b", g[1], []float64{0, 0.5, 1, 1, 1}, 0)
	// Broadcast b [1] against a [3]: ties split, gradients of b summed.
	out, g = exEval(func(in []*Var) *Var { return Maximum(in[0], in[1]) },
		[][]float32{{0, 1, 2}, {1}}, [][]int{{3}, {1}})
	exClose(t, "max bcast", out.Data(), []float64{1, 1, 2}, 0)
	exClose(t, "max bcast grad a", g[0], []float64{0, 0.5, 1}, 0)
	exClose(t, "max bcast grad b", g[1], []float64{1.5}, 0)
	exPanics(t, func() { Maximum(Const(tensor.New(2, 3)), Const(tensor.New(4))) }, "maximum", "[2 3]", "[4]")
	exPanics(t, func() { Pow(Const(tensor.New(3)), Const(tensor.New(2))) }, "pow", "[3]", "[2]")
}

func TestSeluDefaultsMatchPyTorch(t *testing.T) {
	// torch.nn.functional.selu(torch.tensor([-1., 1.])) = [-1.1113307, 1.0507010].
	out, _ := exEval(func(in []*Var) *Var { return Selu(in[0], SeluAlpha, SeluGamma) }, [][]float32{{-1, 1}}, [][]int{{2}})
	exClose(t, "selu", out.Data(), []float64{-1.1113307, 1.0507010}, 1e-6)
}

func TestElementwiseMoreAccumulates(t *testing.T) {
	// Two uses of x: gradients add up (backward accumulates, never overwrites).
	x := Param(tensor.FromSlice([]float32{0.5, 2}, 2))
	y := Add(Exp(x), Log(x))
	Sum(y).Backward()
	exClose(t, "grad", x.Grad.Data(), []float64{math.Exp(0.5) + 2, math.Exp(2) + 0.5}, 1e-6)
}
