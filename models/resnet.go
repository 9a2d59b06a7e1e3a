package models

import (
	"fmt"

	"convnet/nn"
	"convnet/ops"
	"convnet/tensor"
)

// ResNet for ImageNet (He et al., "Deep Residual Learning for Image
// Recognition", arXiv:1512.03385, Table 1), exactly as torchvision 0.14
// builds it ("v1.5": the stride of a bottleneck sits on its 3×3 conv),
// including parameter names, plus Wide ResNet-50-2 (Zagoruyko & Komodakis,
// arXiv:1605.07146) and SE-ResNet-50 (Hu et al., arXiv:1709.01507).
//
//	layer    output    basic block (18, 34)   bottleneck (50, 101, 152)    blocks 18/34/50/101/152
//	conv1    112×112   7×7, 64, stride 2
//	         56×56     3×3 max pool, stride 2
//	layer1   56×56     [3×3, 64;  3×3, 64]    [1×1, 64;  3×3, 64;  1×1, 256]    2/3/3/3/3
//	layer2   28×28     [3×3, 128; 3×3, 128]   [1×1, 128; 3×3, 128; 1×1, 512]    2/4/4/4/8
//	layer3   14×14     [3×3, 256; 3×3, 256]   [1×1, 256; 3×3, 256; 1×1, 1024]   2/6/6/23/36
//	layer4   7×7       [3×3, 512; 3×3, 512]   [1×1, 512; 3×3, 512; 1×1, 2048]   2/3/3/3/3
//	         1×1       global average pool, fc
//
// The first block of layer2 … layer4 has stride 2 (on its 3×3 conv) and a
// projection shortcut; Wide ResNet-50-2 doubles the bottleneck widths
// (width_per_group 128).
var resnetTable = []struct {
	name       string
	bottleneck bool
	blocks     [4]int
	width      int  // width_per_group: 64, or 128 for Wide ResNet-50-2
	se         bool // SE block (r = 16) in every bottleneck
	paper      string
}{
	{"resnet18", false, [4]int{2, 2, 2, 2}, 64, false, resnetPaper},
	{"resnet34", false, [4]int{3, 4, 6, 3}, 64, false, resnetPaper},
	{"resnet50", true, [4]int{3, 4, 6, 3}, 64, false, resnetPaper},
	{"resnet101", true, [4]int{3, 4, 23, 3}, 64, false, resnetPaper},
	{"resnet152", true, [4]int{3, 8, 36, 3}, 64, false, resnetPaper},
	{"wide_resnet50_2", true, [4]int{3, 4, 6, 3}, 128, false, "Zagoruyko & Komodakis 2016, Wide Residual Networks, arXiv:1605.07146 (torchvision form)"},
	{"se_resnet50", true, [4]int{3, 4, 6, 3}, 64, true, "Hu et al. 2017, Squeeze-and-Excitation Networks, arXiv:1709.01507"},
}

const resnetPaper = "He et al. 2015, Deep Residual Learning for Image Recognition, arXiv:1512.03385 (torchvision 0.14)"

func init() {
	for _, r := range resnetTable {
		r := r
		register(Spec{Name: r.name, Paper: r.paper, Input: [3]int{3, 224, 224}, Classes: 1000,
			build: func(g *tensor.RNG, o Options) nn.Module {
				return NewResNet(g, ResNetConfig{Bottleneck: r.bottleneck, Blocks: r.blocks, WidthPerGroup: r.width,
					SE: r.se, InChannels: o.InChannels, NumClasses: o.NumClasses})
			}})
	}
}

// ResNetConfig configures an ImageNet ResNet. Zero values of Groups,
// WidthPerGroup, InChannels and NumClasses mean 1, 64, 3 and 1000.
type ResNetConfig struct {
	Bottleneck    bool   // bottleneck blocks (1×1, 3×3, 1×1, expansion 4) instead of basic blocks (3×3, 3×3)
	Blocks        [4]int // blocks in layer1 … layer4
	Groups        int    // groups of the 3×3 conv in a bottleneck (ResNeXt)
	WidthPerGroup int    // bottleneck width = planes·WidthPerGroup/64·Groups
	SE            bool   // Squeeze-and-Excitation (r = 16, Linear FCs) after each block's last BN
	InChannels    int
	NumClasses    int
}

