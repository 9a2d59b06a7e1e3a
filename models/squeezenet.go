package models

import (
	"convnet/nn"
	"convnet/ops"
	"convnet/tensor"
)

// SqueezeNet is Iandola et al.'s SqueezeNet ("SqueezeNet: AlexNet-level
// accuracy with 50x fewer parameters and <0.5MB model size",
// arXiv:1602.07360) in its version 1.1 (from the SqueezeNet repository,
// 2.4× less computation than 1.0), exactly as torchvision 0.14's
// squeezenet1_1:
//
//	index          layer                                     output (224×224 input)
//	features.0     conv 3×3/2, 64 → ReLU                     64×111×111
//	features.2     max pool 3×3/2, ceil                      64×55×55
//	features.3     fire(squeeze 16, expand 64+64)            128×55×55
//	features.4     fire(16, 64+64)                           128×55×55
//	features.5     max pool 3×3/2, ceil                      128×27×27
//	features.6     fire(32, 128+128)                         256×27×27
//	features.7     fire(32, 128+128)                         256×27×27
//	features.8     max pool 3×3/2, ceil                      256×13×13
//	features.9     fire(48, 192+192)                         384×13×13
//	features.10    fire(48, 192+192)                         384×13×13
//	features.11    fire(64, 256+256)                         512×13×13
//	features.12    fire(64, 256+256)                         512×13×13
//	classifier.0   dropout 0.5
//	classifier.1   conv 1×1, classes → ReLU                  classes×13×13
//	classifier.3   adaptive average pool to 1×1              classes
//
// 1,235,496 parameters for 1000 classes. Initialisation is torchvision's:
// Kaiming-uniform (fan_in, a = 0) convolutions, N(0, 0.01²) for the final
// one, zero biases. The smallest input is 17×17 (MNIST's 28×28 works).
type SqueezeNet struct {
	nn.Base
	Features   *nn.Sequential // [N, C, H, W] → [N, 512, h, w]
	Classifier *nn.Sequential // [N, 512, h, w] → [N, classes, 1, 1]
}

// squeezeMinInput is the smallest height and width SqueezeNet accepts.
const squeezeMinInput = 17

// Fire is SqueezeNet's module: a 1×1 "squeeze" convolution to few channels,
// then 1×1 and 3×3 "expand" convolutions side by side whose outputs are
// concatenated, every convolution followed by ReLU.
type Fire struct {
	nn.Base
	Squeeze   *nn.Conv2d // [S, In, 1, 1]
	Expand1x1 *nn.Conv2d // [E1, S, 1, 1]
	Expand3x3 *nn.Conv2d // [E3, S, 3, 3], pad 1
}

// squeezeConv is a k×k convolution with padding pad and stride stride,
// weight [out, in, k, k] Kaiming-uniform (a = 0, fan_in), bias 0.
func squeezeConv(g *tensor.RNG, in, out, k, stride, pad int) *nn.Conv2d {
	w := tensor.New(out, in, k, k)
	nn.KaimingUniform(w, g, 0, "fan_in", "leaky_relu")
	return &nn.Conv2d{Weight: ops.Param(w), Bias: ops.Param(tensor.New(out)), Config: nn.Conv2dConfig{
		In: in, Out: out, Kernel: [2]int{k, k}, Stride: [2]int{stride, stride}, Padding: [4]int{pad, pad, pad, pad}}}
}

// NewFire builds a Fire module from in channels with s squeeze channels and
// e1 + e3 output channels.
func NewFire(g *tensor.RNG, in, s, e1, e3 int) *Fire {
	return &Fire{Squeeze: squeezeConv(g, in, s, 1, 1, 0), Expand1x1: squeezeConv(g, s, e1, 1, 1, 0),
		Expand3x3: squeezeConv(g, s, e3, 3, 1, 1)}
}

// Forward maps x [N, In, H, W] to [N, E1+E3, H, W].
func (f *Fire) Forward(x *ops.Var) *ops.Var {
	s := ops.ReLU(f.Squeeze.Forward(x)) // [N, S, H, W]
	return ops.Concat(1, ops.ReLU(f.Expand1x1.Forward(s)), ops.ReLU(f.Expand3x3.Forward(s)))
}

// Children names the convolutions as torchvision does.
func (f *Fire) Children() []nn.Child {
	return []nn.Child{{Name: "squeeze", Module: f.Squeeze}, {Name: "expand1x1", Module: f.Expand1x1},
		{Name: "expand3x3", Module: f.Expand3x3}}
}

// NewSqueezeNet11 builds SqueezeNet 1.1 for inChannels-channel images with
// numClasses outputs, initialised from g.
func NewSqueezeNet11(g *tensor.RNG, inChannels, numClasses int) *SqueezeNet {
	pool := func() *nn.Func {
		return nn.MaxPool2d(ops.Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, CeilMode: true})
	}
	final := &nn.Conv2d{Weight: ops.Param(tensor.Randn(g, 0, 0.01, numClasses, 512, 1, 1)), Bias: ops.Param(tensor.New(numClasses)),
		Config: nn.Conv2dConfig{In: 512, Out: numClasses, Kernel: [2]int{1, 1}}}
	return &SqueezeNet{
		Features: nn.NewSequential(
			squeezeConv(g, inChannels, 64, 3, 2, 0), nn.Activation("relu"), pool(), // 0, 1, 2
			NewFire(g, 64, 16, 64, 64), NewFire(g, 128, 16, 64, 64), pool(), // 3, 4, 5
			NewFire(g, 128, 32, 128, 128), NewFire(g, 256, 32, 128, 128), pool(), // 6, 7, 8
			NewFire(g, 256, 48, 192, 192), NewFire(g, 384, 48, 192, 192), // 9, 10
			NewFire(g, 384, 64, 256, 256), NewFire(g, 512, 64, 256, 256), // 11, 12
		),
		Classifier: nn.NewSequential(nn.NewDropout(g, 0.5), final, nn.Activation("relu"), nn.AdaptiveAvgPool2d(1, 1)),
	}
}

// Forward maps x [N, C, H, W] (H, W ≥ 17) to logits [N, classes].
func (m *SqueezeNet) Forward(x *ops.Var) *ops.Var {
	return ops.Flatten(m.Classifier.Forward(m.Features.Forward(x)))
}

// Children names the parts as torchvision does.
func (m *SqueezeNet) Children() []nn.Child {
	return []nn.Child{{Name: "features", Module: m.Features}, {Name: "classifier", Module: m.Classifier}}
}

func init() {
	register(Spec{Name: "squeezenet1_1", Paper: "Iandola et al. 2016, arXiv:1602.07360 — version 1.1 as torchvision 0.14; input ≥ 17×17",
		Input: [3]int{3, 224, 224}, Classes: 1000,
		build: func(g *tensor.RNG, o Options) nn.Module { return NewSqueezeNet11(g, o.InChannels, o.NumClasses) }})
}
