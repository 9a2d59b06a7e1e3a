package ops

import (
	"fmt"
	"math"
	"testing"

	"convnet/tensor"
)

// txArange returns a Param holding 0, 1, 2, … in the given shape.
func txArange(shape ...int) *Var {
	t := tensor.New(shape...)
	for i := range t.Data() {
		t.Data()[i] = float32(i)
	}
	return Param(t)
}

// txWant compares a Var's shape and values exactly.
func txWant(t *testing.T, what string, got *tensor.Tensor, shape []int, vals []float64) {
	t.Helper()
	if !tensor.ShapeEqual(got.Shape(), shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape(), shape)
	}
	exClose(t, what, got.Data(), vals, 0)
}

// txOnesGrad back-propagates ones from out and returns x's gradient.
func txOnesGrad(x, out *Var) []float32 {
	out.BackwardWith(tensor.Full(1, out.Value.Shape()...))
	if x.Grad == nil {
		return make([]float32, x.Value.Len())
	}
	return x.Grad.Data()
}

// txCheck runs CheckGrad on f of one random input of the given shape.
func txCheck(t *testing.T, shape []int, f func(x *Var) *Var) {
	t.Helper()
	x := Param(tensor.Rand(tensor.NewRNG(11), -1, 1, shape...))
	if err := CheckGrad(func(in []*Var) *Var { return f(in[0]) }, []*Var{x}, 1e-2, 1e-3); err != nil {
		t.Fatal(err)
	}
}

func TestTranspose(t *testing.T) {
	x := txArange(2, 3)
	txWant(t, "2-d", Transpose(x, []int{1, 0}).Value, []int{3, 2}, []float64{0, 3, 1, 4, 2, 5})
	txWant(t, "nil perm", Transpose(x, nil).Value, []int{3, 2}, []float64{0, 3, 1, 4, 2, 5})
	x3 := txArange(2, 3, 4)
	y := Transpose(x3, []int{2, 0, 1}) // y[k, i, j] = x[i, j, k]
	if !tensor.ShapeEqual(y.Shape(), []int{4, 2, 3}) {
		t.Fatalf("shape %v", y.Shape())
	}
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 4; k++ {
				if got, want := y.Value.At(k, i, j), x3.Value.At(i, j, k); got != want {
					t.Fatalf("y[%d,%d,%d] = %v, want %v", k, i, j, got, want)
				}
			}
		}
	}
	g := txOnesGrad(x3, Mul(y, Const(txArange(4, 2, 3).Value)))
	// ∂/∂x[i,j,k] = weight[k, i, j] = k·6 + i·3 + j.
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 4; k++ {
				if got := g[(i*3+j)*4+k]; got != float32(k*6+i*3+j) {
					t.Fatalf("grad[%d,%d,%d] = %v", i, j, k, got)
				}
			}
		}
	}
	for _, c := range []struct{ shape, perm []int }{
		{[]int{3, 4}, []int{1, 0}},
		{[]int{2, 3, 4, 5}, []int{0, 2, 3, 1}}, // NCHW → NHWC
		{[]int{2, 3, 4, 5}, []int{0, 3, 1, 2}}, // NHWC → NCHW
		{[]int{2, 1, 3, 1}, []int{3, 2, 0, 1}}, // size-1 dimensions
		{[]int{2, 3, 4}, []int{0, 1, 2}},       // identity
		{[]int{}, []int{}},                     // scalar
	} {
		t.Run(fmt.Sprintf("%v_%v", c.shape, c.perm), func(t *testing.T) {
			txCheck(t, c.shape, func(x *Var) *Var { return Transpose(x, c.perm) })
		})
	}
	exPanics(t, func() { Transpose(x3, []int{0, 0, 1}) }, "Transpose", "[0 0 1]", "[2 3 4]")
	exPanics(t, func() { Transpose(x3, []int{1, 0}) }, "Transpose", "[2 3 4]")
}