// ResNet is an ImageNet residual network. Its parameter names are
// torchvision's: conv1.weight, bn1.running_var, layer1.0.conv1.weight,
// layer2.0.downsample.0.weight, fc.weight …
type ResNet struct {
	nn.Base
	Conv1  *nn.Conv2d        // [64, InChannels, 7, 7], stride 2, pad 3
	BN1    *nn.BatchNorm     // [64]
	Layers [4]*nn.Sequential // layer1 … layer4 of *ResNetBlock
	FC     *nn.Linear        // [NumClasses, 512·expansion]
}

// ResNetBlock is a residual block: a basic block (Conv3 nil) computes
//
//	y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))
//
// and a bottleneck block
//
//	y = relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x))
//
// where shortcut is the identity or Downsample (1×1 conv with the block's
// stride, then BN) when the shape changes. With SE set, the SE block
// rescales the residual branch after its last BN, before the addition.
type ResNetBlock struct {
	nn.Base
	Conv1, Conv2, Conv3 *nn.Conv2d     // Conv3 nil in a basic block
	BN1, BN2, BN3       *nn.BatchNorm  // BN3 nil in a basic block
	SE                  *nn.SE         // nil without Squeeze-and-Excitation
	Downsample          *nn.Sequential // nil for an identity shortcut; else 0: conv 1×1, 1: BN
}

// resnetConv returns a bias-free k×k convolution padded by (k−1)/2, as
// torchvision's conv3x3 and conv1x1.
func resnetConv(g *tensor.RNG, in, out, k, stride, groups int) *nn.Conv2d {
	p := (k - 1) / 2
	return nn.NewConv2d(g, nn.Conv2dConfig{In: in, Out: out, Kernel: [2]int{k, k}, Stride: [2]int{stride, stride},
		Padding: [4]int{p, p, p, p}, Groups: groups, NoBias: true})
}

// resnetInit gives every convolution below m torchvision's ResNet
// initialisation, kaiming_normal_(mode="fan_out", nonlinearity="relu"),
// and zeroes conv biases; BatchNorm layers are built with weight 1, bias 0.
func resnetInit(m nn.Module, g *tensor.RNG) {
	nn.Walk(m, func(_ string, mod nn.Module) {
		if c, ok := mod.(*nn.Conv2d); ok {
			nn.KaimingNormal(c.Weight.Value, g, 0, "fan_out", "relu")
			if c.Bias != nil {
				c.Bias.Value.Zero()
			}
		}
	})
}

// NewResNet builds a ResNet initialised from g.
func NewResNet(g *tensor.RNG, c ResNetConfig) *ResNet {
	if c.Groups == 0 {
		c.Groups = 1
	}
	if c.WidthPerGroup == 0 {
		c.WidthPerGroup = 64
	}
	if c.InChannels == 0 {
		c.InChannels = 3
	}
	if c.NumClasses == 0 {
		c.NumClasses = 1000
	}
	expansion := 1
	if c.Bottleneck {
		expansion = 4
	}
	m := &ResNet{Conv1: resnetConv(g, c.InChannels, 64, 7, 2, 1), BN1: nn.NewBatchNorm2d(64)}
	in := 64
	for i, planes := range [4]int{64, 128, 256, 512} {
		stride := 2
		if i == 0 {
			stride = 1
		}
		var blocks []nn.Module
		for b := 0; b < c.Blocks[i]; b++ {
			s := 1
			if b == 0 {
				s = stride
			}
			blocks = append(blocks, newResNetBlock(g, c, in, planes, s))
			in = planes * expansion
		}
		m.Layers[i] = nn.NewSequential(blocks...)
	}
	m.FC = nn.NewLinear(g, 512*expansion, c.NumClasses, true)
	resnetInit(m, g)
	return m
}

