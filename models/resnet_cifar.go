package models

import (
	"fmt"

	"convnet/nn"
	"convnet/ops"
	"convnet/tensor"
)

// CIFAR ResNets and their plain twins (He et al., "Deep Residual Learning
// for Image Recognition", arXiv:1512.03385, §4.2): for 32×32 inputs, depth
// 6n+2,
//
//	layer    output   layers
//	conv1    32×32    3×3, 16, BN, ReLU
//	layers   32×32    [3×3, 16;  3×3, 16] ×n
//	         16×16    [3×3, 32;  3×3, 32] ×n   (first conv stride 2)
//	         8×8      [3×3, 64;  3×3, 64] ×n   (first conv stride 2)
//	         1×1      global average pool, fc
//
// The shortcut where the shape changes is option A (zero-padded identity:
// subsample by 2, append zero channels; no parameters) by default, option B
// (1×1 projection conv + BN) in the "_proj" models, and absent in the plain
// nets. Parameter names: conv1, bn1, layers.K.{conv1,bn1,conv2,bn2},
// layers.K.shortcut.{0,1} (option B), fc — those of the model behind
// ../shared/conformance/resnet20, so resnet20_proj loads its weights.
var cifarDepths = []int{20, 32, 44, 56, 110}

const cifarPaper = "He et al. 2015, Deep Residual Learning for Image Recognition, arXiv:1512.03385, §4.2"

func init() {
	for _, d := range cifarDepths {
		d := d
		for _, v := range []struct {
			name, what string
			sc         CIFARShortcut
		}{
			{fmt.Sprintf("resnet%d", d), "option A (zero-padding) shortcuts", CIFARShortcutA},
			{fmt.Sprintf("resnet%d_proj", d), "option B (1×1 projection) shortcuts", CIFARShortcutB},
			{fmt.Sprintf("plain%d", d), "plain net, no shortcuts", CIFARPlain},
		} {
			v := v
			register(Spec{Name: v.name, Paper: cifarPaper + " — " + v.what, Input: [3]int{3, 32, 32}, Classes: 10,
				build: func(g *tensor.RNG, o Options) nn.Module {
					return NewCIFARResNet(g, CIFARResNetConfig{Depth: d, Shortcut: v.sc, InChannels: o.InChannels, NumClasses: o.NumClasses})
				}})
		}
	}
}

// CIFARShortcut selects the shortcut of a CIFAR ResNet.
type CIFARShortcut int

const (
	// CIFARShortcutA is the zero-padded identity (paper option A): where the
	// shape changes, x is subsampled by the stride and zero channels are
	// appended. It has no parameters.
	CIFARShortcutA CIFARShortcut = iota
	// CIFARShortcutB is a 1×1 projection conv + BN where the shape changes
	// and the identity elsewhere (paper option B).
	CIFARShortcutB
	// CIFARPlain has no shortcuts: the "plain" network of §4.2.
	CIFARPlain
)

// CIFARResNetConfig configures a CIFAR ResNet. Zero InChannels and
// NumClasses mean 3 and 10.
type CIFARResNetConfig struct {
	Depth      int // 6n+2: 20, 32, 44, 56, 110, …
	Shortcut   CIFARShortcut
	InChannels int
	NumClasses int
}

// CIFARResNet is a CIFAR-10 ResNet (or plain net) of depth 6n+2.
type CIFARResNet struct {
	nn.Base
	Conv1  *nn.Conv2d     // [16, InChannels, 3, 3], no bias
	BN1    *nn.BatchNorm  // [16]
	Layers *nn.Sequential // 3n *CIFARBlock
	FC     *nn.Linear     // [NumClasses, 64]
}

// CIFARBlock is a basic block
//
//	y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))
//
// with the shortcut of its Kind (none for CIFARPlain).
type CIFARBlock struct {
	nn.Base
	Conv1, Conv2 *nn.Conv2d     // [out, in, 3, 3] (stride on Conv1), [out, out, 3, 3]
	BN1, BN2     *nn.BatchNorm  // [out]
	Shortcut     *nn.Sequential // option B projection (0: conv 1×1, 1: BN), else nil
	Kind         CIFARShortcut
	Stride       int
	In, Out      int
}

