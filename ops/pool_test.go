package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// TestPoolOutputSize checks PoolOutputSize against torch 1.13's
// max_pool2d output sizes (the first rows, computed with torch), including
// ceil-mode cases where the last window would start in the right padding
// and is dropped ({4,2,3,1,1,true}, {6,2,4,1,1,true}), and the raw formula
// for windows that do not fit, where the division must round towards −∞.
func TestPoolOutputSize(t *testing.T) {
	tests := []struct {
		in, k, s, p, d int
		ceil           bool
		want           int
	}{
		{5, 3, 2, 1, 1, true, 3},
		{6, 3, 2, 1, 1, true, 4},
		{6, 3, 2, 1, 1, false, 3},
		{4, 2, 3, 1, 1, true, 2},
		{4, 2, 3, 1, 1, false, 2},
		{5, 2, 2, 1, 3, false, 2},
		{5, 2, 2, 1, 3, true, 3},
		{7, 3, 3, 0, 1, false, 2},
		{7, 3, 3, 0, 1, true, 3},
		{7, 3, 3, 1, 1, true, 3},
		{8, 2, 2, 0, 1, false, 4},
		{8, 2, 2, 0, 1, true, 4},
		{9, 2, 2, 0, 1, true, 5},
		{9, 2, 2, 1, 1, true, 5},
		{9, 2, 2, 1, 1, false, 5},
		{1, 1, 1, 0, 1, false, 1},
		{3, 3, 1, 1, 2, false, 1},
		{10, 4, 3, 2, 2, true, 4},
		{10, 4, 3, 2, 1, true, 4},
		{6, 2, 4, 1, 1, true, 2},
		{5, 1, 3, 0, 1, true, 2},
		{5, 1, 3, 0, 1, false, 2},
		{32, 3, 2, 1, 1, false, 16},
		{112, 3, 2, 1, 1, false, 56},
		{224, 7, 2, 3, 1, false, 112},
		{14, 3, 2, 0, 1, true, 7},
		{13, 3, 2, 0, 1, true, 6},
		// Windows that do not fit: ⌊num/stride⌋ + 1 with num < 0.
		{2, 3, 1, 0, 1, false, 0},
		{1, 3, 2, 0, 1, false, 0},
		{1, 5, 3, 0, 1, false, -1},
	}
	for _, tc := range tests {
		got := PoolOutputSize(tc.in, tc.k, tc.s, tc.p, tc.d, tc.ceil)
		if got != tc.want {
			t.Errorf("PoolOutputSize(in=%d, k=%d, s=%d, p=%d, d=%d, ceil=%v) = %d, want %d",
				tc.in, tc.k, tc.s, tc.p, tc.d, tc.ceil, got, tc.want)
		}
	}
}

// poolDistinct returns a tensor of the given shape holding a random
// permutation of 0.1·(0, 1, …, n−1) − offset: distinct values 0.1 apart, so
// perturbations of ±1e-2 never change which element is a window's maximum.
func poolDistinct(seed uint64, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	d := t.Data()
	for i, j := range tensor.NewRNG(seed).Perm(len(d)) {
		d[i] = 0.1*float32(j) - 0.05*float32(len(d))
	}
	return t
}

// poolGradCases lists pooling configurations checked by finite differences:
// strides, padding, dilation, ceil mode (including windows dropped by the
// ceil rule and windows clipped beyond the padding), non-square kernels and
// count_include_pad both ways.
func poolGradCases() []struct {
	name string
	o    Pool2dOptions
} {
	return []struct {
		name string
		o    Pool2dOptions
	}{
		{"k2", Pool2dOptions{Kernel: [2]int{2, 2}}},
		{"k3s2p1", Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}},
		{"k3s2p1ceil", Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, CeilMode: true}},
		{"k3s2p1ceilPad", Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, CeilMode: true, CountIncludePad: true}},
		{"k3s1p1Pad", Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}, CountIncludePad: true}},
		{"k2s3p1ceilDrop", Pool2dOptions{Kernel: [2]int{2, 2}, Stride: [2]int{3, 3}, Padding: [2]int{1, 1}, CeilMode: true, CountIncludePad: true}},
		{"k3x2s2x1p1x0ceil", Pool2dOptions{Kernel: [2]int{3, 2}, Stride: [2]int{2, 1}, Padding: [2]int{1, 0}, CeilMode: true}},
		{"k2x3s1x2p1ceilPad", Pool2dOptions{Kernel: [2]int{2, 3}, Stride: [2]int{1, 2}, Padding: [2]int{1, 1}, CeilMode: true, CountIncludePad: true}},
		{"k1x4s2x3", Pool2dOptions{Kernel: [2]int{1, 4}, Stride: [2]int{2, 3}}},
	}
}

