package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// bnTestClose fails t unless got and want agree element-wise within tol
// (absolute, scaled by max(1, |want|)).
func bnTestClose(t *testing.T, name string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	for i, w := range want {
		if d := math.Abs(float64(got[i]) - w); d > tol*math.Max(1, math.Abs(w)) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s[%d] = %.8g, want %.8g (diff %.3g)", name, i, got[i], w, d)
		}
	}
}

// bnTestPanics fails t unless f panics with a message containing want.
func bnTestPanics(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one containing %q", want)
		}
		if msg := fmt.Sprint(r); !strings.Contains(msg, want) {
			t.Fatalf("panic %q, want one containing %q", msg, want)
		}
	}()
	f()
}

func TestBatchNormGradCheck(t *testing.T) {
	shapes := [][]int{{5, 3}, {3, 2, 5}, {2, 3, 3, 3}}
	for _, shape := range shapes {
		for _, affine := range []bool{true, false} {
			for _, training := range []bool{true, false} {
				name := fmt.Sprintf("%v/affine=%v/training=%v", shape, affine, training)
				t.Run(name, func(t *testing.T) {
					rng := tensor.NewRNG(7)
					c := shape[1]
					x := Param(tensor.Randn(rng, 0.5, 2, shape...))
					inputs := []*Var{x}
					if affine {
						inputs = append(inputs,
							Param(tensor.Rand(rng, 0.5, 1.5, c)),
							Param(tensor.Rand(rng, -0.5, 0.5, c)))
					}
					rm := tensor.Rand(rng, -0.5, 0.5, c)
					rv := tensor.Rand(rng, 0.5, 2, c)
					f := func(in []*Var) *Var {
						var w, b *Var
						if affine {
							w, b = in[1], in[2]
						}
						if training {
							// Running statistics do not affect the training
							// output; leave them out so f is pure.
							return BatchNorm(in[0], w, b, nil, nil, true, 0.1, 1e-5)
						}
						return BatchNorm(in[0], w, b, rm, rv, false, 0.1, 1e-5)
					}
					// float32 central differences with eps 1e-2: agreement
					// to 1e-2 relative to the largest gradient.
					if err := CheckGrad(f, inputs, 1e-2, 1e-2); err != nil {
						t.Fatal(err)
					}
				})
			}
		}
	}
}

func TestBatchNormRunningStats(t *testing.T) {
	// One channel holding 1, 2, 3, 4 (over N=2, L=2): mean 2.5, biased
	// variance 1.25, unbiased variance 5/3.
	x := Const(tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 1, 2))
	rm := tensor.FromSlice([]float32{0}, 1)
	rv := tensor.FromSlice([]float32{1}, 1)
	y := BatchNorm(x, nil, nil, rm, rv, true, 0.1, 0)
	wantRM, wantRV := 0.1*2.5, 0.9*1+0.1*5.0/3
	bnTestClose(t, "running_mean", rm.Data(), []float64{wantRM}, 1e-7)
	bnTestClose(t, "running_var", rv.Data(), []float64{wantRV}, 1e-7)
	// The output uses the biased variance.
	s := 1 / math.Sqrt(1.25)
	bnTestClose(t, "y", y.Value.Data(), []float64{-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s}, 1e-6)

	// A second step keeps averaging.
	BatchNorm(x, nil, nil, rm, rv, true, 0.1, 0)
	bnTestClose(t, "running_mean 2", rm.Data(), []float64{0.9*wantRM + 0.25}, 1e-7)
	bnTestClose(t, "running_var 2", rv.Data(), []float64{0.9*wantRV + 0.1*5.0/3}, 1e-6)

	// Evaluation mode leaves the statistics alone.
	before := []float64{float64(rm.Data()[0]), float64(rv.Data()[0])}
	BatchNorm(x, nil, nil, rm, rv, false, 0.1, 0)
	bnTestClose(t, "stats after eval", []float32{rm.Data()[0], rv.Data()[0]}, before, 0)
}

