package ops

import (
	"fmt"
	"math"
	"testing"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// Finite-difference tolerance for float32 checks: central differences with
// eps = 1e-2 and the loss accumulated in float64 agree with the analytic
// gradient to about 1e-3 of the gradient's scale; 1e-2 leaves headroom.
const (
	fdEps = 1e-2
	fdTol = 1e-2
)

func randParam(g *tensor.RNG, shape ...int) *Var {
	return Param(tensor.Rand(g, -1, 1, shape...))
}

func TestConv2dGradients(t *testing.T) {
	cases := []struct {
		name      string
		x, w      []int
		bias      bool
		o         Conv2dOptions
		wantOutHW [2]int
	}{
		{"plain3x3", []int{2, 3, 5, 5}, []int{4, 3, 3, 3}, true, Conv2dOptions{}, [2]int{3, 3}},
		{"stride2", []int{2, 2, 7, 6}, []int{3, 2, 3, 3}, true, Conv2dOptions{Stride: [2]int{2, 2}}, [2]int{3, 2}},
		{"pad1", []int{1, 2, 5, 5}, []int{2, 2, 3, 3}, true, Conv2dOptions{Padding: SymmetricPadding(1, 1)}, [2]int{5, 5}},
		{"asym", []int{1, 2, 5, 4}, []int{2, 2, 3, 3}, false, Conv2dOptions{Padding: [4]int{0, 2, 1, 0}}, [2]int{4, 4}},
		{"dilation2", []int{2, 2, 7, 7}, []int{2, 2, 3, 3}, true, Conv2dOptions{Dilation: [2]int{2, 2}, Padding: SymmetricPadding(1, 1)}, [2]int{5, 5}},
		{"groups2", []int{2, 4, 5, 5}, []int{6, 2, 3, 3}, true, Conv2dOptions{Groups: 2}, [2]int{3, 3}},
		{"depthwise_x2", []int{2, 3, 5, 5}, []int{6, 1, 3, 3}, true, Conv2dOptions{Groups: 3, Padding: SymmetricPadding(1, 1)}, [2]int{5, 5}},
		{"1x1", []int{2, 3, 4, 4}, []int{5, 3, 1, 1}, true, Conv2dOptions{}, [2]int{4, 4}},
		{"1x1stride2", []int{2, 3, 5, 5}, []int{2, 3, 1, 1}, false, Conv2dOptions{Stride: [2]int{2, 2}}, [2]int{3, 3}},
		{"rect3x5", []int{1, 2, 6, 7}, []int{2, 2, 3, 5}, true, Conv2dOptions{Stride: [2]int{2, 1}}, [2]int{2, 3}},
		{"same", []int{1, 2, 5, 6}, []int{2, 2, 3, 3}, true, Conv2dOptions{Padding: SamePadding(5, 6, 3, 3, [2]int{}, [2]int{})}, [2]int{5, 6}},
		{"same_stride2", []int{1, 1, 7, 8}, []int{1, 1, 4, 4}, false, Conv2dOptions{Stride: [2]int{2, 2}, Padding: SamePadding(7, 8, 4, 4, [2]int{2, 2}, [2]int{})}, [2]int{4, 4}},
		{"batch9_chunks", []int{9, 2, 4, 4}, []int{2, 2, 3, 3}, true, Conv2dOptions{Padding: SymmetricPadding(1, 1)}, [2]int{4, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := tensor.NewRNG(1)
			in := []*Var{randParam(g, c.x...), randParam(g, c.w...)}
			if c.bias {
				in = append(in, randParam(g, c.w[0]))
			}
			f := func(v []*Var) *Var {
				var b *Var
				if len(v) == 3 {
					b = v[2]
				}
				return Conv2d(v[0], v[1], b, c.o)
			}
			out := f(in)
			if got := out.Value.Shape(); got[2] != c.wantOutHW[0] || got[3] != c.wantOutHW[1] {
				t.Fatalf("output shape %v, want H×W %v", got, c.wantOutHW)
			}
			if err := CheckGrad(f, in, fdEps, fdTol); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// directConv is a naive convolution used as an independent oracle.
func directConv(x, w, b *tensor.Tensor, o Conv2dOptions) *tensor.Tensor {
	s, d, p, groups := normPair(o.Stride), normPair(o.Dilation), o.Padding, max(o.Groups, 1)
	n, cin, h, wd := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	cout, cg, kh, kw := w.Dim(0), w.Dim(1), w.Dim(2), w.Dim(3)
	oh := ConvOutputSize(h, kh, s[0], p[0], p[2], d[0])
	ow := ConvOutputSize(wd, kw, s[1], p[1], p[3], d[1])
	out := tensor.New(n, cout, oh, ow)
	og := cout / groups
	for i := 0; i < n; i++ {
		for co := 0; co < cout; co++ {
			gi := co / og
			for y := 0; y < oh; y++ {
				for xx := 0; xx < ow; xx++ {
					acc := 0.0
					if b != nil {
						acc = float64(b.At(co))
					}
					for ci := 0; ci < cg; ci++ {
						for ky := 0; ky < kh; ky++ {
							for kx := 0; kx < kw; kx++ {
								iy, ix := y*s[0]-p[0]+ky*d[0], xx*s[1]-p[1]+kx*d[1]
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								acc += float64(x.At(i, gi*cg+ci, iy, ix)) * float64(w.At(co, ci, ky, kx))
							}
						}
					}
					out.Set(float32(acc), i, co, y, xx)
				}
			}
		}
	}
	_ = cin
	return out
}

func TestConv2dMatchesDirectLoop(t *testing.T) {
	g := tensor.NewRNG(2)
	for _, o := range []Conv2dOptions{
		{}, {Stride: [2]int{2, 3}}, {Padding: [4]int{1, 2, 0, 3}}, {Dilation: [2]int{2, 1}}, {Groups: 2},
		{Groups: 4, Stride: [2]int{2, 2}, Padding: SymmetricPadding(1, 1)},
	} {
		x := tensor.Randn(g, 0, 1, 3, 4, 9, 8)
		w := tensor.Randn(g, 0, 1, 8, 4/max(o.Groups, 1), 3, 3)
		b := tensor.Randn(g, 0, 1, 8)
		got := Conv2d(Const(x), Const(w), Const(b), o).Value
		want := directConv(x, w, b, o)
		if d := tensor.MaxAbsDiff(got, want); d > 1e-4 {
			t.Errorf("%+v: max diff %g", o, d)
		}
	}
}

func TestConv2dDeterministicAcrossThreads(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	var ref []*tensor.Tensor
	for _, th := range []int{1, 2, 3} {
		kernels.SetThreads(th)
		g := tensor.NewRNG(3)
		x, w, b := randParam(g, 11, 3, 6, 6), randParam(g, 4, 3, 3, 3), randParam(g, 4)
		y := Conv2d(x, w, b, Conv2dOptions{Padding: SymmetricPadding(1, 1)})
		Sum(Mul(y, y)).Backward()
		got := []*tensor.Tensor{y.Value, x.Grad, w.Grad, b.Grad}
		if ref == nil {
			ref = got
			continue
		}
		for i := range got {
			if tensor.MaxAbsDiff(got[i], ref[i]) != 0 {
				t.Fatalf("threads=%d: tensor %d differs from 1 thread", th, i)
			}
		}
	}
}

func TestSamePadding(t *testing.T) {
	for _, c := range []struct {
		h, k, s, d int
		want       [2]int // before, after
	}{
		{5, 3, 1, 1, [2]int{1, 1}}, {6, 4, 1, 1, [2]int{1, 2}}, {7, 3, 2, 1, [2]int{1, 1}},
		{8, 3, 2, 1, [2]int{0, 1}}, {5, 3, 1, 2, [2]int{2, 2}}, {4, 1, 1, 1, [2]int{0, 0}},
	} {
		p := SamePadding(c.h, c.h, c.k, c.k, [2]int{c.s, c.s}, [2]int{c.d, c.d})
		if p[0] != c.want[0] || p[2] != c.want[1] || p[1] != c.want[0] || p[3] != c.want[1] {
			t.Errorf("SamePadding(%d, k%d, s%d, d%d) = %v, want %v", c.h, c.k, c.s, c.d, p, c.want)
		}
		if got, want := ConvOutputSize(c.h, c.k, c.s, p[0], p[2], c.d), (c.h+c.s-1)/c.s; got != want {
			t.Errorf("same output %d, want %d", got, want)
		}
	}
}

func TestLinearAndMatMulGradients(t *testing.T) {
	g := tensor.NewRNG(4)
	for _, bias := range []bool{true, false} {
		in := []*Var{randParam(g, 3, 5), randParam(g, 4, 5)}
		if bias {
			in = append(in, randParam(g, 4))
		}
		f := func(v []*Var) *Var {
			if len(v) == 3 {
				return Linear(v[0], v[1], v[2])
			}
			return Linear(v[0], v[1], nil)
		}
		if err := CheckGrad(f, in, fdEps, fdTol); err != nil {
			t.Errorf("linear bias=%v: %v", bias, err)
		}
	}
	in := []*Var{randParam(g, 2, 3, 5), randParam(g, 4, 5), randParam(g, 4)}
	if err := CheckGrad(func(v []*Var) *Var { return Linear(v[0], v[1], v[2]) }, in, fdEps, fdTol); err != nil {
		t.Errorf("linear 3-D: %v", err)
	}
	in = []*Var{randParam(g, 3, 4), randParam(g, 4, 2)}
	if err := CheckGrad(func(v []*Var) *Var { return MatMul(v[0], v[1]) }, in, fdEps, fdTol); err != nil {
		t.Errorf("matmul: %v", err)
	}
	// Hand-computed: [1 2; 3 4]·[5; 6] = [17; 39].
	got := MatMul(Const(tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2)), Const(tensor.FromSlice([]float32{5, 6}, 2, 1)))
	if got.Value.At(0, 0) != 17 || got.Value.At(1, 0) != 39 {
		t.Errorf("matmul = %v", got.Value)
	}
}

func TestArithBroadcastGradients(t *testing.T) {
	shapes := [][2][]int{
		{{2, 3, 4, 4}, {2, 3, 4, 4}},
		{{2, 3, 4, 4}, {1, 3, 1, 1}},
		{{2, 3, 4, 4}, {2, 3, 1, 1}},
		{{3, 1, 1}, {2, 3, 4, 4}},
		{{2, 3, 4}, {1}},
		{{2, 1, 4}, {3, 1}},
	}
	ops := map[string]func(a, b *Var) *Var{"add": Add, "sub": Sub, "mul": Mul, "div": Div}
	for name, op := range ops {
		for _, s := range shapes {
			t.Run(fmt.Sprintf("%s_%v_%v", name, s[0], s[1]), func(t *testing.T) {
				g := tensor.NewRNG(5)
				a := randParam(g, s[0]...)
				b := Param(tensor.Rand(g, 0.5, 2, s[1]...)) // away from 0 for div
				if err := CheckGrad(func(v []*Var) *Var { return op(v[0], v[1]) }, []*Var{a, b}, fdEps, fdTol); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
	got := Add(Const(tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)), Const(tensor.FromSlice([]float32{10, 20}, 2, 1)))
	want := []float32{11, 12, 13, 24, 25, 26}
	for i, v := range got.Value.Data() {
		if v != want[i] {
			t.Fatalf("broadcast add = %v", got.Value)
		}
	}
	if _, err := BroadcastShapes([]int{2, 3}, []int{4}); err == nil {
		t.Error("incompatible shapes accepted")
	}
}

func TestShapeOpsGradients(t *testing.T) {
	g := tensor.NewRNG(6)
	in := []*Var{randParam(g, 2, 1, 3, 3), randParam(g, 2, 2, 3, 3), randParam(g, 2, 3, 3, 3)}
	if err := CheckGrad(func(v []*Var) *Var { return Concat(1, v...) }, in, fdEps, fdTol); err != nil {
		t.Error(err)
	}
	y := Concat(1, in...)
	if s := y.Value.Shape(); s[1] != 6 || y.Value.At(1, 3, 2, 1) != in[2].Value.At(1, 0, 2, 1) {
		t.Errorf("concat placed values wrongly: %v", s)
	}
	in2 := []*Var{randParam(g, 2, 3, 2, 2)}
	if err := CheckGrad(func(v []*Var) *Var { return Mul(Flatten(v[0]), Flatten(v[0])) }, in2, fdEps, fdTol); err != nil {
		t.Error(err)
	}
	if err := CheckGrad(func(v []*Var) *Var { return Concat(-1, Reshape(v[0], 12, 2), Reshape(v[0], 12, 2)) }, in2, fdEps, fdTol); err != nil {
		t.Error(err)
	}
	for _, f := range []func(*Var) *Var{Sum, Mean, func(v *Var) *Var { return Scale(v, -2.5) }} {
		if err := CheckGrad(func(v []*Var) *Var { return f(v[0]) }, in2, fdEps, fdTol); err != nil {
			t.Error(err)
		}
	}
}

func TestBackwardAccumulatesAndNoGrad(t *testing.T) {
	w := Param(tensor.FromSlice([]float32{2}, 1))
	x := Const(tensor.FromSlice([]float32{3}, 1))
	Sum(Mul(w, x)).Backward()
	Sum(Mul(w, x)).Backward()
	if w.Grad.Data()[0] != 6 {
		t.Fatalf("accumulated grad %v, want 6", w.Grad.Data()[0])
	}
	// A value used twice gets both contributions: d/dw (w·w) = 2w.
	w.ZeroGrad()
	Sum(Mul(w, w)).Backward()
	if w.Grad.Data()[0] != 4 {
		t.Fatalf("grad of w² = %v, want 4", w.Grad.Data()[0])
	}
	restore := NoGrad()
	y := Mul(w, x)
	restore()
	if y.RequiresGrad() || !GradEnabled() {
		t.Fatal("NoGrad did not stop recording, or did not restore")
	}
	if math.IsNaN(float64(y.Value.Data()[0])) {
		t.Fatal("NaN")
	}
}

func TestSecondBackwardThroughFreedGraphPanics(t *testing.T) {
	w := Param(tensor.Ones(4))
	trunk := Mul(w, w)
	Sum(trunk).Backward()
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("a second Backward through the released trunk did not panic")
		}
		if w.Grad.Data()[0] != 2 {
			t.Fatalf("the refused Backward changed w.Grad to %v", w.Grad.Data())
		}
	}()
	Sum(Scale(trunk, 3)).Backward()
}

// TestConvBiasGrad checks the bias gradient's per-channel sums against
// float64 sums in plain order (within float32 rounding) and that it adds
// to what the gradient already holds.
func TestConvBiasGrad(t *testing.T) {
	g := tensor.NewRNG(12)
	for _, s := range [][3]int{{1, 1, 1}, {3, 5, 31}, {4, 6, 784}, {2, 3, 33}} {
		n, c, hw := s[0], s[1], s[2]
		gy := tensor.Randn(g, 0, 1, n, c, hw).Data()
		gb := []float32{0.5, -1, 2, 0, 3, 1}[:c]
		want := make([]float64, c)
		for ch := range want {
			want[ch] = float64(gb[ch])
			for i := 0; i < n; i++ {
				for _, v := range gy[(i*c+ch)*hw : (i*c+ch+1)*hw] {
					want[ch] += float64(v)
				}
			}
		}
		convBiasGrad(gb, gy, n, c, hw)
		for ch, w := range want {
			if d := math.Abs(float64(gb[ch]) - w); d > 1e-6*math.Max(1, math.Abs(w)) {
				t.Fatalf("%v: channel %d: %v, want %v", s, ch, gb[ch], w)
			}
		}
	}
}