// TestMaxPool2dGradCheck checks MaxPool2d's gradient by central
// differences (eps 1e-2, tolerance 1e-2 relative) for every configuration
// of poolGradCases plus dilated ones, on [2, 3, 7, 6] inputs without ties.
func TestMaxPool2dGradCheck(t *testing.T) {
	cases := poolGradCases()
	cases = append(cases,
		struct {
			name string
			o    Pool2dOptions
		}{"k3d2p1", Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}, Dilation: [2]int{2, 2}}},
		struct {
			name string
			o    Pool2dOptions
		}{"k2x3d2x3p1ceil", Pool2dOptions{Kernel: [2]int{2, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Dilation: [2]int{2, 3}, CeilMode: true}},
	)
	for _, c := range cases {
		x := Param(poolDistinct(11, 2, 3, 7, 6))
		f := func(in []*Var) *Var { return MaxPool2d(in[0], c.o) }
		if err := CheckGrad(f, []*Var{x}, 1e-2, 1e-2); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestAvgPool2dGradCheck checks AvgPool2d's gradient by central differences
// (eps 1e-2, tolerance 1e-2 relative) for every configuration of
// poolGradCases, each with count_include_pad off and on.
func TestAvgPool2dGradCheck(t *testing.T) {
	for _, c := range poolGradCases() {
		for _, incl := range []bool{false, true} {
			o := c.o
			o.CountIncludePad = incl
			x := Param(tensor.Rand(tensor.NewRNG(5), -2, 2, 2, 3, 7, 6))
			f := func(in []*Var) *Var { return AvgPool2d(in[0], o) }
			if err := CheckGrad(f, []*Var{x}, 1e-2, 1e-2); err != nil {
				t.Errorf("%s countIncludePad=%v: %v", c.name, incl, err)
			}
		}
	}
}

// TestAdaptiveAvgPool2dGradCheck checks AdaptiveAvgPool2d (sizes that
// divide, that do not, larger than the input, 1×1) and GlobalAvgPool2d by
// central differences (eps 1e-2, tolerance 1e-2 relative).
func TestAdaptiveAvgPool2dGradCheck(t *testing.T) {
	for _, sz := range [][4]int{{6, 6, 3, 3}, {5, 7, 3, 4}, {4, 4, 6, 5}, {7, 5, 1, 1}, {6, 9, 4, 2}} {
		x := Param(tensor.Rand(tensor.NewRNG(9), -2, 2, 2, 2, sz[0], sz[1]))
		f := func(in []*Var) *Var { return AdaptiveAvgPool2d(in[0], sz[2], sz[3]) }
		if err := CheckGrad(f, []*Var{x}, 1e-2, 1e-2); err != nil {
			t.Errorf("%v: %v", sz, err)
		}
	}
	x := Param(tensor.Rand(tensor.NewRNG(9), -2, 2, 2, 3, 5, 4))
	if err := CheckGrad(func(in []*Var) *Var { return GlobalAvgPool2d(in[0]) }, []*Var{x}, 1e-2, 1e-2); err != nil {
		t.Errorf("GlobalAvgPool2d: %v", err)
	}
}

// poolArange returns [1, 1, h, w] holding 0, 1, …, h·w−1.
func poolArange(h, w int) *tensor.Tensor {
	t := tensor.New(1, 1, h, w)
	for i := range t.Data() {
		t.Data()[i] = float32(i)
	}
	return t
}

// poolExpect compares got with want (same length) to within tol.
func poolExpect(t *testing.T, what string, got *tensor.Tensor, wantShape []int, want []float32, tol float64) {
	t.Helper()
	if !tensor.ShapeEqual(got.Shape(), wantShape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape(), wantShape)
	}
	for i, w := range want {
		if g := got.Data()[i]; math.Abs(float64(g-w)) > tol {
			t.Errorf("%s[%d] = %v, want %v", what, i, g, w)
		}
	}
}

