package ops

import (
	"fmt"
	"math"
	"testing"

	"convnet/internal/kernels"
	"convnet/tensor"
)

func TestSoftmaxGradCheck(t *testing.T) {
	cases := []struct {
		shape []int
		axis  int
	}{
		{[]int{3, 5}, 1},
		{[]int{3, 5}, -1},
		{[]int{3, 5}, 0},
		{[]int{2, 4, 3}, 1},
		{[]int{2, 4, 3}, -1},
		{[]int{2, 3, 2, 2}, 1},
		{[]int{2, 3, 2, 2}, -1},
		{[]int{6}, 0},
	}
	for _, c := range cases {
		for _, log := range []bool{false, true} {
			name := fmt.Sprintf("%v/axis=%d/log=%v", c.shape, c.axis, log)
			t.Run(name, func(t *testing.T) {
				rng := tensor.NewRNG(5)
				x := Param(tensor.Randn(rng, 0, 2, c.shape...))
				f := func(in []*Var) *Var {
					if log {
						return LogSoftmax(in[0], c.axis)
					}
					return Softmax(in[0], c.axis)
				}
				// float32 central differences, eps 1e-2, 1e-2 relative.
				if err := CheckGrad(f, []*Var{x}, 1e-2, 1e-2); err != nil {
					t.Fatal(err)
				}
				if got := f([]*Var{x}).Shape(); !tensor.ShapeEqual(got, c.shape) {
					t.Fatalf("output shape %v, want %v", got, c.shape)
				}
			})
		}
	}
}

func TestSoftmaxMatchesPyTorch(t *testing.T) {
	x := Const(tensor.FromSlice([]float32{1, 2, 3, -1, 0, 10}, 2, 3))
	// torch.softmax(x, 1) and torch.log_softmax(x, 0), torch 1.13.
	bnTestClose(t, "softmax axis 1", Softmax(x, 1).Value.Data(),
		[]float64{0.090030573, 0.24472848, 0.66524094, 1.6700664e-05, 4.5397112e-05, 0.99993789}, 1e-7)
	bnTestClose(t, "log_softmax axis 0", LogSoftmax(x, 0).Value.Data(),
		[]float64{-0.12692805, -0.12692805, -7.0009112, -2.1269281, -2.1269281, -0.00091141637}, 1e-6)
	bnTestClose(t, "softmax axis -1", Softmax(x, -1).Value.Data(),
		[]float64{0.090030573, 0.24472848, 0.66524094, 1.6700664e-05, 4.5397112e-05, 0.99993789}, 1e-7)
}

func TestSoftmaxIsStable(t *testing.T) {
	// Without subtracting the maximum, exp(1000) overflows float64.
	x := Const(tensor.FromSlice([]float32{1000, 1001, 1002, -1000, -1001, -1002}, 2, 3))
	y := Softmax(x, 1).Value.Data()
	ly := LogSoftmax(x, 1).Value.Data()
	want := []float64{0.090030573, 0.24472848, 0.66524094, 0.66524094, 0.24472848, 0.090030573}
	bnTestClose(t, "softmax", y, want, 1e-7)
	for i, w := range want {
		if d := math.Abs(float64(ly[i]) - math.Log(w)); d > 1e-5 {
			t.Fatalf("log_softmax[%d] = %g, want %g", i, ly[i], math.Log(w))
		}
	}
}

func TestSoftmaxThreadIndependent(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	rng := tensor.NewRNG(9)
	xv := tensor.Randn(rng, 0, 3, 4, 10, 30, 30) // [N, K, H, W], axis 1
	g := tensor.Randn(rng, 0, 1, 4, 10, 30, 30)
	run := func(threads int, log bool) []*tensor.Tensor {
		kernels.SetThreads(threads)
		x := Param(xv.Clone())
		var y *Var
		if log {
			y = LogSoftmax(x, 1)
		} else {
			y = Softmax(x, 1)
		}
		y.BackwardWith(g)
		return []*tensor.Tensor{y.Value, x.Grad}
	}
	for _, log := range []bool{false, true} {
		one, many := run(1, log), run(3, log)
		for i := range one {
			if d := tensor.MaxAbsDiff(one[i], many[i]); d != 0 {
				t.Fatalf("log=%v result %d differs between 1 and 3 threads by %g", log, i, d)
			}
		}
	}
}

func TestSoftmaxAxisOutOfRange(t *testing.T) {
	x := Const(tensor.New(2, 3))
	bnTestPanics(t, "axis 2 out of range for shape [2 3]", func() { Softmax(x, 2) })
	bnTestPanics(t, "axis -3 out of range", func() { LogSoftmax(x, -3) })
}

