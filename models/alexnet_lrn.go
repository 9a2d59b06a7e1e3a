package models

import (
	"convnet/nn"
	"convnet/ops"
	"convnet/tensor"
)

// alexLRN returns the paper's response normalisation as a module.
func alexLRN() *nn.Func {
	return &nn.Func{Name: "LocalResponseNorm", F: func(x *ops.Var) *ops.Var { return ops.LRN(x, 5, 1e-4, 0.75, 2) }}
}

// alexGroupedConv is a k×k convolution with padding k/2 split into two
// groups, one per GPU of the paper.
func alexGroupedConv(g *tensor.RNG, in, out, k int) *nn.Conv2d {
	p := k / 2
	return nn.NewConv2d(g, nn.Conv2dConfig{In: in, Out: out, Kernel: [2]int{k, k}, Padding: [4]int{p, p, p, p}, Groups: 2})
}

// NewAlexNetLRN builds AlexNet as Krizhevsky, Sutskever & Hinton published it
// ("ImageNet classification with deep convolutional neural networks",
// NeurIPS 2012, §3 and Figure 2), with the paper's two-GPU split written as
// groups=2 convolutions: conv2, conv4 and conv5 see only the half of the
// channels on their own GPU, conv3 and the fully connected layers see all.
//
//	index        layer                                           output (224×224 input)
//	features.0   conv 11×11/4, pad 2, 96 → ReLU                  96×55×55
//	features.2   local response norm (n 5, α 1e-4, β 0.75, k 2)
//	features.3   max pool 3×3/2 (overlapping)                    96×27×27
//	features.4   conv 5×5, pad 2, 256, groups 2 → ReLU           256×27×27
//	features.6   local response norm
//	features.7   max pool 3×3/2                                  256×13×13
//	features.8   conv 3×3, pad 1, 384 → ReLU                     384×13×13
//	features.10  conv 3×3, pad 1, 384, groups 2 → ReLU           384×13×13
//	features.12  conv 3×3, pad 1, 256, groups 2 → ReLU           256×13×13
//	features.14  max pool 3×3/2                                  256×6×6
//	avgpool      adaptive average pool to 6×6                    256×6×6
//	classifier   as AlexNet's: dropout → fc 9216→4096 → ReLU → dropout → fc 4096→4096 → ReLU → fc 4096→classes
//
// 60,965,224 parameters for 1000 classes. The normalisation is
// ops.LRN(x, 5, 1e-4, 0.75, 2) with PyTorch's local_response_norm meaning,
// where α is divided by the window size n (as Caffe's reference AlexNet and
// torch.nn.LocalResponseNorm(5, 1e-4, 0.75, 2) do; the paper's formula does
// not divide). The paper's 224 input with pad 2 gives the 55×55 maps of its
// Figure 2. The adaptive pool (an identity at 224×224) is not in the paper;
// it lets inputs from 63×63 up work. Initialisation is PyTorch's default,
// not the paper's N(0, 0.01) with biases of 1. It has the AlexNet type: only
// the features differ.

func NewAlexNetLRN(g *tensor.RNG, inChannels, numClasses int) *AlexNet {
	return &AlexNet{
		Features: nn.NewSequential(
			// 0–3: conv1, ReLU, LRN, pool
			nn.Conv(g, inChannels, 96, 11, 4, 2), alexReLU(), alexLRN(), alexMaxPool(),
			// 4–7: conv2 (grouped), ReLU, LRN, pool
			alexGroupedConv(g, 96, 256, 5), alexReLU(), alexLRN(), alexMaxPool(),
			// 8–9: conv3, across both halves
			nn.Conv(g, 256, 384, 3, 1, 1), alexReLU(),
			// 10–11: conv4 (grouped)
			alexGroupedConv(g, 384, 384, 3), alexReLU(),
			// 12–14: conv5 (grouped), pool
			alexGroupedConv(g, 384, 256, 3), alexReLU(), alexMaxPool(),
		),
		AvgPool:    nn.AdaptiveAvgPool2d(6, 6),
		Classifier: alexNetClassifier(g, numClasses),
	}
}

func init() {
	register(Spec{Name: "alexnet-lrn", Paper: "Krizhevsky, Sutskever & Hinton 2012, NeurIPS 25 — LRN, grouped convs as the two-GPU split; input ≥ 63×63",
		Input: [3]int{3, 224, 224}, Classes: 1000,
		build: func(g *tensor.RNG, o Options) nn.Module { return NewAlexNetLRN(g, o.InChannels, o.NumClasses) }})
}
