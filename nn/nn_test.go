package nn

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"convnet/ops"
	"convnet/tensor"
)

func TestDottedNamesAndStateDict(t *testing.T) {
	g := tensor.NewRNG(1)
	inner := NewSequential(Conv(g, 3, 4, 3, 1, 1), Flatten())
	m := NewSequential(inner, NewLinear(g, 4*5*5, 2, false))
	var names []string
	for _, p := range Parameters(m) {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, ","); got != "0.0.weight,0.0.bias,1.weight" {
		t.Fatalf("names %s", got)
	}
	if n := NumParams(m); n != 4*3*9+4+100*2 {
		t.Fatalf("NumParams %d", n)
	}
	y := m.Forward(ops.Const(tensor.New(2, 3, 5, 5)))
	if !tensor.ShapeEqual(y.Value.Shape(), []int{2, 2}) {
		t.Fatalf("output shape %v", y.Value.Shape())
	}
	sd := StateDict(m)
	src := map[string]*tensor.Tensor{}
	for k, v := range sd {
		src[k] = tensor.Full(0.5, v.Shape()...)
	}
	if err := LoadStateDict(m, src); err != nil {
		t.Fatal(err)
	}
	if m.Layers[1].(*Linear).Weight.Value.At(1, 7) != 0.5 {
		t.Fatal("LoadStateDict did not copy")
	}
	bad := map[string]*tensor.Tensor{}
	for k, v := range src {
		bad[k] = v
	}
	bad["1.weight"] = tensor.New(3, 100)
	err := LoadStateDict(m, bad)
	if err == nil || !strings.Contains(err.Error(), "1.weight") || !strings.Contains(err.Error(), "[2 100]") {
		t.Fatalf("shape mismatch error %v", err)
	}
	delete(bad, "1.weight")
	if err := LoadStateDict(m, bad); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing key error %v", err)
	}
	bad["1.weight"], bad["extra"] = src["1.weight"], tensor.New(1)
	if err := LoadStateDict(m, bad); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Fatalf("extra key error %v", err)
	}
}

func moments(d []float32) (mean, std, maxAbs float64) {
	for _, v := range d {
		mean += float64(v)
		maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
	}
	mean /= float64(len(d))
	for _, v := range d {
		std += (float64(v) - mean) * (float64(v) - mean)
	}
	return mean, math.Sqrt(std / float64(len(d))), maxAbs
}

func TestPyTorchDefaultInitDistribution(t *testing.T) {
	g := tensor.NewRNG(2)
	c := Conv(g, 16, 64, 3, 1, 1) // fan_in 144: weights and bias U(-1/12, 1/12)
	_, std, mx := moments(c.Weight.Value.Data())
	bound := 1 / 12.0
	if mx > bound || math.Abs(std-bound/math.Sqrt(3)) > 0.05*bound {
		t.Errorf("conv weight std %g max %g, want U(±%g)", std, mx, bound)
	}
	if _, _, bmx := moments(c.Bias.Value.Data()); bmx > bound {
		t.Errorf("conv bias max %g > %g", bmx, bound)
	}
	w := tensor.New(256, 128)
	KaimingNormal(w, g, 0, "fan_out", "relu")
	if _, std, _ := moments(w.Data()); math.Abs(std-math.Sqrt(2.0/256)) > 0.03*math.Sqrt(2.0/256) {
		t.Errorf("kaiming normal std %g", std)
	}
	XavierUniform(w, g, 1)
	if _, _, mx := moments(w.Data()); mx > math.Sqrt(6.0/384) {
		t.Errorf("xavier bound exceeded: %g", mx)
	}
	if in, out := Fans([]int{8, 4, 3, 3}); in != 36 || out != 72 {
		t.Errorf("fans %d %d", in, out)
	}
}

func TestConvSamePaddingKeepsSize(t *testing.T) {
	g := tensor.NewRNG(3)
	c := NewConv2d(g, Conv2dConfig{In: 2, Out: 3, Kernel: [2]int{4, 3}, Same: true})
	y := c.Forward(ops.Const(tensor.New(1, 2, 9, 7)))
	if !tensor.ShapeEqual(y.Value.Shape(), []int{1, 3, 9, 7}) {
		t.Fatalf("same conv output %v", y.Value.Shape())
	}
}

func TestTrainEvalWalk(t *testing.T) {
	g := tensor.NewRNG(4)
	l := NewLinear(g, 2, 2, true)
	m := NewSequential(NewSequential(l))
	Train(m)
	if !l.Training() {
		t.Fatal("Train did not reach a nested layer")
	}
	Eval(m)
	if l.Training() {
		t.Fatal("Eval did not reach a nested layer")
	}
}

