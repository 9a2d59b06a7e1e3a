package models

import (
	"strings"
	"testing"

	"convnet/nn"
	"convnet/ops"
	"convnet/tensor"
)

func TestGoogLeNet(t *testing.T) {
	zooaCheck(t, "googlenet", 13004888, googLeNetMinInput)
	t.Run("noaux", func(t *testing.T) { zooaCheck(t, "googlenet-noaux", 6624904, googLeNetMinInput) })
	t.Run("options", func(t *testing.T) { zooaOptions(t, "googlenet", googLeNetMinInput) })
	// The 6,624,904 of torchvision's googlenet(aux_logits=False) are the
	// parameters of "googlenet" outside aux1 and aux2.
	t.Run("main-params", func(t *testing.T) {
		m, _ := New("googlenet", tensor.NewRNG(0), Options{})
		main := 0
		for _, p := range nn.Parameters(m) {
			if !strings.HasPrefix(p.Name, "aux1.") && !strings.HasPrefix(p.Name, "aux2.") {
				main += p.V.Value.Len()
			}
		}
		if main != 6624904 {
			t.Errorf("googlenet has %d parameters outside aux1 and aux2, want 6,624,904", main)
		}
		if _, ok := m.(AuxModel); !ok {
			t.Error("googlenet is not an AuxModel")
		}
	})
	t.Run("aux-outputs", func(t *testing.T) {
		m := NewGoogLeNet(tensor.NewRNG(1), 3, 10, true)
		x := ops.Const(tensor.Randn(tensor.NewRNG(2), 0, 1, 2, 3, 32, 32))
		restore := ops.NoGrad()
		defer restore()
		nn.Eval(m)
		main, aux := m.ForwardAux(x)
		if len(aux) != 0 || !tensor.ShapeEqual(main.Value.Shape(), []int{2, 10}) {
			t.Fatalf("eval: main %v, %d aux outputs; want [2 10] and none", main.Value.Shape(), len(aux))
		}
		if d := tensor.MaxAbsDiff(main.Value, m.Forward(x).Value); d != 0 {
			t.Errorf("eval: ForwardAux and Forward differ by %g", d)
		}
		nn.Train(m)
		main, aux = m.ForwardAux(x)
		if len(aux) != 2 {
			t.Fatalf("train: %d aux outputs, want 2", len(aux))
		}
		for i, a := range append(aux, main) {
			if !tensor.ShapeEqual(a.Value.Shape(), []int{2, 10}) {
				t.Errorf("train: output %d has shape %v, want [2 10]", i, a.Value.Shape())
			}
		}
		n, _ := New("googlenet-noaux", tensor.NewRNG(1), Options{NumClasses: 10})
		nn.Train(n)
		if _, aux := n.(AuxModel).ForwardAux(x); len(aux) != 0 {
			t.Errorf("googlenet-noaux gave %d aux outputs", len(aux))
		}
	})
	// Training with the auxiliary losses weighted 0.3, as AuxModel says.
	t.Run("trains", func(t *testing.T) {
		m := NewGoogLeNet(tensor.NewRNG(4), 3, 10, true)
		x, y := zooaBatch(5, 2, 3, 32, 10)
		ce := func(v *ops.Var) *ops.Var { return ops.CrossEntropy(v, y, ops.CrossEntropyOptions{}) }
		zooaOverfit(t, m, 0.01, 20, func() *ops.Var {
			main, aux := m.ForwardAux(x)
			if len(aux) != 2 {
				t.Fatalf("%d aux outputs in training", len(aux))
			}
			return ops.Add(ce(main), ops.Scale(ops.Add(ce(aux[0]), ce(aux[1])), 0.3))
		})
	})
}
