package ops_test

import (
	"math"
	"testing"

	"convnet/models"
	"convnet/nn"
	"convnet/ops"
	"convnet/optim"
	"convnet/tensor"
)

// TestBackwardFreeZoo trains models of the zoo for three SGD steps with
// Backward and again with BackwardFree, every recycled buffer filled with
// NaN before an op gets it: the losses and the parameters after each step
// must have the same bits. This covers every op the models use (auxiliary
// classifiers, squeeze-and-excitation, depthwise convolutions, concat,
// up-sampling, per-pixel losses) with their values given back for reuse
// as the backward pass goes.
func TestBackwardFreeZoo(t *testing.T) {
	defer ops.SetPoisonRecycled(true)()
	cases := []struct {
		name  string
		batch int
		in    [3]int
	}{
		{"lenet5", 8, [3]int{1, 28, 28}},
		{"resnet20", 4, [3]int{3, 32, 32}},
		{"resnet20_proj", 4, [3]int{3, 32, 32}},
		{"resnet18", 2, [3]int{3, 64, 64}},
		{"mobilenet_v2", 2, [3]int{3, 64, 64}},
		{"efficientnet_b0", 2, [3]int{3, 64, 64}},
		{"googlenet", 2, [3]int{3, 96, 96}},
		{"unet_small", 4, [3]int{1, 28, 28}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := func(free bool) (losses []float32, params []*tensor.Tensor) {
				g := tensor.NewRNG(9)
				m, err := models.New(c.name, g, models.Options{InChannels: c.in[0]})
				if err != nil {
					t.Fatal(err)
				}
				nn.Train(m)
				x := ops.Const(tensor.Randn(g, 0, 1, c.batch, c.in[0], c.in[1], c.in[2]))
				opt := optim.NewSGD(nn.Parameters(m), optim.SGDConfig{LR: 0.01, Momentum: 0.9})
				var labels []int
				for step := 0; step < 3; step++ {
					opt.ZeroGrad()
					var out *ops.Var
					var aux []*ops.Var
					if am, ok := m.(models.AuxModel); ok {
						out, aux = am.ForwardAux(x)
					} else {
						out = m.Forward(x)
					}
					if labels == nil {
						positions := out.Value.Len() / out.Value.Dim(1)
						for i := 0; i < positions; i++ {
							labels = append(labels, (7*i+3)%out.Value.Dim(1))
						}
					}
					loss := ops.CrossEntropy(out, labels, ops.CrossEntropyOptions{})
					for _, a := range aux {
						loss = ops.Add(loss, ops.Scale(ops.CrossEntropy(a, labels, ops.CrossEntropyOptions{}), 0.3))
					}
					losses = append(losses, loss.Value.Item())
					if free {
						loss.BackwardFree()
					} else {
						loss.Backward()
					}
					opt.Step()
				}
				for _, p := range nn.Parameters(m) {
					params = append(params, p.V.Value.Clone())
				}
				return losses, params
			}
			wantLoss, want := run(false)
			gotLoss, got := run(true)
			for i := range wantLoss {
				if math.Float32bits(gotLoss[i]) != math.Float32bits(wantLoss[i]) || math.IsNaN(float64(gotLoss[i])) {
					t.Fatalf("step %d: loss %v with BackwardFree, %v with Backward", i+1, gotLoss[i], wantLoss[i])
				}
			}
			for i := range want {
				gd, wd := got[i].Data(), want[i].Data()
				for j := range wd {
					if math.Float32bits(gd[j]) != math.Float32bits(wd[j]) {
						t.Fatalf("parameter %d element %d: %v with BackwardFree, %v with Backward", i, j, gd[j], wd[j])
					}
				}
			}
		})
	}
}
