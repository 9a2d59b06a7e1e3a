package models

import (
	"fmt"
	"math"

	"convnet/nn"
	"convnet/ops"
	"convnet/tensor"
)

// MobileNet v1 (Howard et al., "MobileNets: Efficient Convolutional Neural
// Networks for Mobile Vision Applications", arXiv:1704.04861, Table 1) and
// MobileNet v2 (Sandler et al., "MobileNetV2: Inverted Residuals and Linear
// Bottlenecks", arXiv:1801.04381, Table 2, as torchvision 0.14 builds it).

// mobilenetV1Table is Table 1 after the first layer (conv 3×3, 32, stride
// 2): each row is a depthwise-separable layer — 3×3 depthwise conv with the
// stride, BN, ReLU, then 1×1 pointwise conv to out channels, BN, ReLU.
//
//	input      dw stride   pw out
//	112×112    1           64
//	112×112    2           128
//	56×56      1           128
//	56×56      2           256
//	28×28      1           256
//	28×28      2           512
//	14×14      1           512   ×5
//	14×14      2           1024
//	7×7        1           1024  (the table prints "s2"; the 7×7 output and
//	                              every implementation say stride 1)
//
// then 7×7 average pool, fc, softmax.
var mobilenetV1Table = []struct{ stride, out int }{
	{1, 64}, {2, 128}, {1, 128}, {2, 256}, {1, 256}, {2, 512},
	{1, 512}, {1, 512}, {1, 512}, {1, 512}, {1, 512},
	{2, 1024}, {1, 1024},
}

// mobilenetV1Widths are the width multipliers α of the paper's Table 6;
// each is registered as mobilenet_v1_α (α = 1 as plain mobilenet_v1).
var mobilenetV1Widths = []struct {
	name  string
	alpha float64
}{{"mobilenet_v1", 1}, {"mobilenet_v1_0.75", 0.75}, {"mobilenet_v1_0.5", 0.5}, {"mobilenet_v1_0.25", 0.25}}

// mobilenetV1Resolutions are the resolution multipliers ρ of Table 7 as
// input sizes (ρ = 1, 6/7, 5/7, 4/7); with α = 1 each other one is
// registered as mobilenet_v1_1.0_R (the same weights; only the default
// input size differs).
var mobilenetV1Resolutions = []int{224, 192, 160, 128}

func init() {
	const v1Paper = "Howard et al. 2017, MobileNets, arXiv:1704.04861"
	for _, w := range mobilenetV1Widths {
		for _, res := range mobilenetV1Resolutions {
			name := w.name
			if res != 224 {
				if w.alpha != 1 {
					continue
				}
				name = fmt.Sprintf("mobilenet_v1_1.0_%d", res)
			}
			alpha := w.alpha
			register(Spec{Name: name, Paper: fmt.Sprintf("%s, α = %g, ρ = %d/224", v1Paper, alpha, res), Input: [3]int{3, res, res}, Classes: 1000,
				build: func(g *tensor.RNG, o Options) nn.Module {
					return NewMobileNetV1(g, MobileNetV1Config{Width: alpha, InChannels: o.InChannels, NumClasses: o.NumClasses})
				}})
		}
	}
	register(Spec{Name: "mobilenet_v2", Paper: "Sandler et al. 2018, MobileNetV2, arXiv:1801.04381 (torchvision 0.14)", Input: [3]int{3, 224, 224}, Classes: 1000,
		build: func(g *tensor.RNG, o Options) nn.Module {
			return NewMobileNetV2(g, MobileNetV2Config{InChannels: o.InChannels, NumClasses: o.NumClasses})
		}})
}

// mobilenetConvBNAct returns torchvision's Conv2dNormActivation: a
// Sequential of a bias-free k×k conv padded by (k−1)/2 ("0"), BatchNorm
// with the given eps and momentum ("1") and, unless act is "", the
// activation ("2").
func mobilenetConvBNAct(g *tensor.RNG, in, out, k, stride, groups int, act string, eps, momentum float64) *nn.Sequential {
	bn := nn.NewBatchNorm2d(out)
	bn.Eps, bn.Momentum = eps, momentum
	layers := []nn.Module{resnetConv(g, in, out, k, stride, groups), bn}
	if act != "" {
		layers = append(layers, nn.Activation(act))
	}
	return nn.NewSequential(layers...)
}

