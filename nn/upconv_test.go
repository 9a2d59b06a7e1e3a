package nn

import (
	"math"
	"testing"

	"convnet/ops"
	"convnet/tensor"
)

// TestConvTranspose2dInit checks PyTorch's default initialisation of a
// transposed convolution: fan_in = Out/Groups·KH·KW (the weight's second
// dimension), so weight and bias lie in ±1/√fan_in and fill that range.
func TestConvTranspose2dInit(t *testing.T) {
	l := NewConvTranspose2d(tensor.NewRNG(3), ConvTranspose2dConfig{In: 64, Out: 8, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}, Groups: 2})
	if got := l.Weight.Value.Shape(); !tensor.ShapeEqual(got, []int{64, 4, 2, 2}) {
		t.Fatalf("weight shape %v, want [64 4 2 2]", got)
	}
	bound := 1 / math.Sqrt(4*2*2) // kaiming_uniform(a=√5) gives 1/√fan_in
	for name, v := range map[string]*tensor.Tensor{"weight": l.Weight.Value, "bias": l.Bias.Value} {
		m := v.MaxAbs()
		if m > bound || (name == "weight" && m < 0.9*bound) {
			t.Errorf("%s: max |v| = %.4f, want ≤ %.4f and close to it", name, m, bound)
		}
	}
	names := ""
	for _, p := range Parameters(l) {
		names += p.Name + " "
	}
	if names != "weight bias " {
		t.Errorf("parameters %q", names)
	}
}

func TestConvTranspose2dForwardSize(t *testing.T) {
	l := NewConvTranspose2d(tensor.NewRNG(1), ConvTranspose2dConfig{In: 3, Out: 2, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}})
	x := ops.Const(tensor.New(1, 3, 7, 7))
	if s := l.Forward(x).Value.Shape(); !tensor.ShapeEqual(s, []int{1, 2, 14, 14}) {
		t.Fatalf("Forward: %v", s)
	}
	if s := l.ForwardSize(x, 15, 14).Value.Shape(); !tensor.ShapeEqual(s, []int{1, 2, 15, 14}) {
		t.Fatalf("ForwardSize(15, 14): %v", s)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("ForwardSize(16, 14) did not panic")
		}
	}()
	l.ForwardSize(x, 16, 14)
}

func TestUpsampleModule(t *testing.T) {
	u := NewUpsample(ops.UpsampleOptions{Mode: "bilinear", Scale: [2]float64{2, 2}, AlignCorners: true})
	x := ops.Const(tensor.New(2, 3, 5, 4))
	if s := u.Forward(x).Value.Shape(); !tensor.ShapeEqual(s, []int{2, 3, 10, 8}) {
		t.Fatalf("Forward: %v", s)
	}
	if s := u.ForwardSize(x, 11, 9).Value.Shape(); !tensor.ShapeEqual(s, []int{2, 3, 11, 9}) {
		t.Fatalf("ForwardSize: %v", s)
	}
	if len(Parameters(u)) != 0 {
		t.Fatal("Upsample has parameters")
	}
}