// NewCIFARResNet builds a CIFAR ResNet initialised from g: convolutions
// from kaiming_normal_(mode="fan_out", nonlinearity="relu"), BN weight 1
// and bias 0, fc with PyTorch's default.
func NewCIFARResNet(g *tensor.RNG, c CIFARResNetConfig) *CIFARResNet {
	if c.Depth < 8 || (c.Depth-2)%6 != 0 {
		panic(fmt.Sprintf("models: CIFAR ResNet depth %d is not 6n+2", c.Depth))
	}
	if c.InChannels == 0 {
		c.InChannels = 3
	}
	if c.NumClasses == 0 {
		c.NumClasses = 10
	}
	n := (c.Depth - 2) / 6
	m := &CIFARResNet{Conv1: resnetConv(g, c.InChannels, 16, 3, 1, 1), BN1: nn.NewBatchNorm2d(16)}
	var blocks []nn.Module
	in := 16
	for i, out := range []int{16, 32, 64} {
		for b := 0; b < n; b++ {
			stride := 1
			if b == 0 && i > 0 {
				stride = 2
			}
			blocks = append(blocks, newCIFARBlock(g, c.Shortcut, in, out, stride))
			in = out
		}
	}
	m.Layers = nn.NewSequential(blocks...)
	m.FC = nn.NewLinear(g, 64, c.NumClasses, true)
	resnetInit(m, g)
	return m
}

// newCIFARBlock builds one basic block from in to out channels.
func newCIFARBlock(g *tensor.RNG, kind CIFARShortcut, in, out, stride int) *CIFARBlock {
	b := &CIFARBlock{
		Conv1: resnetConv(g, in, out, 3, stride, 1), BN1: nn.NewBatchNorm2d(out),
		Conv2: resnetConv(g, out, out, 3, 1, 1), BN2: nn.NewBatchNorm2d(out),
		Kind: kind, Stride: stride, In: in, Out: out,
	}
	if kind == CIFARShortcutB && (stride != 1 || in != out) {
		b.Shortcut = nn.NewSequential(resnetConv(g, in, out, 1, stride, 1), nn.NewBatchNorm2d(out))
	}
	return b
}

// Forward maps x [N, In, H, W] to [N, Out, ⌈H/Stride⌉, ⌈W/Stride⌉].
func (b *CIFARBlock) Forward(x *ops.Var) *ops.Var {
	y := b.Conv2.Forward(b.BN1.ForwardReLU(b.Conv1.Forward(x)))
	switch {
	case b.Kind == CIFARPlain:
		return b.BN2.ForwardReLU(y)
	case b.Shortcut != nil:
		return b.BN2.ForwardAddReLU(y, b.Shortcut.Forward(x))
	case b.Stride == 1 && b.In == b.Out:
		return b.BN2.ForwardAddReLU(y, x)
	}
	// Option A: a 1×1 max pool with stride 2 picks x[:, :, ::2, ::2]
	// exactly; then zero channels pad In up to Out.
	sc := x
	if b.Stride != 1 {
		sc = ops.MaxPool2d(x, ops.Pool2dOptions{Kernel: [2]int{1, 1}, Stride: [2]int{b.Stride, b.Stride}})
	}
	if b.Out > b.In {
		s := sc.Value.Shape()
		sc = ops.Concat(1, sc, ops.Const(tensor.New(s[0], b.Out-b.In, s[2], s[3])))
	}
	return b.BN2.ForwardAddReLU(y, sc)
}

// Children names the layers as the conformance ResNet-20 does.
func (b *CIFARBlock) Children() []nn.Child {
	cs := []nn.Child{{Name: "conv1", Module: b.Conv1}, {Name: "bn1", Module: b.BN1},
		{Name: "conv2", Module: b.Conv2}, {Name: "bn2", Module: b.BN2}}
	if b.Shortcut != nil {
		cs = append(cs, nn.Child{Name: "shortcut", Module: b.Shortcut})
	}
	return cs
}

// Forward maps x [N, C, H, W] (32×32 for CIFAR, 28×28 for MNIST) to logits
// [N, NumClasses].
func (m *CIFARResNet) Forward(x *ops.Var) *ops.Var {
	x = m.BN1.ForwardReLU(m.Conv1.Forward(x))
	x = m.Layers.Forward(x)
	return m.FC.Forward(ops.Flatten(ops.GlobalAvgPool2d(x)))
}

// Children names the layers conv1, bn1, layers, fc.
func (m *CIFARResNet) Children() []nn.Child {
	return []nn.Child{{Name: "conv1", Module: m.Conv1}, {Name: "bn1", Module: m.BN1},
		{Name: "layers", Module: m.Layers}, {Name: "fc", Module: m.FC}}
}