func TestBatchNormModuleModes(t *testing.T) {
	bn := NewBatchNorm2d(3)
	names := []string{}
	for _, p := range Parameters(NewSequential(bn)) {
		names = append(names, p.Name)
	}
	sd := StateDict(NewSequential(bn))
	if strings.Join(names, ",") != "0.weight,0.bias" || sd["0.running_mean"] == nil || sd["0.running_var"] == nil {
		t.Fatalf("params %v, state %v", names, sd)
	}
	g := tensor.NewRNG(5)
	x := ops.Const(tensor.Randn(g, 2, 3, 4, 3, 5, 5))
	Train(bn)
	bn.Forward(x)
	if bn.RunningMean.Data()[0] == 0 {
		t.Fatal("training forward did not update running mean")
	}
	Eval(bn)
	before := bn.RunningMean.Clone()
	bn.Forward(x)
	if tensor.MaxAbsDiff(before, bn.RunningMean) != 0 {
		t.Fatal("eval forward changed running mean")
	}
}

func TestDropoutModule(t *testing.T) {
	d := NewDropout(tensor.NewRNG(1), 0.5)
	x := ops.Const(tensor.Ones(1000))
	Eval(d)
	if d.Forward(x) != x {
		t.Fatal("eval dropout is not the identity")
	}
	Train(d)
	zeros := 0
	for _, v := range d.Forward(x).Value.Data() {
		if v == 0 {
			zeros++
		} else if v != 2 {
			t.Fatalf("kept value %v, want 2", v)
		}
	}
	if zeros < 400 || zeros > 600 {
		t.Fatalf("%d of 1000 dropped at p=0.5", zeros)
	}
}

// TestSequentialFusesBatchNormActivation checks that a BatchNorm followed
// by Activation("relu") or ("relu6") in a Sequential gives the values and
// gradients of running the two layers one after the other, bit for bit, in
// training and in evaluation; that a Func named "relu6" but not made by
// Activation is left alone; and that Trace still sees both layers.
func TestSequentialFusesBatchNormActivation(t *testing.T) {
	for _, act := range []string{"relu", "relu6"} {
		for _, training := range []bool{true, false} {
			run := func(fused bool) []*tensor.Tensor {
				g := tensor.NewRNG(9)
				bn := NewBatchNorm2d(4)
				for i := range bn.Weight.Value.Data() {
					bn.Weight.Value.Data()[i] = 3 + float32(i) // outputs past 6
				}
				a := Activation(act)
				s := NewSequential(bn, a)
				if !training {
					Eval(s)
				}
				x := ops.Param(tensor.Randn(g, 0.3, 2, 3, 4, 5, 5))
				var y *ops.Var
				if fused {
					y = s.Forward(x)
					if want := map[string]string{"relu": "BatchNormReLU", "relu6": "BatchNormReLU6"}[act]; y.Op() != want {
						t.Fatalf("%s: Sequential ran op %q, want the fused %q", act, y.Op(), want)
					}
				} else {
					y = a.Forward(bn.Forward(x))
				}
				ops.Sum(ops.Mul(y, ops.Const(tensor.Randn(g, 0, 1, 3, 4, 5, 5)))).Backward()
				return []*tensor.Tensor{y.Value, x.Grad, bn.Weight.Grad, bn.Bias.Grad, bn.RunningMean, bn.RunningVar}
			}
			got, want := run(true), run(false)
			for i := range got {
				for j, v := range got[i].Data() {
					if math.Float32bits(v) != math.Float32bits(want[i].Data()[j]) {
						t.Fatalf("%s training %v: tensor %d [%d] = %v, layer by layer %v", act, training, i, j, v, want[i].Data()[j])
					}
				}
			}
		}
	}
	// A look-alike Func is not fused: its own F runs.
	bn := NewBatchNorm2d(2)
	double := &Func{Name: "relu6", F: func(x *ops.Var) *ops.Var { return ops.Scale(x, 2) }}
	x := ops.Const(tensor.Randn(tensor.NewRNG(1), 0, 1, 2, 2, 3, 3))
	y := NewSequential(bn, double).Forward(x)
	z := ops.Scale(bn.Forward(x), 2)
	for j, v := range y.Value.Data() {
		if v != z.Value.Data()[j] {
			t.Fatalf("look-alike Func: [%d] = %v, want %v", j, v, z.Value.Data()[j])
		}
	}
	var seen []string
	Trace(func(m Module, in, out *ops.Var) { seen = append(seen, fmt.Sprintf("%T", m)) }, func() {
		NewSequential(NewBatchNorm2d(2), Activation("relu6")).Forward(x)
	})
	if len(seen) != 2 {
		t.Fatalf("Trace saw %v, want the batch norm and the activation", seen)
	}
}