// TestAvgPool2dExact checks small cases against torch 1.13 results: a 5×5
// ramp pooled 3×3 / stride 2 / pad 1 in ceil mode with and without
// count_include_pad (values and gradients ×36), and a 6×6 ramp whose last
// ceil-mode window hangs past the padding, where count_include_pad divides
// by the window clipped to the padded input (35/4, not 35/9).
func TestAvgPool2dExact(t *testing.T) {
	o := Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, CeilMode: true}
	for _, tc := range []struct {
		incl      bool
		out, grad []float32 // ×36
	}{
		{true,
			[]float32{48, 108, 96, 252, 432, 324, 288, 468, 336},
			[]float32{4, 8, 4, 8, 4, 8, 16, 8, 16, 8, 4, 8, 4, 8, 4, 8, 16, 8, 16, 8, 4, 8, 4, 8, 4}},
		{false,
			[]float32{108, 162, 216, 378, 432, 486, 648, 702, 756},
			[]float32{9, 15, 6, 15, 9, 15, 25, 10, 25, 15, 6, 10, 4, 10, 6, 15, 25, 10, 25, 15, 9, 15, 6, 15, 9}},
	} {
		o.CountIncludePad = tc.incl
		x := Param(poolArange(5, 5))
		y := AvgPool2d(x, o)
		y.BackwardWith(tensor.Ones(y.Shape()...))
		for i := range tc.out {
			tc.out[i] /= 36
		}
		for i := range tc.grad {
			tc.grad[i] /= 36
		}
		poolExpect(t, fmt.Sprintf("avg(incl=%v)", tc.incl), y.Value, []int{1, 1, 3, 3}, tc.out, 1e-5)
		poolExpect(t, fmt.Sprintf("avg'(incl=%v)", tc.incl), x.Grad, []int{1, 1, 5, 5}, tc.grad, 1e-6)
	}
	for _, tc := range []struct {
		incl bool
		row3 []float32
	}{
		{true, []float32{10.166667, 16, 17, 8.75}},
		{false, []float32{30.5, 32, 34, 35}},
	} {
		o.CountIncludePad = tc.incl
		y := AvgPool2d(Const(poolArange(6, 6)), o)
		if !tensor.ShapeEqual(y.Shape(), []int{1, 1, 4, 4}) {
			t.Fatalf("shape %v, want [1 1 4 4]", y.Shape())
		}
		poolExpect(t, fmt.Sprintf("avg6 row 3 (incl=%v)", tc.incl), y.Value.Reshape(16).Slice(12, 16), []int{4}, tc.row3, 1e-5)
	}
}

// TestMaxPool2dExact checks a dilated, padded, ceil-mode max pool of a 5×5
// permutation against torch 1.13 (values and gradients for an output
// gradient of ones, where maxima shared by several windows accumulate).
func TestMaxPool2dExact(t *testing.T) {
	x := Param(tensor.FromSlice([]float32{
		3, 17, 8, 0, 12,
		21, 5, 14, 9, 1,
		19, 7, 23, 2, 11,
		16, 4, 20, 13, 6,
		10, 22, 15, 18, 24,
	}, 1, 1, 5, 5))
	o := Pool2dOptions{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Dilation: [2]int{2, 2}, CeilMode: true}
	y := MaxPool2d(x, o)
	y.BackwardWith(tensor.Ones(y.Shape()...))
	poolExpect(t, "max", y.Value, []int{1, 1, 3, 3}, []float32{5, 9, 9, 5, 13, 13, 4, 13, 13}, 0)
	poolExpect(t, "max'", x.Grad, []int{1, 1, 5, 5}, []float32{
		0, 0, 0, 0, 0,
		0, 2, 0, 2, 0,
		0, 0, 0, 0, 0,
		0, 1, 0, 4, 0,
		0, 0, 0, 0, 0,
	}, 0)
}