// newResNetBlock builds one block taking in channels to planes·expansion.
func newResNetBlock(g *tensor.RNG, c ResNetConfig, in, planes, stride int) *ResNetBlock {
	b := &ResNetBlock{}
	out := planes
	if c.Bottleneck {
		width := planes * c.WidthPerGroup / 64 * c.Groups
		out = planes * 4
		b.Conv1, b.BN1 = resnetConv(g, in, width, 1, 1, 1), nn.NewBatchNorm2d(width)
		b.Conv2, b.BN2 = resnetConv(g, width, width, 3, stride, c.Groups), nn.NewBatchNorm2d(width)
		b.Conv3, b.BN3 = resnetConv(g, width, out, 1, 1, 1), nn.NewBatchNorm2d(out)
	} else {
		b.Conv1, b.BN1 = resnetConv(g, in, planes, 3, stride, 1), nn.NewBatchNorm2d(planes)
		b.Conv2, b.BN2 = resnetConv(g, planes, planes, 3, 1, 1), nn.NewBatchNorm2d(planes)
	}
	if c.SE {
		b.SE = nn.NewSE(g, nn.SEConfig{Channels: out, Reduction: 16, Linear: true})
	}
	if stride != 1 || in != out {
		b.Downsample = nn.NewSequential(resnetConv(g, in, out, 1, stride, 1), nn.NewBatchNorm2d(out))
	}
	return b
}

// Forward maps x [N, C, H, W] to [N, out, H/stride, W/stride].
func (b *ResNetBlock) Forward(x *ops.Var) *ops.Var {
	y := b.Conv2.Forward(b.BN1.ForwardReLU(b.Conv1.Forward(x)))
	last := b.BN2 // the batch norm that ends the residual branch
	if b.Conv3 != nil {
		y = b.Conv3.Forward(b.BN2.ForwardReLU(y))
		last = b.BN3
	}
	sc := x
	if b.Downsample != nil {
		sc = b.Downsample.Forward(x)
	}
	if b.SE != nil {
		return ops.AddReLU(b.SE.Forward(last.Forward(y)), sc)
	}
	return last.ForwardAddReLU(y, sc)
}

// Children names the layers as torchvision does (se as in timm's SE-ResNet).
func (b *ResNetBlock) Children() []nn.Child {
	cs := []nn.Child{{Name: "conv1", Module: b.Conv1}, {Name: "bn1", Module: b.BN1},
		{Name: "conv2", Module: b.Conv2}, {Name: "bn2", Module: b.BN2}}
	if b.Conv3 != nil {
		cs = append(cs, nn.Child{Name: "conv3", Module: b.Conv3}, nn.Child{Name: "bn3", Module: b.BN3})
	}
	if b.SE != nil {
		cs = append(cs, nn.Child{Name: "se", Module: b.SE})
	}
	if b.Downsample != nil {
		cs = append(cs, nn.Child{Name: "downsample", Module: b.Downsample})
	}
	return cs
}

// Forward maps x [N, C, H, W] to logits [N, NumClasses]; the spatial size
// shrinks by 32 (224 → 7), so any H, W ≥ 1 works (28×28 ends at 1×1).
func (m *ResNet) Forward(x *ops.Var) *ops.Var {
	x = m.BN1.ForwardReLU(m.Conv1.Forward(x))
	x = ops.MaxPool2d(x, ops.Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}})
	for _, l := range m.Layers {
		x = l.Forward(x)
	}
	return m.FC.Forward(ops.Flatten(ops.GlobalAvgPool2d(x)))
}

// Children names the layers as torchvision does.
func (m *ResNet) Children() []nn.Child {
	cs := []nn.Child{{Name: "conv1", Module: m.Conv1}, {Name: "bn1", Module: m.BN1}}
	for i, l := range m.Layers {
		cs = append(cs, nn.Child{Name: fmt.Sprintf("layer%d", i+1), Module: l})
	}
	return append(cs, nn.Child{Name: "fc", Module: m.FC})
}