func TestCrossEntropyGradCheck(t *testing.T) {
	cases := []struct {
		shape  []int
		red    Reduction
		smooth float32
	}{
		{[]int{4, 5}, ReduceMean, 0},
		{[]int{4, 5}, ReduceSum, 0},
		{[]int{4, 5}, ReduceNone, 0},
		{[]int{4, 5}, ReduceMean, 0.1},
		{[]int{4, 5}, ReduceSum, 0.2},
		{[]int{4, 5}, ReduceNone, 0.3},
		{[]int{2, 3, 2, 3}, ReduceMean, 0},
		{[]int{2, 3, 2, 3}, ReduceNone, 0.1},
		{[]int{2, 3, 2, 3}, ReduceSum, 0.1},
		{[]int{2, 4, 5}, ReduceMean, 0.05},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%v/%v/smooth=%g", c.shape, c.red, c.smooth)
		t.Run(name, func(t *testing.T) {
			rng := tensor.NewRNG(13)
			x := Param(tensor.Randn(rng, 0, 2, c.shape...))
			positions := x.Value.Len() / c.shape[1]
			labels := make([]int, positions)
			for i := range labels {
				labels[i] = rng.IntN(c.shape[1])
			}
			opts := CrossEntropyOptions{Reduction: c.red, LabelSmoothing: c.smooth}
			f := func(in []*Var) *Var { return CrossEntropy(in[0], labels, opts) }
			// float32 central differences, eps 1e-2, 1e-2 relative.
			if err := CheckGrad(f, []*Var{x}, 1e-2, 1e-2); err != nil {
				t.Fatal(err)
			}
			want := []int{}
			if c.red == ReduceNone {
				want = append([]int{c.shape[0]}, c.shape[2:]...)
			}
			if got := f([]*Var{x}).Shape(); !tensor.ShapeEqual(got, want) {
				t.Fatalf("output shape %v, want %v", got, want)
			}
		})
	}
}

func TestCrossEntropyMatchesPyTorch(t *testing.T) {
	logits := func() *Var {
		return Param(tensor.FromSlice([]float32{2, -1, 0.5, 0, 0.1, 0.2, 0.3, 0.4, -3, 1, 2, 5}, 3, 4))
	}
	labels := []int{0, 3, 1}

	// F.cross_entropy(x, labels, label_smoothing=0.1), then backward.
	x := logits()
	l := CrossEntropy(x, labels, CrossEntropyOptions{LabelSmoothing: 0.1})
	l.Backward()
	bnTestClose(t, "smoothed mean", l.Value.Data(), []float64{1.9345275}, 1e-6)
	bnTestClose(t, "smoothed mean grad", x.Grad.Data(), []float64{-0.071633384, 0.0034512626, 0.044481561, 0.023700522, 0.062946066, 0.07044258, 0.078727521, -0.21211618, -0.0082286755, -0.30261916, 0.0071993275, 0.30364847}, 1e-6)

	bnTestClose(t, "none", CrossEntropy(x, labels, CrossEntropyOptions{Reduction: ReduceNone}).Value.Data(),
		[]float64{0.34234965, 1.2425356, 4.0661979}, 1e-6)
	bnTestClose(t, "sum", CrossEntropy(x, labels, CrossEntropyOptions{Reduction: ReduceSum}).Value.Data(),
		[]float64{5.651083}, 1e-6)
	bnTestClose(t, "mean", CrossEntropy(x, labels, CrossEntropyOptions{}).Value.Data(),
		[]float64{5.651083 / 3}, 1e-6)

	// Per pixel: logits [1, 3, 1, 2], labels [[[2, 1]]], reduction none,
	// then .sum().backward().
	px := Param(tensor.FromSlice([]float32{1, -1, 0, 2, 0.5, 0.5}, 1, 3, 1, 2))
	pl := CrossEntropy(px, []int{2, 1}, CrossEntropyOptions{Reduction: ReduceNone})
	if !tensor.ShapeEqual(pl.Shape(), []int{1, 1, 2}) {
		t.Fatalf("per-pixel loss shape %v, want [1 1 2]", pl.Shape())
	}
	bnTestClose(t, "per-pixel none", pl.Value.Data(), []float64{1.1802697, 0.24131133}, 1e-6)
	pl.BackwardWith(tensor.Ones(1, 1, 2))
	bnTestClose(t, "per-pixel grad", px.Grad.Data(), []float64{0.5064804, 0.039112572, 0.18632372, -0.21440297, -0.6928041, 0.17529039}, 1e-6)
}

func TestCrossEntropyPerPixelMatchesFlattened(t *testing.T) {
	// [N, K, H, W] with (n, h, w)-ordered labels equals [N·H·W, K] after
	// moving K last.
	rng := tensor.NewRNG(21)
	n, k, h, w := 2, 4, 3, 2
	x := tensor.Randn(rng, 0, 1, n, k, h, w)
	labels := make([]int, n*h*w)
	for i := range labels {
		labels[i] = rng.IntN(k)
	}
	flat := tensor.New(n*h*w, k)
	for in := range n {
		for c := range k {
			for p := range h * w {
				flat.Set(x.At(in, c, p/w, p%w), in*h*w+p, c)
			}
		}
	}
	opts := CrossEntropyOptions{LabelSmoothing: 0.1}
	a := CrossEntropy(Const(x), labels, opts).Value.Item()
	b := CrossEntropy(Const(flat), labels, opts).Value.Item()
	if math.Abs(float64(a-b)) > 1e-6 {
		t.Fatalf("per-pixel loss %g, flattened %g", a, b)
	}
}