// TestMaxPool2dTies checks PyTorch's choice of the element that receives
// the gradient: the first of equal maxima, the last NaN (NaN propagates),
// and the first element of an all −Inf window.
func TestMaxPool2dTies(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, tc := range []struct {
		name string
		x    []float32
		at   int
		nan  bool
	}{
		{"tie", []float32{1, 5, 5, 2}, 1, false},
		{"nan", []float32{1, nan, nan, 2}, 2, true},
		{"nanFirst", []float32{nan, 7, 3, 2}, 0, true},
		{"-inf", []float32{-inf, -inf, -inf, -inf}, 0, false},
	} {
		x := Param(tensor.FromSlice(tc.x, 1, 1, 2, 2))
		y := MaxPool2d(x, Pool2dOptions{Kernel: [2]int{2, 2}})
		y.BackwardWith(tensor.Ones(1, 1, 1, 1))
		if v := y.Value.Data()[0]; (v != v) != tc.nan {
			t.Errorf("%s: output %v", tc.name, v)
		}
		for i, g := range x.Grad.Data() {
			want := float32(0)
			if i == tc.at {
				want = 1
			}
			if g != want {
				t.Errorf("%s: grad %v, want gradient at %d", tc.name, x.Grad.Data(), tc.at)
				break
			}
		}
	}
}

// TestAdaptiveAvgPool2dExact checks a 5×7 ramp pooled to 3×4 (overlapping
// windows) against torch 1.13: values, and gradients ×24 for an output
// gradient of ones; and GlobalAvgPool2d against the plane means.
func TestAdaptiveAvgPool2dExact(t *testing.T) {
	x := Param(poolArange(5, 7))
	y := AdaptiveAvgPool2d(x, 3, 4)
	y.BackwardWith(tensor.Ones(y.Shape()...))
	poolExpect(t, "adaptive", y.Value, []int{1, 1, 3, 4}, []float32{4, 5.5, 7.5, 9, 14.5, 16, 18, 19.5, 25, 26.5, 28.5, 30}, 1e-5)
	want := []float32{
		6, 10, 4, 8, 4, 10, 6,
		10, 50.0 / 3, 20.0 / 3, 40.0 / 3, 20.0 / 3, 50.0 / 3, 10,
		4, 20.0 / 3, 8.0 / 3, 16.0 / 3, 8.0 / 3, 20.0 / 3, 4,
		10, 50.0 / 3, 20.0 / 3, 40.0 / 3, 20.0 / 3, 50.0 / 3, 10,
		6, 10, 4, 8, 4, 10, 6,
	}
	for i := range want {
		want[i] /= 24
	}
	poolExpect(t, "adaptive'", x.Grad, []int{1, 1, 5, 7}, want, 1e-6)

	g := Param(tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -9}, 2, 1, 2, 3))
	gy := GlobalAvgPool2d(g)
	gy.BackwardWith(tensor.FromSlice([]float32{6, 12}, 2, 1, 1, 1))
	poolExpect(t, "global", gy.Value, []int{2, 1, 1, 1}, []float32{3.5, -4}, 1e-6)
	poolExpect(t, "global'", g.Grad, []int{2, 1, 2, 3}, []float32{1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2}, 1e-6)

	// Identity when the output size equals the input size.
	id := AdaptiveAvgPool2d(Const(poolArange(3, 4)), 3, 4)
	if tensor.MaxAbsDiff(id.Value, poolArange(3, 4)) != 0 {
		t.Errorf("adaptive pooling to the input size changed the values: %v", id.Value)
	}
}

// TestPoolDefaults checks that a zero stride means the kernel size and a
// zero dilation means 1.
func TestPoolDefaults(t *testing.T) {
	x := Const(poolDistinct(2, 1, 2, 6, 9))
	a := MaxPool2d(x, Pool2dOptions{Kernel: [2]int{2, 3}})
	b := MaxPool2d(x, Pool2dOptions{Kernel: [2]int{2, 3}, Stride: [2]int{2, 3}, Dilation: [2]int{1, 1}})
	if !tensor.ShapeEqual(a.Shape(), []int{1, 2, 3, 3}) || tensor.MaxAbsDiff(a.Value, b.Value) != 0 {
		t.Errorf("defaults: shape %v, values differ by %v", a.Shape(), tensor.MaxAbsDiff(a.Value, b.Value))
	}
}

