package ops

import (
	"fmt"
	"math"
	"testing"

	"convnet/internal/kernels"
	"convnet/tensor"
)

func TestInstanceNormValues(t *testing.T) {
	// One plane [1, 2, 3, 4]: mean 2.5, biased variance 1.25.
	x := Param(tensor.FromSlice([]float32{1, 2, 3, 4}, 1, 1, 4))
	scale := Param(tensor.FromSlice([]float32{2}, 1))
	bias := Param(tensor.FromSlice([]float32{1}, 1))
	y := InstanceNorm(x, scale, bias, 0)
	is := 1 / math.Sqrt(1.25)
	xh := []float64{-1.5 * is, -0.5 * is, 0.5 * is, 1.5 * is}
	exClose(t, "out", y.Value.Data(), []float64{2*xh[0] + 1, 2*xh[1] + 1, 2*xh[2] + 1, 2*xh[3] + 1}, 1e-6)
	// Seed g = [1, 0, 0, 0]: mean(g) = 1/4, mean(g·x̂) = x̂₀/4, so
	// dx_i = γ·invstd·(g_i − 1/4 − x̂_i·x̂₀/4), dγ = x̂₀, dβ = 1.
	y.BackwardWith(tensor.FromSlice([]float32{1, 0, 0, 0}, 1, 1, 4))
	want := make([]float64, 4)
	for i := range want {
		g := 0.0
		if i == 0 {
			g = 1
		}
		want[i] = 2 * is * (g - 0.25 - xh[i]*xh[0]/4)
	}
	exClose(t, "grad x", x.Grad.Data(), want, 1e-6)
	exClose(t, "grad scale", scale.Grad.Data(), []float64{xh[0]}, 1e-6)
	exClose(t, "grad bias", bias.Grad.Data(), []float64{1}, 1e-6)

	// Per-channel affine on [2, 2, 2]: channel 1 has γ = −1, β = 3; eps 1
	// (plane [0, 2]: mean 1, var 1, x̂ = ∓1/√2).
	x2 := Const(tensor.FromSlice([]float32{0, 2, 0, 2, 5, 5, 4, 6}, 2, 2, 2))
	y2 := InstanceNorm(x2, Const(tensor.FromSlice([]float32{1, -1}, 2)), Const(tensor.FromSlice([]float32{0, 3}, 2)), 1)
	r := 1 / math.Sqrt2
	exClose(t, "affine", y2.Value.Data(), []float64{-r, r, 3 + r, 3 - r, 0, 0, 3 + r, 3 - r}, 1e-6)
}

func TestInstanceNormMatchesBatchNorm(t *testing.T) {
	// Instance norm of [N, C, S] is batch norm (training, no affine) of
	// [1, N·C, S].
	rng := tensor.NewRNG(4)
	xt := tensor.Randn(rng, 0.5, 2, 3, 4, 5, 6)
	g := tensor.Rand(rng, -1, 1, 3, 4, 5, 6)
	a := Param(xt.Clone())
	ya := InstanceNorm(a, nil, nil, 1e-5)
	ya.BackwardWith(g.Clone())
	b := Param(xt.Clone())
	yb := BatchNorm(Reshape(b, 1, 12, 30), nil, nil, nil, nil, true, 0.1, 1e-5)
	yb.BackwardWith(g.Reshape(1, 12, 30).Clone())
	if d := tensor.MaxAbsDiff(ya.Value, yb.Value.Reshape(3, 4, 5, 6)); d > 1e-5 {
		t.Errorf("forward differs from BatchNorm by %g", d)
	}
	if d := tensor.MaxAbsDiff(a.Grad, b.Grad); d > 1e-5 {
		t.Errorf("gradient differs from BatchNorm by %g", d)
	}
}

