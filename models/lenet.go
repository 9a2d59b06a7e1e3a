package models

import (
	"convnet/nn"
	"convnet/ops"
	"convnet/tensor"
)

// LeNet5 is LeCun et al.'s LeNet-5 ("Gradient-based learning applied to
// document recognition", Proc. IEEE 1998) for 1×28×28 input, in the modern
// form of ../shared/conformance/lenet5 (ReLU and max pooling):
//
//	layer   op                          output
//	conv1   conv 5×5, 6, pad 2 → ReLU   6×28×28
//	        max pool 2×2                6×14×14
//	conv2   conv 5×5, 16 → ReLU         16×10×10
//	        max pool 2×2                16×5×5
//	fc1     linear 400→120 → ReLU
//	fc2     linear 120→84 → ReLU
//	fc3     linear 84→classes
//
// 61,706 parameters for 10 classes. With Classic set it is the 1998 variant:
// tanh activations and 2×2 average pooling in place of ReLU and max pooling.
type LeNet5 struct {
	nn.Base
	Conv1, Conv2  *nn.Conv2d
	FC1, FC2, FC3 *nn.Linear
	Classic       bool
}

// NewLeNet5 builds LeNet-5 for inChannels×28×28 images with numClasses
// outputs, initialised from g.
func NewLeNet5(g *tensor.RNG, inChannels, numClasses int, classic bool) *LeNet5 {
	return &LeNet5{
		Conv1:   nn.Conv(g, inChannels, 6, 5, 1, 2),
		Conv2:   nn.Conv(g, 6, 16, 5, 1, 0),
		FC1:     nn.NewLinear(g, 16*5*5, 120, true),
		FC2:     nn.NewLinear(g, 120, 84, true),
		FC3:     nn.NewLinear(g, 84, numClasses, true),
		Classic: classic,
	}
}

// Forward maps x [N, C, 28, 28] to logits [N, classes].
func (m *LeNet5) Forward(x *ops.Var) *ops.Var {
	act, pool := ops.ReLU, func(v *ops.Var) *ops.Var {
		return ops.MaxPool2d(v, ops.Pool2dOptions{Kernel: [2]int{2, 2}})
	}
	if m.Classic {
		act, pool = ops.Tanh, func(v *ops.Var) *ops.Var {
			return ops.AvgPool2d(v, ops.Pool2dOptions{Kernel: [2]int{2, 2}})
		}
	}
	x = pool(act(m.Conv1.Forward(x)))
	x = pool(act(m.Conv2.Forward(x)))
	x = ops.Flatten(x)
	x = act(m.FC1.Forward(x))
	x = act(m.FC2.Forward(x))
	return m.FC3.Forward(x)
}

// Children names the layers as PyTorch's state_dict does.
func (m *LeNet5) Children() []nn.Child {
	return []nn.Child{{Name: "conv1", Module: m.Conv1}, {Name: "conv2", Module: m.Conv2},
		{Name: "fc1", Module: m.FC1}, {Name: "fc2", Module: m.FC2}, {Name: "fc3", Module: m.FC3}}
}