// TestPoolPanics checks that invalid configurations panic with a message
// naming the input shape.
func TestPoolPanics(t *testing.T) {
	x := Const(tensor.New(2, 3, 4, 5))
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"padTooBig", func() { MaxPool2d(x, Pool2dOptions{Kernel: [2]int{3, 3}, Padding: [2]int{2, 1}}) }, "half of the kernel"},
		{"tooSmall", func() { MaxPool2d(x, Pool2dOptions{Kernel: [2]int{5, 5}}) }, "does not fit"},
		{"dilatedTooSmall", func() { MaxPool2d(x, Pool2dOptions{Kernel: [2]int{3, 3}, Dilation: [2]int{2, 2}}) }, "does not fit"},
		{"zeroKernel", func() { AvgPool2d(x, Pool2dOptions{Kernel: [2]int{0, 2}}) }, "kernel must be positive"},
		{"negStride", func() { AvgPool2d(x, Pool2dOptions{Kernel: [2]int{2, 2}, Stride: [2]int{-1, 1}}) }, "stride"},
		{"negPad", func() { AvgPool2d(x, Pool2dOptions{Kernel: [2]int{2, 2}, Padding: [2]int{0, -1}}) }, "padding"},
		{"avgDilation", func() { AvgPool2d(x, Pool2dOptions{Kernel: [2]int{2, 2}, Dilation: [2]int{2, 1}}) }, "dilation"},
		{"3d", func() { MaxPool2d(Const(tensor.New(3, 4, 5)), Pool2dOptions{Kernel: [2]int{2, 2}}) }, "[3 4 5]"},
		{"adaptiveZero", func() { AdaptiveAvgPool2d(x, 0, 2) }, "output size"},
		{"global3d", func() { GlobalAvgPool2d(Const(tensor.New(3, 4, 5))) }, "[3 4 5]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if r == nil || !strings.Contains(msg, tc.want) {
					t.Errorf("panic %v, want one mentioning %q", r, tc.want)
				}
				if !strings.Contains(tc.want, "[3 4 5]") && !strings.Contains(msg, "[2 3 4 5]") {
					t.Errorf("panic %q does not name the input shape", msg)
				}
			}()
			tc.f()
		})
	}
}

// TestPoolThreadIndependent checks that pooling results and gradients are
// bitwise the same with 1 and 3 threads.
func TestPoolThreadIndependent(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	x := tensor.Rand(tensor.NewRNG(21), -1, 1, 4, 16, 20, 20)
	ops := map[string]func(*Var) *Var{
		"max": func(v *Var) *Var {
			return MaxPool2d(v, Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, CeilMode: true})
		},
		"avg": func(v *Var) *Var {
			return AvgPool2d(v, Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}})
		},
		"adaptive": func(v *Var) *Var { return AdaptiveAvgPool2d(v, 7, 3) },
		"global":   GlobalAvgPool2d,
	}
	for name, op := range ops {
		var ys, gs [2]*tensor.Tensor
		for i, th := range []int{1, 3} {
			kernels.SetThreads(th)
			p := Param(x)
			y := op(p)
			y.BackwardWith(tensor.Rand(tensor.NewRNG(22), -1, 1, y.Shape()...))
			ys[i], gs[i] = y.Value, p.Grad
		}
		if tensor.MaxAbsDiff(ys[0], ys[1]) != 0 || tensor.MaxAbsDiff(gs[0], gs[1]) != 0 {
			t.Errorf("%s: results differ between 1 and 3 threads", name)
		}
	}
}

// TestMaxPool2dNoGrad checks that a pool of a constant, or under NoGrad,
// records no backward pass.
func TestMaxPool2dNoGrad(t *testing.T) {
	o := Pool2dOptions{Kernel: [2]int{2, 2}}
	if MaxPool2d(Const(tensor.New(1, 1, 4, 4)), o).RequiresGrad() {
		t.Error("max pool of a constant requires a gradient")
	}
	restore := NoGrad()
	y := MaxPool2d(Param(tensor.New(1, 1, 4, 4)), o)
	restore()
	if y.RequiresGrad() {
		t.Error("max pool under NoGrad requires a gradient")
	}
}