func TestBatchNormMatchesPyTorch(t *testing.T) {
	// Values from torch 1.13: F.batch_norm(x, rm, rv, w, b, training=True,
	// momentum=0.1, eps=1e-5), y.backward(g); then the same in eval mode
	// with the updated running statistics.
	x := Param(tensor.FromSlice([]float32{1, 2, -1, 0.5, 0, 3, -2, 0.5, 1.5, 1, -1, 2}, 2, 2, 3))
	w := Param(tensor.FromSlice([]float32{1.5, -0.5}, 2))
	b := Param(tensor.FromSlice([]float32{0.1, 0.2}, 2))
	rm := tensor.FromSlice([]float32{0, 1}, 2)
	rv := tensor.FromSlice([]float32{1, 2}, 2)
	g := tensor.FromSlice([]float32{0.3, -0.2, 0.5, 1, 0.1, -0.4, 0.2, 0.7, -0.6, -0.3, 0.9, 0.4}, 2, 2, 3)

	y := BatchNorm(x, w, b, rm, rv, true, 0.1, 1e-5)
	y.BackwardWith(g)
	bnTestClose(t, "train y", y.Value.Data(), []float64{0.81206721, 1.880168, -1.3241343, 0.35971868, 0.55138111, -0.59859335, -2.3922353, 0.27801681, 1.3461176, 0.16805628, 0.93470597, -0.21526855}, 1e-5)
	bnTestClose(t, "running_mean", rm.Data(), []float64{0.033333335, 0.99166667}, 1e-6)
	bnTestClose(t, "running_var", rv.Data(), []float64{1.1366667, 2.0041666}, 1e-6)
	bnTestClose(t, "train dx", x.Grad.Data(), []float64{0.27153775, -0.095528737, 0.15119007, -0.23312435, 0.1617782, 0.05397962, -0.33622408, 0.61528611, -0.60626101, 0.2152878, -0.045061335, -0.15285991}, 1e-5)
	bnTestClose(t, "train dw", w.Grad.Data(), []float64{-1.3173243, -2.0380104}, 1e-5)
	bnTestClose(t, "train db", b.Grad.Data(), []float64{0.9, 1.7}, 1e-6)

	x.ZeroGrad()
	w.ZeroGrad()
	b.ZeroGrad()
	y = BatchNorm(x, w, b, rm, rv, false, 0.1, 1e-5)
	y.BackwardWith(g)
	bnTestClose(t, "eval y", y.Value.Data(), []float64{1.4600332, 2.8669641, -1.3538287, 0.37364918, 0.55024159, -0.50931275, -2.7607596, 0.75656778, 2.1634986, 0.1970568, 0.90342641, -0.15612799}, 1e-5)
	bnTestClose(t, "eval dx", x.Grad.Data(), []float64{0.42207929, -0.2813862, 0.70346546, -0.35318482, -0.035318483, 0.14127393, 0.2813862, 0.9848516, -0.84415859, 0.10595545, -0.31786633, -0.14127393}, 1e-5)
	bnTestClose(t, "eval dw", w.Grad.Data(), []float64{-1.4819673, -1.9678282}, 1e-5)
}

func TestBatchNormGradientsAccumulate(t *testing.T) {
	rng := tensor.NewRNG(3)
	x := Param(tensor.Randn(rng, 0, 1, 4, 3, 2))
	w := Param(tensor.Ones(3))
	b := Param(tensor.New(3))
	g := tensor.Randn(rng, 0, 1, 4, 3, 2)
	BatchNorm(x, w, b, nil, nil, true, 0.1, 1e-5).BackwardWith(g)
	once := []*tensor.Tensor{x.Grad.Clone(), w.Grad.Clone(), b.Grad.Clone()}
	BatchNorm(x, w, b, nil, nil, true, 0.1, 1e-5).BackwardWith(g)
	for i, v := range []*Var{x, w, b} {
		for j, got := range v.Grad.Data() {
			if want := 2 * once[i].Data()[j]; math.Abs(float64(got-want)) > 1e-5 {
				t.Fatalf("input %d element %d: after two passes %g, want %g", i, j, got, want)
			}
		}
	}
}

