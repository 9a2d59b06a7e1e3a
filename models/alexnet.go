package models

import (
	"convnet/nn"
	"convnet/ops"
	"convnet/tensor"
)

// AlexNet is Krizhevsky, Sutskever & Hinton's network ("ImageNet
// classification with deep convolutional neural networks", NeurIPS 2012)
// in torchvision 0.14's one-tower form, which follows Krizhevsky's "One
// weird trick" (arXiv:1404.5997): 64/192/384/256/256 channels, no grouping
// and no local response normalisation (see NewAlexNetLRN for the 2012 form).
//
//	index        layer                                  output (224×224 input)
//	features.0   conv 11×11/4, pad 2, 64 → ReLU         64×55×55
//	features.2   max pool 3×3/2                         64×27×27
//	features.3   conv 5×5, pad 2, 192 → ReLU            192×27×27
//	features.5   max pool 3×3/2                         192×13×13
//	features.6   conv 3×3, pad 1, 384 → ReLU            384×13×13
//	features.8   conv 3×3, pad 1, 256 → ReLU            256×13×13
//	features.10  conv 3×3, pad 1, 256 → ReLU            256×13×13
//	features.12  max pool 3×3/2                         256×6×6
//	avgpool      adaptive average pool to 6×6           256×6×6
//	classifier   dropout → fc 9216→4096 → ReLU → dropout → fc 4096→4096 → ReLU → fc 4096→classes
//
// 61,100,840 parameters for 1000 classes. Parameter names are torchvision's
// (features.0.weight … classifier.6.bias). The smallest input is 63×63:
// below that the last max pool has no window (so MNIST's 28×28 must be
// resized); the adaptive pool makes any larger size give 9216 features.
type AlexNet struct {
	nn.Base
	Features   *nn.Sequential // [N, C, H, W] → [N, 256, h, w]
	AvgPool    *nn.Func       // [N, 256, h, w] → [N, 256, 6, 6]
	Classifier *nn.Sequential // [N, 9216] → [N, classes]
}

// alexNetMinInput is the smallest height and width both AlexNet forms
// accept.
const alexNetMinInput = 63

// alexMaxPool is AlexNet's overlapping pooling: 3×3 windows with stride 2.
func alexMaxPool() *nn.Func {
	return nn.MaxPool2d(ops.Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}})
}

// alexReLU returns a ReLU module.
func alexReLU() *nn.Func { return nn.Activation("relu") }

// NewAlexNet builds torchvision's AlexNet for inChannels-channel images with
// numClasses outputs and PyTorch's default initialisation drawn from g.
func NewAlexNet(g *tensor.RNG, inChannels, numClasses int) *AlexNet {
	return &AlexNet{
		Features: nn.NewSequential(
			nn.Conv(g, inChannels, 64, 11, 4, 2), alexReLU(), // 0, 1
			alexMaxPool(),                            // 2
			nn.Conv(g, 64, 192, 5, 1, 2), alexReLU(), // 3, 4
			alexMaxPool(),                             // 5
			nn.Conv(g, 192, 384, 3, 1, 1), alexReLU(), // 6, 7
			nn.Conv(g, 384, 256, 3, 1, 1), alexReLU(), // 8, 9
			nn.Conv(g, 256, 256, 3, 1, 1), alexReLU(), // 10, 11
			alexMaxPool(), // 12
		),
		AvgPool:    nn.AdaptiveAvgPool2d(6, 6),
		Classifier: alexNetClassifier(g, numClasses),
	}
}

// alexNetClassifier is the fully connected head shared by both AlexNets:
// dropout → fc 9216→4096 → ReLU → dropout → fc 4096→4096 → ReLU → fc
// 4096→classes, at indices 0 … 6.
func alexNetClassifier(g *tensor.RNG, numClasses int) *nn.Sequential {
	return nn.NewSequential(
		nn.NewDropout(g, 0.5), nn.NewLinear(g, 256*6*6, 4096, true), alexReLU(), // 0, 1, 2
		nn.NewDropout(g, 0.5), nn.NewLinear(g, 4096, 4096, true), alexReLU(), // 3, 4, 5
		nn.NewLinear(g, 4096, numClasses, true), // 6
	)
}

// Forward maps x [N, C, H, W] (H, W ≥ 63) to logits [N, classes].
func (m *AlexNet) Forward(x *ops.Var) *ops.Var {
	x = m.AvgPool.Forward(m.Features.Forward(x)) // [N, 256, 6, 6]
	return m.Classifier.Forward(ops.Flatten(x))  // [N, classes]
}

// Children names the parts as torchvision does.
func (m *AlexNet) Children() []nn.Child {
	return []nn.Child{{Name: "features", Module: m.Features}, {Name: "avgpool", Module: m.AvgPool},
		{Name: "classifier", Module: m.Classifier}}
}

func init() {
	register(Spec{Name: "alexnet", Paper: "Krizhevsky et al. 2012, NeurIPS; torchvision 0.14 form after Krizhevsky 2014, arXiv:1404.5997 — input ≥ 63×63",
		Input: [3]int{3, 224, 224}, Classes: 1000,
		build: func(g *tensor.RNG, o Options) nn.Module { return NewAlexNet(g, o.InChannels, o.NumClasses) }})
}
