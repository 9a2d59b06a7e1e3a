package models

import (
	"math"
	"path/filepath"
	"testing"

	"convnet/checkpoint"
	"convnet/nn"
	"convnet/ops"
	"convnet/optim"
	"convnet/tensor"
)

func TestLeNet5ParamCountAndNames(t *testing.T) {
	m, err := New("lenet5", tensor.NewRNG(0), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := nn.NumParams(m); n != 61706 {
		t.Fatalf("lenet5 has %d parameters, want 61,706", n)
	}
	want := []string{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"}
	for i, p := range nn.Parameters(m) {
		if p.Name != want[i] {
			t.Fatalf("parameter %d is %q, want %q", i, p.Name, want[i])
		}
	}
	c, _ := New("lenet5-1998", tensor.NewRNG(0), Options{})
	y := c.Forward(ops.Const(tensor.New(2, 1, 28, 28)))
	if !tensor.ShapeEqual(y.Value.Shape(), []int{2, 10}) {
		t.Fatalf("lenet5-1998 output %v", y.Value.Shape())
	}
	if _, err := New("lenet6", nil, Options{}); err == nil {
		t.Fatal("unknown model accepted")
	}
}

func within(t *testing.T, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	g := tensor.FromSlice(got.Data(), want.Shape()...)
	if d := tensor.MaxAbsDiff(g, want); d > tol*math.Max(1, want.MaxAbs()) {
		t.Errorf("%s: max abs error %.3g (tol %.1g × scale %.3g)", what, d, tol, want.MaxAbs())
	}
}

func labelsOf(t *tensor.Tensor) []int {
	out := make([]int, t.Len())
	for i, v := range t.Data() {
		out[i] = int(v)
	}
	return out
}

// TestLeNet5MatchesPyTorch loads PyTorch's seed-0 LeNet-5 parameters into the
// Go model and compares logits, loss, every parameter gradient and the input
// gradient, then three SGD steps (testdata/golden/lenet5.safetensors).
func TestLeNet5MatchesPyTorch(t *testing.T) {
	ts, _, err := checkpoint.Load(filepath.Join("..", "testdata", "golden", "lenet5.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	m := NewLeNet5(tensor.NewRNG(0), 1, 10, false)
	load := func() {
		sd := map[string]*tensor.Tensor{}
		for k := range nn.StateDict(m) {
			sd[k] = ts["lenet5/param/"+k]
		}
		if err := nn.LoadStateDict(m, sd); err != nil {
			t.Fatal(err)
		}
	}
	load()
	x := ops.Param(ts["lenet5/in/x"].Clone())
	logits := m.Forward(x)
	within(t, "logits", logits.Value, ts["lenet5/logits"], 1e-5)
	loss := ops.CrossEntropy(logits, labelsOf(ts["lenet5/in/target"]), ops.CrossEntropyOptions{})
	within(t, "loss", loss.Value, ts["lenet5/out"], 1e-5)
	loss.Backward()
	for _, p := range nn.Parameters(m) {
		within(t, "grad "+p.Name, p.V.Grad, ts["lenet5/grad/"+p.Name], 1e-4)
	}
	within(t, "grad x", x.Grad, ts["lenet5/grad/x"], 1e-4)

	load()
	opt := optim.NewSGD(nn.Parameters(m), optim.SGDConfig{LR: 0.01, Momentum: 0.9})
	for step := 1; step <= 3; step++ {
		s := string(rune('0' + step))
		opt.ZeroGrad()
		l := ops.CrossEntropy(m.Forward(ops.Const(ts["lenet5_sgd/batch_step"+s+"/x"])), labelsOf(ts["lenet5_sgd/batch_step"+s+"/target"]), ops.CrossEntropyOptions{})
		within(t, "loss step "+s, l.Value, ts["lenet5_sgd/loss_step"+s], 1e-5)
		l.Backward()
		opt.Step()
	}
	for _, p := range nn.Parameters(m) {
		within(t, "after 3 SGD steps "+p.Name, p.V.Value, ts["lenet5_sgd/param_step3/"+p.Name], 1e-4)
	}
}