func TestInstanceNormGradCheck(t *testing.T) {
	for _, shape := range [][]int{{2, 3, 5}, {2, 2, 3, 3}, {1, 3, 2, 2, 2}} {
		for _, affine := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v_affine=%v", shape, affine), func(t *testing.T) {
				rng := tensor.NewRNG(8)
				c := shape[1]
				in := []*Var{Param(tensor.Randn(rng, 0.3, 1.5, shape...))}
				if affine {
					in = append(in, Param(tensor.Rand(rng, 0.5, 1.5, c)), Param(tensor.Rand(rng, -0.5, 0.5, c)))
				}
				f := func(v []*Var) *Var {
					if len(v) == 3 {
						return InstanceNorm(v[0], v[1], v[2], 1e-5)
					}
					return InstanceNorm(v[0], nil, nil, 1e-5)
				}
				// Normalisation amplifies the float32 rounding of the
				// perturbed input: eps 1e-2, tolerance 1e-2.
				if err := CheckGrad(f, in, 1e-2, 1e-2); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
	exPanics(t, func() { InstanceNorm(Const(tensor.New(2, 3)), nil, nil, 1e-5) }, "InstanceNorm", "[2 3]")
	exPanics(t, func() { InstanceNorm(Const(tensor.New(2, 3, 4)), Const(tensor.New(4)), nil, 1e-5) }, "InstanceNorm", "scale", "[4]", "[2 3 4]")
	exPanics(t, func() { InstanceNorm(Const(tensor.New(2, 3, 4)), nil, Const(tensor.New(3, 1)), 1e-5) }, "InstanceNorm", "bias", "[3 1]")
}

func TestGlobalMaxPool2d(t *testing.T) {
	nan := float32(math.NaN())
	// Planes: distinct values, a tie (first wins), a NaN (last NaN wins).
	x := Param(tensor.FromSlice([]float32{
		1, 5, 3, 2,
		4, 1, 4, 0,
		nan, 9, nan, 1,
	}, 1, 3, 2, 2))
	y := GlobalMaxPool2d(x)
	if !tensor.ShapeEqual(y.Shape(), []int{1, 3, 1, 1}) {
		t.Fatalf("shape %v", y.Shape())
	}
	exClose(t, "out", y.Value.Data(), []float64{5, 4, math.NaN()}, 0)
	y.BackwardWith(tensor.FromSlice([]float32{1, 2, 3}, 1, 3, 1, 1))
	exClose(t, "grad", x.Grad.Data(), []float64{0, 1, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0}, 0)
	// Against MaxPool2d with the whole plane as kernel.
	z := Param(tensor.Rand(tensor.NewRNG(6), -1, 1, 2, 3, 4, 5))
	if d := tensor.MaxAbsDiff(GlobalMaxPool2d(z).Value, MaxPool2d(z, Pool2dOptions{Kernel: [2]int{4, 5}}).Value); d != 0 {
		t.Errorf("differs from MaxPool2d by %g", d)
	}
	// Distinct values 0.1 apart, so a perturbation of 1e-2 never moves the
	// maximum.
	perm := tensor.NewRNG(3).Perm(72)
	d := make([]float32, 72)
	for i, p := range perm {
		d[i] = float32(p) / 10
	}
	if err := CheckGrad(func(in []*Var) *Var { return GlobalMaxPool2d(in[0]) },
		[]*Var{Param(tensor.FromSlice(d, 2, 3, 3, 4))}, 1e-2, 1e-3); err != nil {
		t.Fatal(err)
	}
	exPanics(t, func() { GlobalMaxPool2d(Const(tensor.New(2, 3, 4))) }, "GlobalMaxPool2d", "[2 3 4]")
	exPanics(t, func() { GlobalMaxPool2d(Const(tensor.New(2, 3, 0, 4))) }, "GlobalMaxPool2d", "[2 3 0 4]")
}

// nxDepthToSpaceLoop is DepthToSpace written as the ONNX definition's loop.
func nxDepthToSpaceLoop(x *tensor.Tensor, b int, mode string) *tensor.Tensor {
	n, c, h, w := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	c2 := c / (b * b)
	out := tensor.New(n, c2, h*b, w*b)
	for in := 0; in < n; in++ {
		for oc := 0; oc < c2; oc++ {
			for y := 0; y < h*b; y++ {
				for z := 0; z < w*b; z++ {
					i, j := y%b, z%b
					src := (i*b+j)*c2 + oc
					if mode == DepthToSpaceCRD {
						src = oc*b*b + i*b + j
					}
					out.Set(x.At(in, src, y/b, z/b), in, oc, y, z)
				}
			}
		}
	}
	return out
}

func TestDepthToSpace(t *testing.T) {
	x := txArange(1, 8, 1, 1)
	txWant(t, "DCR", DepthToSpace(x, 2, DepthToSpaceDCR).Value, []int{1, 2, 2, 2}, []float64{0, 2, 4, 6, 1, 3, 5, 7})
	txWant(t, "CRD", DepthToSpace(x, 2, DepthToSpaceCRD).Value, []int{1, 2, 2, 2}, []float64{0, 1, 2, 3, 4, 5, 6, 7})
	big := txArange(2, 18, 2, 3)
	for _, mode := range []string{DepthToSpaceDCR, DepthToSpaceCRD} {
		for _, b := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s_b%d", mode, b), func(t *testing.T) {
				got := DepthToSpace(big, b, mode).Value
				want := nxDepthToSpaceLoop(big.Value, b, mode)
				txWant(t, "loop", got, want.Shape(), func() []float64 {
					v := make([]float64, want.Len())
					for i, f := range want.Data() {
						v[i] = float64(f)
					}
					return v
				}())
				txCheck(t, []int{2, 9, 2, 3}, func(x *Var) *Var { return DepthToSpace(x, b, mode) })
			})
		}
	}
	exPanics(t, func() { DepthToSpace(big, 4, DepthToSpaceDCR) }, "DepthToSpace", "[2 18 2 3]", "16")
	exPanics(t, func() { DepthToSpace(big, 3, "RCD") }, "DepthToSpace", `"RCD"`)
	exPanics(t, func() { DepthToSpace(txArange(4, 2, 2), 2, DepthToSpaceDCR) }, "DepthToSpace", "[4 2 2]")
}

