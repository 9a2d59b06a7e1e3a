package models

import (
	"fmt"
	"math"

	"convnet/nn"
	"convnet/ops"
	"convnet/tensor"
)

// EfficientNet B0 … B7 (Tan & Le, "EfficientNet: Rethinking Model Scaling
// for Convolutional Neural Networks", arXiv:1905.11946), exactly as
// torchvision 0.14 builds them, parameter names included
// (features.1.0.block.1.fc1.weight …).
//
// efficientnetStages is Table 1 of the paper (B0) after the stem (conv
// 3×3, 32, stride 2, BN, SiLU): MBConv stages with expansion ratio, kernel,
// stride of the first block, input and output channels and number of
// blocks; then conv 1×1 to 4× the last width (1280), BN, SiLU, average pool,
// dropout, fc.
//
//	stage  operator        resolution  channels  layers
//	1      MBConv1, k3×3   112×112     16        1
//	2      MBConv6, k3×3   112×112     24        2
//	3      MBConv6, k5×5   56×56       40        2
//	4      MBConv6, k3×3   28×28       80        3
//	5      MBConv6, k5×5   14×14       112       3
//	6      MBConv6, k5×5   14×14       192       4
//	7      MBConv6, k3×3   7×7         320       1
var efficientnetStages = []struct{ expand, kernel, stride, in, out, layers int }{
	{1, 3, 1, 32, 16, 1},
	{6, 3, 2, 16, 24, 2},
	{6, 5, 2, 24, 40, 2},
	{6, 3, 2, 40, 80, 3},
	{6, 5, 1, 80, 112, 3},
	{6, 5, 2, 112, 192, 4},
	{6, 3, 1, 192, 320, 1},
}

// efficientnetVariants is the compound scaling of B0 … B7 as torchvision
// hard-codes it: width and depth multipliers, input resolution, classifier
// dropout. B5 … B7 use BatchNorm eps 1e-3 and momentum 0.01 (the ported TF
// weights'); B0 … B4 PyTorch's defaults, eps 1e-5 and momentum 0.1.
var efficientnetVariants = []struct {
	width, depth float64
	res          int
	dropout      float32
}{
	{1.0, 1.0, 224, 0.2},
	{1.0, 1.1, 240, 0.2},
	{1.1, 1.2, 260, 0.3},
	{1.2, 1.4, 300, 0.3},
	{1.4, 1.8, 380, 0.4},
	{1.6, 2.2, 456, 0.4},
	{1.8, 2.6, 528, 0.5},
	{2.0, 3.1, 600, 0.5},
}

func init() {
	for i, v := range efficientnetVariants {
		i, v := i, v
		register(Spec{Name: fmt.Sprintf("efficientnet_b%d", i),
			Paper: "Tan & Le 2019, EfficientNet, arXiv:1905.11946 (torchvision 0.14)", Input: [3]int{3, v.res, v.res}, Classes: 1000,
			build: func(g *tensor.RNG, o Options) nn.Module {
				return NewEfficientNet(g, EfficientNetB(i, o.InChannels, o.NumClasses))
			}})
	}
}

// EfficientNetConfig configures an EfficientNet. Zero InChannels and
// NumClasses mean 3 and 1000.
type EfficientNetConfig struct {
	Width, Depth    float64 // channel and depth multipliers
	Dropout         float32 // classifier dropout
	StochasticDepth float32 // drop probability reached (exclusively) by the last block; torchvision's 0.2
	BNEps           float64
	BNMomentum      float64
	InChannels      int
	NumClasses      int
}

// EfficientNetB returns torchvision's configuration of EfficientNet-B<i>
// (i = 0 … 7).
func EfficientNetB(i, inChannels, numClasses int) EfficientNetConfig {
	v := efficientnetVariants[i]
	c := EfficientNetConfig{Width: v.width, Depth: v.depth, Dropout: v.dropout, StochasticDepth: 0.2,
		BNEps: 1e-5, BNMomentum: 0.1, InChannels: inChannels, NumClasses: numClasses}
	if i >= 5 {
		c.BNEps, c.BNMomentum = 1e-3, 0.01
	}
	return c
}

// EfficientNet is an EfficientNet: B0 has 5,288,548 parameters for 1000
// classes.
type EfficientNet struct {
	nn.Base
	Features   *nn.Sequential // 0: stem conv 3×3/2 + BN + SiLU; 1 … 7: stages of *EfficientNetMBConv; 8: conv 1×1 + BN + SiLU
	Classifier *nn.Sequential // 0: Dropout, 1: Linear [NumClasses, 4·last width]
}

// EfficientNetMBConv is a mobile inverted bottleneck with
// squeeze-and-excitation (torchvision's MBConv). Block is
//
//	[0: 1×1 expand conv + BN + SiLU, when the expansion is not 1]
//	    k×k depthwise conv with the stride + BN + SiLU
//	    SE (1×1-conv FCs, SiLU, squeeze = max(1, in/4))
//	    1×1 projection conv + BN
//
// and, when the stride is 1 and the channels agree, the output is
// StochasticDepth(Block(x)) + x.
type EfficientNetMBConv struct {
	nn.Base
	Block           *nn.Sequential
	StochasticDepth *nn.StochasticDepth
	Residual        bool
}