func TestCrossEntropyThreadIndependent(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	rng := tensor.NewRNG(17)
	xv := tensor.Randn(rng, 0, 2, 4, 5, 64, 64) // 16384 positions: split over threads
	labels := make([]int, 4*64*64)
	for i := range labels {
		labels[i] = rng.IntN(5)
	}
	run := func(threads int) []*tensor.Tensor {
		kernels.SetThreads(threads)
		x := Param(xv.Clone())
		l := CrossEntropy(x, labels, CrossEntropyOptions{LabelSmoothing: 0.1})
		l.Backward()
		return []*tensor.Tensor{l.Value, x.Grad}
	}
	one, many := run(1), run(3)
	for i := range one {
		if d := tensor.MaxAbsDiff(one[i], many[i]); d != 0 {
			t.Fatalf("result %d differs between 1 and 3 threads by %g", i, d)
		}
	}
}

func TestCrossEntropyPanics(t *testing.T) {
	x := Const(tensor.New(3, 4))
	bnTestPanics(t, "label 4 at index 1 out of range [0, 4)", func() {
		CrossEntropy(x, []int{0, 4, 1}, CrossEntropyOptions{})
	})
	bnTestPanics(t, "label -100 at index 2", func() {
		CrossEntropy(x, []int{0, 1, -100}, CrossEntropyOptions{})
	})
	bnTestPanics(t, "2 labels for logits of shape [3 4], want 3", func() {
		CrossEntropy(x, []int{0, 1}, CrossEntropyOptions{})
	})
	bnTestPanics(t, "label smoothing 1.5", func() {
		CrossEntropy(x, []int{0, 1, 2}, CrossEntropyOptions{LabelSmoothing: 1.5})
	})
	bnTestPanics(t, "unknown reduction", func() {
		CrossEntropy(x, []int{0, 1, 2}, CrossEntropyOptions{Reduction: 7})
	})
}

func TestMSEGradCheck(t *testing.T) {
	for _, red := range []Reduction{ReduceMean, ReduceSum, ReduceNone} {
		for _, targetGrad := range []bool{false, true} {
			name := fmt.Sprintf("%v/targetGrad=%v", red, targetGrad)
			t.Run(name, func(t *testing.T) {
				rng := tensor.NewRNG(19)
				x := Param(tensor.Randn(rng, 0, 1, 3, 2, 2))
				tv := tensor.Randn(rng, 0, 1, 3, 2, 2)
				target := Const(tv)
				if targetGrad {
					target = Param(tv)
				}
				f := func(in []*Var) *Var { return MSE(in[0], in[1], red) }
				// float32 central differences, eps 1e-2, 1e-2 relative.
				if err := CheckGrad(f, []*Var{x, target}, 1e-2, 1e-2); err != nil {
					t.Fatal(err)
				}
				if !targetGrad && target.Grad != nil {
					t.Fatal("a Const target received a gradient")
				}
			})
		}
	}
}

func TestMSEValues(t *testing.T) {
	x := Param(tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2))
	target := Const(tensor.FromSlice([]float32{0, 2, 5, 1}, 2, 2))
	// Squared errors 1, 0, 4, 9.
	none := MSE(x, target, ReduceNone)
	if !tensor.ShapeEqual(none.Shape(), []int{2, 2}) {
		t.Fatalf("none shape %v", none.Shape())
	}
	bnTestClose(t, "none", none.Value.Data(), []float64{1, 0, 4, 9}, 0)
	sum := MSE(x, target, ReduceSum)
	if len(sum.Shape()) != 0 {
		t.Fatalf("sum shape %v, want []", sum.Shape())
	}
	bnTestClose(t, "sum", sum.Value.Data(), []float64{14}, 0)
	mean := MSE(x, target, ReduceMean)
	bnTestClose(t, "mean", mean.Value.Data(), []float64{3.5}, 0)
	mean.Backward()
	// d/dx mean((x−t)²) = 2(x−t)/4.
	bnTestClose(t, "mean grad", x.Grad.Data(), []float64{0.5, 0, -1, 1.5}, 1e-7)

	bnTestPanics(t, "input of shape [2 2] and target of shape [4] differ", func() {
		MSE(x, Const(tensor.New(4)), ReduceMean)
	})
}

func TestReductionString(t *testing.T) {
	for r, want := range map[Reduction]string{ReduceMean: "mean", ReduceSum: "sum", ReduceNone: "none", 9: "Reduction(9)"} {
		if got := r.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(r), got, want)
		}
	}
}