func TestSpaceToDepth(t *testing.T) {
	// [1, 1, 2, 4] by 2: channel (i·2 + j) holds pixels (i, 2w + j).
	x := txArange(1, 1, 2, 4)
	txWant(t, "values", SpaceToDepth(x, 2).Value, []int{1, 4, 1, 2}, []float64{0, 2, 1, 3, 4, 6, 5, 7})
	z := txArange(2, 3, 4, 6)
	for _, b := range []int{1, 2} {
		back := DepthToSpace(SpaceToDepth(z, b), b, DepthToSpaceDCR).Value
		if d := tensor.MaxAbsDiff(back, z.Value); d != 0 || !tensor.SameShape(back, z.Value) {
			t.Errorf("b=%d: DepthToSpace(SpaceToDepth(x)) differs from x", b)
		}
	}
	txCheck(t, []int{2, 2, 4, 6}, func(x *Var) *Var { return SpaceToDepth(x, 2) })
	exPanics(t, func() { SpaceToDepth(z, 4) }, "SpaceToDepth", "[2 3 4 6]", "divisible by 4")
	exPanics(t, func() { SpaceToDepth(z, 0) }, "SpaceToDepth", "blocksize 0")
}

func TestOnnxOpsThreadIndependent(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	// Large enough for several chunks in every parallel loop.
	run := func(threads int) []*tensor.Tensor {
		kernels.SetThreads(threads)
		x := Param(tensor.Randn(tensor.NewRNG(21), 0, 1, 4, 16, 40, 40))
		s := Param(tensor.Rand(tensor.NewRNG(22), 0.5, 1.5, 16))
		z := Add(InstanceNorm(x, s, nil, 1e-5), Transpose(Transpose(x, []int{0, 2, 3, 1}), []int{0, 3, 1, 2}))
		p := Pad(z, []int{0, 0, 2, 1, 0, 0, 0, 3}, PadReflect, 0)
		out := Mul(p, Pad(z, []int{0, 0, 2, 1, 0, 0, 0, 3}, PadConstant, 0.5))
		out.BackwardWith(tensor.Randn(tensor.NewRNG(23), 0, 1, out.Shape()...))
		return []*tensor.Tensor{out.Value, x.Grad, s.Grad}
	}
	one, four := run(1), run(4)
	for i := range one {
		if d := tensor.MaxAbsDiff(one[i], four[i]); d != 0 {
			t.Errorf("tensor %d differs by %g between 1 and 4 threads", i, d)
		}
	}
}