// mobilenetMakeDivisible is torchvision's _make_divisible(v, divisor): v
// rounded to the nearest multiple of divisor, at least divisor, and not
// below 90% of v.
func mobilenetMakeDivisible(v float64, divisor int) int {
	n := max(divisor, int(v+float64(divisor)/2)/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}

// MobileNetV1Config configures MobileNet v1. A zero Width means 1; zero
// InChannels and NumClasses mean 3 and 1000. The resolution multiplier ρ
// is the input size: the network is fully convolutional up to its global
// average pool, so any H, W ≥ 1 works (the paper's 224, 192, 160, 128, or
// 28 for MNIST).
type MobileNetV1Config struct {
	Width      float64 // α: every layer has ⌊α·channels⌋ channels (at least 8)
	InChannels int
	NumClasses int
}

// MobileNetV1 is MobileNet v1. Parameter names: features.0.{0,1} (first
// conv and its BN), features.K.dw.{0,1} and features.K.pw.{0,1} (K = 1 … 13:
// depthwise and pointwise conv and BN), fc.
type MobileNetV1 struct {
	nn.Base
	Features *nn.Sequential // 0: conv 3×3/2 + BN + ReLU; 1 … 13: *MobileNetV1Block
	FC       *nn.Linear     // [NumClasses, ⌊1024α⌋]
}

// MobileNetV1Block is a depthwise-separable convolution: Dw (3×3 depthwise
// conv [C, 1, 3, 3] with the stride, BN, ReLU) then Pw (1×1 conv
// [Out, C, 1, 1], BN, ReLU).
type MobileNetV1Block struct {
	nn.Base
	Dw, Pw *nn.Sequential
}

// mobilenetV1Channels returns ⌊α·c⌋, at least 8 (TF-slim's depth()).
func mobilenetV1Channels(c int, alpha float64) int { return max(8, int(float64(c)*alpha)) }

// NewMobileNetV1 builds MobileNet v1 initialised from g: convolutions from
// kaiming_normal_(mode="fan_out"), BN weight 1 bias 0, fc PyTorch's
// default.
func NewMobileNetV1(g *tensor.RNG, c MobileNetV1Config) *MobileNetV1 {
	if c.Width == 0 {
		c.Width = 1
	}
	if c.InChannels == 0 {
		c.InChannels = 3
	}
	if c.NumClasses == 0 {
		c.NumClasses = 1000
	}
	in := mobilenetV1Channels(32, c.Width)
	layers := []nn.Module{mobilenetConvBNAct(g, c.InChannels, in, 3, 2, 1, "relu", 1e-5, 0.1)}
	for _, r := range mobilenetV1Table {
		out := mobilenetV1Channels(r.out, c.Width)
		layers = append(layers, &MobileNetV1Block{
			Dw: mobilenetConvBNAct(g, in, in, 3, r.stride, in, "relu", 1e-5, 0.1),
			Pw: mobilenetConvBNAct(g, in, out, 1, 1, 1, "relu", 1e-5, 0.1),
		})
		in = out
	}
	m := &MobileNetV1{Features: nn.NewSequential(layers...), FC: nn.NewLinear(g, in, c.NumClasses, true)}
	resnetInit(m, g)
	return m
}

// MobileNetV1MACs returns the multiply-adds of one forward pass of
// MobileNet v1 with width α at an res×res input with 3 channels and
// classes outputs: every conv (k·k·Cin/groups per output element) and the
// fc, as the paper counts them (BN, ReLU and pooling excluded).
func MobileNetV1MACs(alpha float64, res, classes int) int64 {
	conv := func(h, k, stride int) int { return (h+2*((k-1)/2)-k)/stride + 1 }
	in := mobilenetV1Channels(32, alpha)
	h := conv(res, 3, 2)
	macs := int64(h*h) * int64(9*3*in)
	for _, r := range mobilenetV1Table {
		out := mobilenetV1Channels(r.out, alpha)
		h = conv(h, 3, r.stride)
		macs += int64(h*h) * int64(9*in)   // depthwise
		macs += int64(h*h) * int64(in*out) // pointwise
		in = out
	}
	return macs + int64(in*classes)
}

// Forward maps x [N, C, H, W] to [N, Out, H/stride, W/stride].
func (b *MobileNetV1Block) Forward(x *ops.Var) *ops.Var { return b.Pw.Forward(b.Dw.Forward(x)) }

// Children names the two halves dw and pw.
func (b *MobileNetV1Block) Children() []nn.Child {
	return []nn.Child{{Name: "dw", Module: b.Dw}, {Name: "pw", Module: b.Pw}}
}

// Forward maps x [N, C, H, W] to logits [N, NumClasses].
func (m *MobileNetV1) Forward(x *ops.Var) *ops.Var {
	return m.FC.Forward(ops.Flatten(ops.GlobalAvgPool2d(m.Features.Forward(x))))
}

// Children names the layers features and fc.
func (m *MobileNetV1) Children() []nn.Child {
	return []nn.Child{{Name: "features", Module: m.Features}, {Name: "fc", Module: m.FC}}
}

// mobilenetV2Table is Table 2 of Sandler et al. after the first layer
// (conv 3×3, 32, stride 2): t expansion, c output channels, n repeats, s
// stride of the first repeat; then conv 1×1 to 1280, average pool,
// dropout 0.2, fc.
var mobilenetV2Table = []struct{ t, c, n, s int }{
	{1, 16, 1, 1},
	{6, 24, 2, 2},
	{6, 32, 3, 2},
	{6, 64, 4, 2},
	{6, 96, 3, 1},
	{6, 160, 3, 2},
	{6, 320, 1, 1},
}

// MobileNetV2Config configures MobileNet v2. A zero Width means 1; zero
// InChannels and NumClasses mean 3 and 1000; Dropout is the classifier's
// (0 means torchvision's 0.2; a negative value means none).
type MobileNetV2Config struct {
	Width      float64 // width multiplier; channels rounded by _make_divisible(·, 8)
	Dropout    float32
	InChannels int
	NumClasses int
}

// MobileNetV2 is torchvision 0.14's mobilenet_v2, with its parameter
// names (features.0.0.weight, features.1.conv.0.0.weight,
// features.2.conv.3.running_var, classifier.1.weight …): 3,504,872
// parameters for 1000 classes.
type MobileNetV2 struct {
	nn.Base
	Features   *nn.Sequential // 0: conv 3×3/2 + BN + ReLU6; 1 … 17: *MobileNetV2Block; 18: conv 1×1 + BN + ReLU6
	Classifier *nn.Sequential // 0: Dropout, 1: Linear [NumClasses, 1280]
}

// MobileNetV2Block is an inverted residual block (torchvision's
// InvertedResidual): Conv is [1×1 expand conv + BN + ReLU6 when t ≠ 1,]
// 3×3 depthwise conv with the stride + BN + ReLU6, 1×1 linear projection
// conv, BN; Residual adds the input when stride is 1 and the channels
// agree.
type MobileNetV2Block struct {
	nn.Base
	Conv     *nn.Sequential
	Residual bool
}

// NewMobileNetV2 builds MobileNet v2 initialised as torchvision does:
// convolutions from kaiming_normal_(mode="fan_out"), BN weight 1 bias 0,
// the fc weight from N(0, 0.01²) and its bias 0.
func NewMobileNetV2(g *tensor.RNG, c MobileNetV2Config) *MobileNetV2 {
	if c.Width == 0 {
		c.Width = 1
	}
	if c.InChannels == 0 {
		c.InChannels = 3
	}
	if c.NumClasses == 0 {
		c.NumClasses = 1000
	}
	if c.Dropout == 0 {
		c.Dropout = 0.2
	}
	in := mobilenetMakeDivisible(32*c.Width, 8)
	last := mobilenetMakeDivisible(1280*math.Max(1, c.Width), 8)
	layers := []nn.Module{mobilenetConvBNAct(g, c.InChannels, in, 3, 2, 1, "relu6", 1e-5, 0.1)}
	for _, r := range mobilenetV2Table {
		out := mobilenetMakeDivisible(float64(r.c)*c.Width, 8)
		for i := 0; i < r.n; i++ {
			s := 1
			if i == 0 {
				s = r.s
			}
			layers = append(layers, newMobileNetV2Block(g, in, out, s, r.t))
			in = out
		}
	}
	layers = append(layers, mobilenetConvBNAct(g, in, last, 1, 1, 1, "relu6", 1e-5, 0.1))
	fc := nn.NewLinear(g, last, c.NumClasses, true)
	m := &MobileNetV2{Features: nn.NewSequential(layers...),
		Classifier: nn.NewSequential(nn.NewDropout(g, max(c.Dropout, 0)), fc)}
	resnetInit(m, g)
	fc.Weight.Value.FillNormal(g, 0, 0.01)
	fc.Bias.Value.Zero()
	return m
}

// newMobileNetV2Block builds one inverted residual block.
func newMobileNetV2Block(g *tensor.RNG, in, out, stride, t int) *MobileNetV2Block {
	hidden := in * t
	var layers []nn.Module
	if t != 1 {
		layers = append(layers, mobilenetConvBNAct(g, in, hidden, 1, 1, 1, "relu6", 1e-5, 0.1))
	}
	layers = append(layers,
		mobilenetConvBNAct(g, hidden, hidden, 3, stride, hidden, "relu6", 1e-5, 0.1),
		resnetConv(g, hidden, out, 1, 1, 1),
		nn.NewBatchNorm2d(out))
	return &MobileNetV2Block{Conv: nn.NewSequential(layers...), Residual: stride == 1 && in == out}
}

// Forward maps x [N, in, H, W] to [N, out, H/stride, W/stride].
func (b *MobileNetV2Block) Forward(x *ops.Var) *ops.Var {
	y := b.Conv.Forward(x)
	if b.Residual {
		return ops.Add(x, y)
	}
	return y
}

// Children names the layer sequence conv.
func (b *MobileNetV2Block) Children() []nn.Child { return []nn.Child{{Name: "conv", Module: b.Conv}} }

// Forward maps x [N, C, H, W] to logits [N, NumClasses].
func (m *MobileNetV2) Forward(x *ops.Var) *ops.Var {
	return m.Classifier.Forward(ops.Flatten(ops.GlobalAvgPool2d(m.Features.Forward(x))))
}

// Children names the layers features and classifier.
func (m *MobileNetV2) Children() []nn.Child {
	return []nn.Child{{Name: "features", Module: m.Features}, {Name: "classifier", Module: m.Classifier}}
}