func TestBatchNormThreadIndependent(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	rng := tensor.NewRNG(11)
	// Many small channels so that several goroutines share them.
	xv := tensor.Randn(rng, 1, 3, 8, 64, 40)
	g := tensor.Randn(rng, 0, 1, 8, 64, 40)
	run := func(threads int) []*tensor.Tensor {
		kernels.SetThreads(threads)
		x := Param(xv.Clone())
		w := Param(tensor.Full(1.5, 64))
		b := Param(tensor.Full(0.5, 64))
		rm, rv := tensor.New(64), tensor.Ones(64)
		y := BatchNorm(x, w, b, rm, rv, true, 0.1, 1e-5)
		y.BackwardWith(g)
		return []*tensor.Tensor{y.Value, x.Grad, w.Grad, b.Grad, rm, rv}
	}
	one, many := run(1), run(4)
	for i := range one {
		if d := tensor.MaxAbsDiff(one[i], many[i]); d != 0 {
			t.Fatalf("result %d differs between 1 and 4 threads by %g", i, d)
		}
	}
}

func TestBatchNormNoGradRecordsNothing(t *testing.T) {
	x := Param(tensor.FromSlice([]float32{1, 2, 3, 4}, 4, 1))
	restore := NoGrad()
	y := BatchNorm(x, nil, nil, nil, nil, true, 0.1, 1e-5)
	restore()
	if y.RequiresGrad() {
		t.Fatal("BatchNorm under NoGrad requires a gradient")
	}
	if y.Op() != "BatchNorm" {
		t.Fatalf("op %q", y.Op())
	}
}

func TestBatchNormPanics(t *testing.T) {
	x1 := Const(tensor.New(1, 3))
	bnTestPanics(t, "expected more than 1 value per channel when training", func() {
		BatchNorm(x1, nil, nil, nil, nil, true, 0.1, 1e-5)
	})
	// One sample with several pixels is fine in training mode.
	BatchNorm(Const(tensor.New(1, 3, 2, 2)), nil, nil, nil, nil, true, 0.1, 1e-5)
	// And one value per channel is fine in evaluation mode.
	BatchNorm(x1, nil, nil, tensor.New(3), tensor.Ones(3), false, 0.1, 1e-5)

	x := Const(tensor.New(2, 3, 4))
	bnTestPanics(t, "must be set in evaluation mode", func() {
		BatchNorm(x, nil, nil, nil, nil, false, 0.1, 1e-5)
	})
	bnTestPanics(t, "weight of shape [4]", func() {
		BatchNorm(x, Param(tensor.Ones(4)), nil, nil, nil, true, 0.1, 1e-5)
	})
	bnTestPanics(t, "bias of shape [3 1]", func() {
		BatchNorm(x, nil, Param(tensor.Ones(3, 1)), nil, nil, true, 0.1, 1e-5)
	})
	bnTestPanics(t, "runningVar of shape [2]", func() {
		BatchNorm(x, nil, nil, tensor.New(3), tensor.New(2), true, 0.1, 1e-5)
	})
	bnTestPanics(t, "both be set or both be nil", func() {
		BatchNorm(x, nil, nil, tensor.New(3), nil, true, 0.1, 1e-5)
	})
	bnTestPanics(t, "at least 2 dimensions", func() {
		BatchNorm(Const(tensor.New(5)), nil, nil, nil, nil, true, 0.1, 1e-5)
	})
}

// BenchmarkBatchNormTrain times a training-mode BatchNorm forward and
// backward on a CIFAR ResNet-20 activation at batch 128 ([128, 16, 32, 32]),
// alone and fused with the ReLU that follows it (BatchNormReLU).
func BenchmarkBatchNormTrain(b *testing.B) {
	for _, relu := range []bool{false, true} {
		b.Run(fmt.Sprintf("relu=%v", relu), func(b *testing.B) {
			g := tensor.NewRNG(1)
			x := Param(tensor.Randn(g, 0, 1, 128, 16, 32, 32))
			w := Param(tensor.Randn(g, 1, 0.1, 16))
			bias := Param(tensor.Randn(g, 0, 0.1, 16))
			rm, rv := tensor.New(16), tensor.Full(1, 16)
			gy := tensor.Randn(g, 0, 1, 128, 16, 32, 32)
			bn := BatchNorm
			if relu {
				bn = BatchNormReLU
			}
			b.ReportAllocs()
			for b.Loop() {
				x.Grad, w.Grad, bias.Grad = nil, nil, nil
				bn(x, w, bias, rm, rv, true, 0.1, 1e-5).BackwardWith(gy)
			}
		})
	}
}
