package nn

import (
	"fmt"

	"convnet/ops"
	"convnet/tensor"
)

// SEConfig configures a Squeeze-and-Excitation block. Zero values mean the
// paper's defaults: squeeze channels Channels/16, ReLU, sigmoid gate, 1×1
// convolutions as the two FC layers.
type SEConfig struct {
	Channels int // C: channels of the input and of the output
	// Squeeze is the width of the bottleneck; 0 means
	// max(1, Channels/Reduction).
	Squeeze int
	// Reduction is the ratio r of Hu et al. (0 means 16); used only when
	// Squeeze is 0.
	Reduction int
	// Linear makes the FC layers Linear layers on [N, C] (SE-ResNet, Hu et
	// al.; weights [S, C] and [C, S]) instead of 1×1 convolutions on
	// [N, C, 1, 1] (torchvision's SqueezeExcitation, EfficientNet; weights
	// [S, C, 1, 1] and [C, S, 1, 1]). The arithmetic is the same.
	Linear bool
	// Activation is δ, the non-linearity between the FC layers: any name
	// Activation knows; "" means "relu" (EfficientNet uses "silu").
	Activation string
	// Gate is σ, the scale non-linearity; "" means "sigmoid".
	Gate string
}

// SE is a Squeeze-and-Excitation block (Hu et al., "Squeeze-and-Excitation
// Networks", arXiv:1709.01507, Fig. 1 and eq. 2–4): it rescales each channel
// of x [N, C, H, W] by a gate computed from the channel means:
//
//	s = σ(FC2(δ(FC1(avgpool(x)))))   s: [N, C, 1, 1]
//	y = s ⊙ x                        y: [N, C, H, W]
//
// Both FC layers have a bias. Its parameters are named fc1.weight, fc1.bias,
// fc2.weight, fc2.bias, as in torchvision's SqueezeExcitation.
type SE struct {
	Base
	FC1    Module // *Conv2d [S, C, 1, 1] or *Linear [S, C]
	FC2    Module // *Conv2d [C, S, 1, 1] or *Linear [C, S]
	Act    *Func  // δ
	Gate   *Func  // σ
	Config SEConfig
}

// NewSE builds an SE block with PyTorch's default initialisation drawn
// from g.
func NewSE(g *tensor.RNG, c SEConfig) *SE {
	if c.Channels < 1 {
		panic(fmt.Sprintf("nn: SE config %+v is invalid", c))
	}
	if c.Reduction == 0 {
		c.Reduction = 16
	}
	if c.Squeeze == 0 {
		c.Squeeze = max(1, c.Channels/c.Reduction)
	}
	if c.Activation == "" {
		c.Activation = "relu"
	}
	if c.Gate == "" {
		c.Gate = "sigmoid"
	}
	s := &SE{Act: Activation(c.Activation), Gate: Activation(c.Gate), Config: c}
	if c.Linear {
		s.FC1 = NewLinear(g, c.Channels, c.Squeeze, true)
		s.FC2 = NewLinear(g, c.Squeeze, c.Channels, true)
	} else {
		s.FC1 = Conv(g, c.Channels, c.Squeeze, 1, 1, 0)
		s.FC2 = Conv(g, c.Squeeze, c.Channels, 1, 1, 0)
	}
	return s
}

// Forward rescales the channels of x [N, C, H, W].
func (s *SE) Forward(x *ops.Var) *ops.Var {
	sh := x.Value.Shape()
	if len(sh) != 4 || sh[1] != s.Config.Channels {
		panic(fmt.Sprintf("nn: SE(%d) got input %v, want [N, %d, H, W]", s.Config.Channels, sh, s.Config.Channels))
	}
	z := ops.GlobalAvgPool2d(x) // [N, C, 1, 1]
	if s.Config.Linear {
		z = ops.Reshape(z, sh[0], sh[1]) // [N, C]
	}
	z = s.Gate.Forward(s.FC2.Forward(s.Act.Forward(s.FC1.Forward(z))))
	if s.Config.Linear {
		z = ops.Reshape(z, sh[0], sh[1], 1, 1)
	}
	return ops.Mul(x, z) // [N, C, H, W] ⊙ [N, C, 1, 1]
}

// Children names the two FC layers fc1 and fc2.
func (s *SE) Children() []Child {
	return []Child{{Name: "fc1", Module: s.FC1}, {Name: "fc2", Module: s.FC2}}
}