func TestSlice(t *testing.T) {
	x := txArange(10)
	cases := []struct {
		name                      string
		starts, ends, axes, steps []int
		want                      []float64
	}{
		{"plain", []int{2}, []int{7}, nil, nil, []float64{2, 3, 4, 5, 6}},
		{"neg_start_to_end", []int{-3}, []int{math.MaxInt}, []int{0}, nil, []float64{7, 8, 9}},
		{"reverse", []int{-1}, []int{math.MinInt}, nil, []int{-1}, []float64{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"step_minus3", []int{8}, []int{1}, nil, []int{-3}, []float64{8, 5, 2}},
		{"step3", []int{0}, []int{10}, []int{-1}, []int{3}, []float64{0, 3, 6, 9}},
		{"empty", []int{5}, []int{2}, nil, nil, []float64{}},
		{"clamp_high", []int{100}, []int{200}, nil, nil, []float64{}},
		{"clamp_low", []int{-100}, []int{3}, nil, nil, []float64{0, 1, 2}},
		{"neg_step_clamp", []int{100}, []int{-100}, nil, []int{-4}, []float64{9, 5, 1}},
		{"neg_end", []int{1}, []int{-7}, nil, nil, []float64{1, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x.ZeroGrad()
			y := Slice(x, c.starts, c.ends, c.axes, c.steps)
			txWant(t, "out", y.Value, []int{len(c.want)}, c.want)
			if len(c.want) > 0 {
				g := txOnesGrad(x, y)
				wantG := make([]float64, 10)
				for _, v := range c.want {
					wantG[int(v)] = 1
				}
				exClose(t, "grad", g, wantG, 0)
			}
		})
	}
	x2 := txArange(3, 4)
	txWant(t, "2-d last axis", Slice(x2, []int{1}, []int{3}, []int{-1}, nil).Value, []int{3, 2},
		[]float64{1, 2, 5, 6, 9, 10})
	txWant(t, "2-d both axes reversed", Slice(x2, []int{-1, 3}, []int{0, math.MinInt}, []int{1, 0}, []int{-2, -2}).Value,
		[]int{2, 2}, []float64{11, 9, 3, 1})
	for _, c := range []struct {
		name                      string
		starts, ends, axes, steps []int
	}{
		{"axis1_step2", []int{0}, []int{5}, []int{1}, []int{2}},
		{"neg_axes_neg_steps", []int{-1, 3}, []int{0, math.MinInt}, []int{-1, -3}, []int{-2, -1}},
		{"crop_hw", []int{1, 1}, []int{-1, -1}, []int{2, 3}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			txCheck(t, []int{2, 5, 4, 3}, func(x *Var) *Var { return Slice(x, c.starts, c.ends, c.axes, c.steps) })
		})
	}
	exPanics(t, func() { Slice(x2, []int{0}, []int{1}, []int{2}, nil) }, "Slice", "axis 2", "[3 4]")
	exPanics(t, func() { Slice(x2, []int{0}, []int{1}, nil, []int{0}) }, "Slice", "step 0", "[3 4]")
	exPanics(t, func() { Slice(x2, []int{0, 0}, []int{1, 1}, []int{1, -1}, nil) }, "Slice", "repeated", "[3 4]")
	exPanics(t, func() { Slice(x2, []int{0}, []int{1, 2}, nil, nil) }, "Slice", "[3 4]", "length")
}

func TestSplit(t *testing.T) {
	x := txArange(2, 5)
	parts := Split(x, -1, []int{2, 0, 3})
	txWant(t, "part 0", parts[0].Value, []int{2, 2}, []float64{0, 1, 5, 6})
	txWant(t, "part 1", parts[1].Value, []int{2, 0}, []float64{})
	txWant(t, "part 2", parts[2].Value, []int{2, 3}, []float64{2, 3, 4, 7, 8, 9})
	// Only the last piece used: the gradient reaches only its part of x.
	g := txOnesGrad(x, Scale(parts[2], 2))
	exClose(t, "grad", g, []float64{0, 0, 2, 2, 2, 0, 0, 2, 2, 2}, 0)
	txCheck(t, []int{2, 6, 3}, func(x *Var) *Var {
		p := Split(x, 1, []int{1, 2, 3})
		return Concat(1, Scale(p[2], 3), p[0], Scale(p[1], -2))
	})
	exPanics(t, func() { Split(x, 1, []int{2, 2}) }, "Split", "[2 5]", "add up to 4, want 5")
	exPanics(t, func() { Split(x, 2, []int{2}) }, "Split", "axis 2", "[2 5]")
}

