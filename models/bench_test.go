package models

import (
	"testing"

	"convnet/nn"
	"convnet/ops"
	"convnet/optim"
	"convnet/tensor"
)

// BenchmarkLeNet5TrainStep times one SGD training step (forward, backward,
// update) of LeNet-5 on a batch of 64 MNIST-sized images.
func BenchmarkLeNet5TrainStep(b *testing.B) {
	g := tensor.NewRNG(1)
	m := NewLeNet5(g, 1, 10, false)
	x := ops.Const(tensor.Randn(g, 0, 1, 64, 1, 28, 28))
	y := make([]int, 64)
	for i := range y {
		y[i] = i % 10
	}
	opt := optim.NewSGD(nn.Parameters(m), optim.SGDConfig{LR: 0.01, Momentum: 0.9})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		opt.ZeroGrad()
		ops.CrossEntropy(m.Forward(x), y, ops.CrossEntropyOptions{}).Backward()
		opt.Step()
	}
	b.ReportMetric(float64(64*b.N)/b.Elapsed().Seconds(), "img/s")
}