// efficientnetChannels is torchvision's adjust_channels:
// _make_divisible(c·width, 8).
func efficientnetChannels(c int, width float64) int {
	return mobilenetMakeDivisible(float64(c)*width, 8)
}

// NewEfficientNet builds an EfficientNet initialised as torchvision does:
// convolutions from kaiming_normal_(mode="fan_out") with zero bias, BN
// weight 1 bias 0, the fc weight from U(−1/√classes, 1/√classes) with zero
// bias.
func NewEfficientNet(g *tensor.RNG, c EfficientNetConfig) *EfficientNet {
	if c.InChannels == 0 {
		c.InChannels = 3
	}
	if c.NumClasses == 0 {
		c.NumClasses = 1000
	}
	cba := func(in, out, k, stride, groups int, act string) *nn.Sequential {
		return mobilenetConvBNAct(g, in, out, k, stride, groups, act, c.BNEps, c.BNMomentum)
	}
	layers := []nn.Module{cba(c.InChannels, efficientnetChannels(efficientnetStages[0].in, c.Width), 3, 2, 1, "silu")}
	total := 0
	for _, s := range efficientnetStages {
		total += int(math.Ceil(float64(s.layers) * c.Depth))
	}
	id := 0
	for _, s := range efficientnetStages {
		in, out := efficientnetChannels(s.in, c.Width), efficientnetChannels(s.out, c.Width)
		var blocks []nn.Module
		for b := 0; b < int(math.Ceil(float64(s.layers)*c.Depth)); b++ {
			stride := s.stride
			if b > 0 {
				in, stride = out, 1
			}
			p := c.StochasticDepth * float32(id) / float32(total)
			blocks = append(blocks, newEfficientNetMBConv(g, cba, in, out, s.kernel, stride, s.expand, p))
			id++
		}
		layers = append(layers, nn.NewSequential(blocks...))
	}
	last := efficientnetChannels(efficientnetStages[len(efficientnetStages)-1].out, c.Width)
	layers = append(layers, cba(last, 4*last, 1, 1, 1, "silu"))
	fc := nn.NewLinear(g, 4*last, c.NumClasses, true)
	m := &EfficientNet{Features: nn.NewSequential(layers...), Classifier: nn.NewSequential(nn.NewDropout(g, c.Dropout), fc)}
	resnetInit(m, g) // kaiming_normal_(fan_out) with a = 0: the same gain √2 as "relu"
	r := float32(1 / math.Sqrt(float64(c.NumClasses)))
	fc.Weight.Value.FillUniform(g, -r, r)
	fc.Bias.Value.Zero()
	return m
}

// newEfficientNetMBConv builds one MBConv block; cba builds a
// conv + BN (+ activation) with the network's BN settings.
func newEfficientNetMBConv(g *tensor.RNG, cba func(in, out, k, stride, groups int, act string) *nn.Sequential,
	in, out, kernel, stride, expand int, sdProb float32) *EfficientNetMBConv {
	hidden := efficientnetChannels(in, float64(expand))
	var layers []nn.Module
	if hidden != in {
		layers = append(layers, cba(in, hidden, 1, 1, 1, "silu"))
	}
	layers = append(layers,
		cba(hidden, hidden, kernel, stride, hidden, "silu"),
		nn.NewSE(g, nn.SEConfig{Channels: hidden, Squeeze: max(1, in/4), Activation: "silu"}),
		cba(hidden, out, 1, 1, 1, ""))
	return &EfficientNetMBConv{Block: nn.NewSequential(layers...), StochasticDepth: nn.NewStochasticDepth(g, sdProb),
		Residual: stride == 1 && in == out}
}

// Forward maps x [N, in, H, W] to [N, out, ⌈H/stride⌉, ⌈W/stride⌉].
func (b *EfficientNetMBConv) Forward(x *ops.Var) *ops.Var {
	y := b.Block.Forward(x)
	if b.Residual {
		return ops.Add(b.StochasticDepth.Forward(y), x)
	}
	return y
}

// Children names the parts block and stochastic_depth, as torchvision does.
func (b *EfficientNetMBConv) Children() []nn.Child {
	return []nn.Child{{Name: "block", Module: b.Block}, {Name: "stochastic_depth", Module: b.StochasticDepth}}
}

// Forward maps x [N, C, H, W] to logits [N, NumClasses].
func (m *EfficientNet) Forward(x *ops.Var) *ops.Var {
	return m.Classifier.Forward(ops.Flatten(ops.GlobalAvgPool2d(m.Features.Forward(x))))
}

// Children names the layers features and classifier.
func (m *EfficientNet) Children() []nn.Child {
	return []nn.Child{{Name: "features", Module: m.Features}, {Name: "classifier", Module: m.Classifier}}
}