func TestGather(t *testing.T) {
	x := txArange(3, 4)
	cases := []struct {
		name     string
		axis     int
		idx, ish []int
		shape    []int
		want     []float64
		grad     []float64
	}{
		{"axis0", 0, []int{2, 0}, nil, []int{2, 4},
			[]float64{8, 9, 10, 11, 0, 1, 2, 3}, []float64{1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1}},
		{"axis1_negative_repeated", 1, []int{-1, 1, 3}, nil, []int{3, 3},
			[]float64{3, 1, 3, 7, 5, 7, 11, 9, 11}, []float64{0, 1, 0, 2, 0, 1, 0, 2, 0, 1, 0, 2}},
		{"axis_minus1_2d_indices", -1, []int{0, 1, 2, 3}, []int{2, 2}, []int{3, 2, 2},
			[]float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"scalar_index", 0, []int{-2}, []int{}, []int{4},
			[]float64{4, 5, 6, 7}, []float64{0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0}},
		{"axis0_2d_indices", 0, []int{0, 2, 2, 1}, []int{2, 2}, []int{2, 2, 4},
			[]float64{0, 1, 2, 3, 8, 9, 10, 11, 8, 9, 10, 11, 4, 5, 6, 7}, []float64{1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x.ZeroGrad()
			y := Gather(x, c.axis, c.idx, c.ish)
			txWant(t, "out", y.Value, c.shape, c.want)
			exClose(t, "grad", txOnesGrad(x, y), c.grad, 0)
		})
	}
	txCheck(t, []int{2, 4, 3}, func(x *Var) *Var { return Gather(x, 1, []int{3, -4, 3, 1, 0, 1}, []int{3, 2}) })
	txCheck(t, []int{2, 4, 3}, func(x *Var) *Var { return Gather(x, -1, []int{2}, []int{}) })
	exPanics(t, func() { Gather(x, 1, []int{4}, nil) }, "Gather", "[3 4]", "index 4 out of range [-4, 4)")
	exPanics(t, func() { Gather(x, 0, []int{-4}, nil) }, "Gather", "index -4")
	exPanics(t, func() { Gather(x, 0, []int{0, 1, 2}, []int{2, 2}) }, "Gather", "3 indices", "[2 2]")
	exPanics(t, func() { Gather(x, -3, []int{0}, nil) }, "Gather", "axis -3", "[3 4]")
}

func TestPad1d(t *testing.T) {
	cases := []struct {
		mode       string
		pads       []int
		want, grad []float64
	}{
		{PadConstant, []int{2, 2}, []float64{9, 9, 1, 2, 3, 9, 9}, []float64{1, 1, 1}},
		{PadReflect, []int{2, 2}, []float64{3, 2, 1, 2, 3, 2, 1}, []float64{2, 3, 2}},
		{PadEdge, []int{2, 2}, []float64{1, 1, 1, 2, 3, 3, 3}, []float64{3, 1, 3}},
		{PadWrap, []int{2, 2}, []float64{2, 3, 1, 2, 3, 1, 2}, []float64{2, 3, 2}},
		{PadWrap, []int{4, 0}, []float64{3, 1, 2, 3, 1, 2, 3}, []float64{2, 2, 3}},
		{PadEdge, []int{0, 4}, []float64{1, 2, 3, 3, 3, 3, 3}, []float64{1, 1, 5}},
		{PadConstant, []int{-1, 1}, []float64{2, 3, 9}, []float64{0, 1, 1}},
		{PadReflect, []int{-2, 2}, []float64{3, 2, 1}, []float64{1, 1, 1}},
		{PadConstant, []int{-1, -2}, []float64{}, []float64{0, 0, 0}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s_%v", c.mode, c.pads), func(t *testing.T) {
			x := Param(tensor.FromSlice([]float32{1, 2, 3}, 3))
			y := Pad(x, c.pads, c.mode, 9)
			txWant(t, "out", y.Value, []int{len(c.want)}, c.want)
			if len(c.want) > 0 {
				exClose(t, "grad", txOnesGrad(x, y), c.grad, 0)
			}
		})
	}
}

func TestPad2d(t *testing.T) {
	x := Param(tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2))
	// One row on top, one column on the right.
	for _, c := range []struct {
		mode string
		want []float64
	}{
		{PadConstant, []float64{-1, -1, -1, 1, 2, -1, 3, 4, -1}},
		{PadReflect, []float64{3, 4, 3, 1, 2, 1, 3, 4, 3}},
		{PadEdge, []float64{1, 2, 2, 1, 2, 2, 3, 4, 4}},
		{PadWrap, []float64{3, 4, 3, 1, 2, 1, 3, 4, 3}},
	} {
		txWant(t, c.mode, Pad(x, []int{1, 0, 0, 1}, c.mode, -1).Value, []int{3, 3}, c.want)
	}
	// NCHW padding of H and W only, every mode, asymmetric and cropping pads.
	for _, mode := range []string{PadConstant, PadReflect, PadEdge, PadWrap} {
		for _, pads := range [][]int{
			{0, 0, 1, 2, 0, 0, 2, 1},
			{0, 0, 0, 3, 0, 0, 1, 0},
			{0, 0, -1, 2, 0, 0, 1, -2},
			{1, 0, 1, 1, 0, 1, 1, 1}, // N and C too
		} {
			t.Run(fmt.Sprintf("%s_%v", mode, pads), func(t *testing.T) {
				txCheck(t, []int{2, 2, 4, 5}, func(x *Var) *Var { return Pad(x, pads, mode, 0.5) })
			})
		}
	}
	exPanics(t, func() { Pad(x, []int{1, 1}, PadConstant, 0) }, "Pad", "[2 2]", "2 pads")
	exPanics(t, func() { Pad(x, []int{2, 0, 0, 0}, PadReflect, 0) }, "Pad", "[2 2]", "reflect padding of 2, 0 on dimension 0 of length 2")
	exPanics(t, func() { Pad(x, []int{0, 0, 0, 0}, "symmetric", 0) }, "Pad", "[2 2]", `"symmetric"`)
	exPanics(t, func() { Pad(x, []int{-2, 0, -1, 0}, PadConstant, 0) }, "Pad", "[2 2]", "length -1")
	exPanics(t, func() { Pad(Const(tensor.New(0, 2)), []int{1, 0, 0, 0}, PadEdge, 0) }, "Pad", "[0 2]", "edge")
}

func TestTile(t *testing.T) {
	x := txArange(2, 3)
	y := Tile(x, []int{2, 2})
	txWant(t, "out", y.Value, []int{4, 6}, []float64{
		0, 1, 2, 0, 1, 2,
		3, 4, 5, 3, 4, 5,
		0, 1, 2, 0, 1, 2,
		3, 4, 5, 3, 4, 5})
	exClose(t, "grad", txOnesGrad(x, y), []float64{4, 4, 4, 4, 4, 4}, 0)
	txWant(t, "zero repeat", Tile(txArange(2, 3), []int{0, 1}).Value, []int{0, 3}, []float64{})
	txCheck(t, []int{2, 3, 2}, func(x *Var) *Var { return Tile(x, []int{1, 2, 3}) })
	exPanics(t, func() { Tile(x, []int{2}) }, "Tile", "[2 3]", "[2]")
	exPanics(t, func() { Tile(x, []int{2, -1}) }, "Tile", "[2 3]", "negative")
}

func TestExpand(t *testing.T) {
	x := txArange(3, 1)
	y := Expand(x, []int{2, 1, 4})
	want := make([]float64, 0, 24)
	for n := 0; n < 2; n++ {
		for c := 0; c < 3; c++ {
			for w := 0; w < 4; w++ {
				want = append(want, float64(c))
			}
		}
	}
	txWant(t, "out", y.Value, []int{2, 3, 4}, want)
	exClose(t, "grad", txOnesGrad(x, y), []float64{8, 8, 8}, 0)
	txWant(t, "shape smaller than x", Expand(txArange(2, 3), []int{3}).Value, []int{2, 3}, []float64{0, 1, 2, 3, 4, 5})
	txWant(t, "scalar", Expand(Const(tensor.Scalar(7)), []int{2}).Value, []int{2}, []float64{7, 7})
	for _, c := range []struct{ x, shape []int }{
		{[]int{3, 1}, []int{2, 3, 4}},
		{[]int{1, 4, 1}, []int{3, 1, 2}},
		{[]int{4}, []int{2, 1, 4}},
	} {
		t.Run(fmt.Sprintf("%v_%v", c.x, c.shape), func(t *testing.T) {
			txCheck(t, c.x, func(x *Var) *Var { return Expand(x, c.shape) })
		})
	}
	exPanics(t, func() { Expand(x, []int{2, 2}) }, "Expand", "[3 1]", "[2 2]")
}

func TestSqueezeUnsqueeze(t *testing.T) {
	x := txArange(1, 3, 1, 2)
	for _, c := range []struct {
		axes, want []int
	}{
		{[]int{0, -2}, []int{3, 2}},
		{nil, []int{3, 2}},
		{[]int{2}, []int{1, 3, 2}},
	} {
		if got := Squeeze(x, c.axes).Shape(); !tensor.ShapeEqual(got, c.want) {
			t.Errorf("Squeeze(%v) shape %v, want %v", c.axes, got, c.want)
		}
	}
	if got := Squeeze(Const(tensor.New(1, 1)), nil).Shape(); len(got) != 0 {
		t.Errorf("Squeeze to a scalar: shape %v", got)
	}
	y := txArange(3, 4)
	for _, c := range []struct {
		axes, want []int
	}{
		{[]int{0, -1}, []int{1, 3, 4, 1}},
		{[]int{1}, []int{3, 1, 4}},
		{[]int{3, 0}, []int{1, 3, 4, 1}},
		{[]int{-3}, []int{1, 3, 4}},
		{[]int{-2}, []int{3, 1, 4}},
	} {
		if got := Unsqueeze(y, c.axes).Shape(); !tensor.ShapeEqual(got, c.want) {
			t.Errorf("Unsqueeze(%v) shape %v, want %v", c.axes, got, c.want)
		}
	}
	txCheck(t, []int{3, 4}, func(x *Var) *Var { return Squeeze(Unsqueeze(x, []int{1, -1}), []int{3}) })
	exPanics(t, func() { Squeeze(x, []int{1}) }, "Squeeze", "[1 3 1 2]", "axis 1 has length 3")
	exPanics(t, func() { Unsqueeze(y, []int{4}) }, "Unsqueeze", "axis 4", "[3 4]")
	exPanics(t, func() { Unsqueeze(y, []int{1, 1}) }, "Unsqueeze", "repeated")
}

func TestSumMeanAxes(t *testing.T) {
	x := txArange(2, 3) // [[0 1 2] [3 4 5]]
	cases := []struct {
		name  string
		mean  bool
		axes  []int
		keep  bool
		shape []int
		want  []float64
		grad  float64
	}{
		{"sum_axis0", false, []int{0}, false, []int{3}, []float64{3, 5, 7}, 1},
		{"sum_axis_minus1_keep", false, []int{-1}, true, []int{2, 1}, []float64{3, 12}, 1},
		{"sum_all", false, nil, false, []int{}, []float64{15}, 1},
		{"sum_all_keep", false, []int{0, 1}, true, []int{1, 1}, []float64{15}, 1},
		{"mean_axis1", true, []int{1}, false, []int{2}, []float64{1, 4}, 1.0 / 3},
		{"mean_axis0_keep", true, []int{0}, true, []int{1, 3}, []float64{1.5, 2.5, 3.5}, 0.5},
		{"mean_all", true, []int{}, false, []int{}, []float64{2.5}, 1.0 / 6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x.ZeroGrad()
			f := SumAxes
			if c.mean {
				f = MeanAxes
			}
			y := f(x, c.axes, c.keep)
			txWant(t, "out", y.Value, c.shape, c.want)
			g := txOnesGrad(x, y)
			exClose(t, "grad", g, []float64{c.grad, c.grad, c.grad, c.grad, c.grad, c.grad}, 1e-7)
		})
	}
	for _, c := range []struct {
		axes []int
		keep bool
	}{
		{[]int{1}, false}, {[]int{-1, 0}, true}, {[]int{2, 3}, true}, {nil, false}, {[]int{1, 3}, false},
	} {
		for _, mean := range []bool{false, true} {
			t.Run(fmt.Sprintf("gradcheck_mean=%v_%v_%v", mean, c.axes, c.keep), func(t *testing.T) {
				txCheck(t, []int{2, 3, 4, 2}, func(x *Var) *Var {
					if mean {
						return MeanAxes(x, c.axes, c.keep)
					}
					return SumAxes(x, c.axes, c.keep)
				})
			})
		}
	}
	// GlobalAvgPool2d equals MeanAxes over H, W with keepdims.
	z := Param(tensor.Rand(tensor.NewRNG(2), -1, 1, 2, 3, 4, 5))
	if d := tensor.MaxAbsDiff(MeanAxes(z, []int{2, 3}, true).Value, GlobalAvgPool2d(z).Value); d > 1e-6 {
		t.Errorf("MeanAxes over H, W differs from GlobalAvgPool2d by %g", d)
	}
	exPanics(t, func() { SumAxes(x, []int{2}, false) }, "SumAxes", "axis 2", "[2 3]")
	exPanics(t, func() { MeanAxes(x, []int{1, -1}, false) }, "MeanAxes", "repeated", "[2 3]")
}

// BenchmarkPad measures forward and backward of a reflect and a constant
// pad of 1 around H and W of [8, 64, 56, 56].
func BenchmarkPad(b *testing.B) {
	x := Param(tensor.Rand(tensor.NewRNG(1), -1, 1, 8, 64, 56, 56))
	for _, mode := range []string{PadConstant, PadReflect} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(int64(4 * x.Value.Len()))
			var g *tensor.Tensor
			for b.Loop() {
				y := Pad(x, []int{0, 0, 1, 1, 0, 0, 1, 1}, mode, 0)
				if g == nil {
					g = tensor.Full(1, y.Shape()...)
				}
				y.BackwardWith(g)
			}
		})
	}
}
