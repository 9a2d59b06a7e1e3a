package models

import (
	"fmt"

	"convnet/nn"
	"convnet/ops"
	"convnet/tensor"
)

// U-Net: Ronneberger, Fischer & Brox, "U-Net: Convolutional Networks for
// Biomedical Image Segmentation", MICCAI 2015, arXiv:1505.04597.
//
// A contracting path of double 3×3 convolutions and 2×2 max pools, an
// expanding path of 2×2 up-convolutions (or bilinear up-sampling) whose
// output is concatenated with the feature map of the same level of the
// contracting path, and a 1×1 convolution giving one score per class and
// pixel. Two changes from the paper, as in most modern implementations
// (this one follows milesial/Pytorch-UNet, whose state_dict keys it shares):
// the 3×3 convolutions are padded (so no cropping of the skips) and followed
// by batch normalisation (so they have no bias). With depth D and base width
// B (the paper: D = 4, B = 64):
//
//	level  block                                       output (input C×H×W)
//	inc    [conv 3×3, BN, ReLU] ×2                     B × H × W
//	down1  max pool 2, [conv 3×3, BN, ReLU] ×2         2B × H/2 × W/2
//	…
//	downD  max pool 2, [conv 3×3, BN, ReLU] ×2         2^D·B/f × H/2^D × W/2^D
//	up1    up-conv 2×2 (2^D·B → 2^(D−1)·B) or bilinear ×2,
//	       concat skip of downD−1, [conv 3×3, BN, ReLU] ×2   2^(D−1)·B/f × H/2^(D−1) …
//	…
//	upD    … concat skip of inc, [conv 3×3, BN, ReLU] ×2      B × H × W
//	outc   conv 1×1 → classes                          classes × H × W
//
// where f = 2 with bilinear up-sampling (which has no weights to halve the
// channels, so the last down block and the up blocks halve them instead)
// and f = 1 otherwise. The output has the input's height and width for any
// size of at least 2^D: where a max pool dropped an odd row or column, the
// up-sampled map is produced at the skip's size directly (the up-convolution
// with output padding 1, as PyTorch's forward(x, output_size) does; bilinear
// up-sampling to the skip's size), instead of up-sampling ×2 and zero-padding.

// UNetConfig configures NewUNet. Zero Depth and Base mean the paper's 4 and
// 64.
type UNetConfig struct {
	InChannels int  // input image channels
	NumClasses int  // output channels: one score map per class
	Depth      int  // number of max-pool/up-sampling steps
	Base       int  // channels of the first level; doubled at every level down
	Bilinear   bool // bilinear up-sampling (align_corners) instead of 2×2 up-convolutions
}

// UNet is the U-Net segmentation network. Its parameter names equal those of
// milesial/Pytorch-UNet's UNet (inc, down1 …, up1 …, outc).
type UNet struct {
	nn.Base
	Inc    *unetBlock   // double conv at full resolution
	Downs  []*unetBlock // max pool + double conv, one per level
	Ups    []*UNetUp    // up-sample + concat + double conv, one per level
	Outc   *unetBlock   // 1×1 conv head
	Config UNetConfig
}

// UNetUp is one step of U-Net's expanding path: up-sample the coarser map
// to the skip's size, concatenate [skip, up-sampled] along channels, then a
// double convolution.
type UNetUp struct {
	nn.Base
	UpConv *nn.ConvTranspose2d // 2×2 stride 2, In → In/2; nil when bilinear
	UpBil  *nn.Upsample        // bilinear, align_corners; nil with UpConv
	Conv   *unetBlock          // double conv
}

// unetBlock is a module with exactly one named child (PyTorch's
// "double_conv", "maxpool_conv", "conv" wrappers), to reproduce
// milesial/Pytorch-UNet's state_dict keys.
type unetBlock struct {
	nn.Base
	name string
	m    nn.Module
}

// Forward applies the child.
func (b *unetBlock) Forward(x *ops.Var) *ops.Var { return b.m.Forward(x) }

// Children returns the one named child.
func (b *unetBlock) Children() []nn.Child { return []nn.Child{{Name: b.name, Module: b.m}} }

// unetDoubleConv returns [conv 3×3 pad 1 (no bias), BN, ReLU] twice, in → mid
// → out channels, as "double_conv".
func unetDoubleConv(g *tensor.RNG, in, mid, out int) *unetBlock {
	conv := func(i, o int) *nn.Conv2d {
		return nn.NewConv2d(g, nn.Conv2dConfig{In: i, Out: o, Kernel: [2]int{3, 3}, Padding: ops.SymmetricPadding(1, 1), NoBias: true})
	}
	return &unetBlock{name: "double_conv", m: nn.NewSequential(
		conv(in, mid), nn.NewBatchNorm2d(mid), nn.Activation("relu"),
		conv(mid, out), nn.NewBatchNorm2d(out), nn.Activation("relu"))}
}

// NewUNet builds a U-Net initialised from g (PyTorch's default
// initialisation of every layer).
func NewUNet(g *tensor.RNG, c UNetConfig) *UNet {
	if c.Depth == 0 {
		c.Depth = 4
	}
	if c.Base == 0 {
		c.Base = 64
	}
	if c.InChannels < 1 || c.NumClasses < 1 || c.Depth < 1 || c.Base < 2 {
		panic(fmt.Sprintf("models: UNet config %+v is invalid", c))
	}
	f := 1
	if c.Bilinear {
		f = 2
	}
	width := func(level int) int { return c.Base << level } // channels at a level of the contracting path
	m := &UNet{Config: c, Inc: unetDoubleConv(g, c.InChannels, width(0), width(0))}
	for l := 1; l <= c.Depth; l++ {
		out := width(l)
		if l == c.Depth {
			out /= f
		}
		pool := nn.MaxPool2d(ops.Pool2dOptions{Kernel: [2]int{2, 2}})
		m.Downs = append(m.Downs, &unetBlock{name: "maxpool_conv",
			m: nn.NewSequential(pool, unetDoubleConv(g, width(l-1), out, out))})
	}
	for l := c.Depth; l >= 1; l-- {
		in, out := width(l), width(l-1)
		if l > 1 {
			out /= f
		}
		up := &UNetUp{}
		if c.Bilinear {
			up.UpBil = nn.NewUpsample(ops.UpsampleOptions{Mode: "bilinear", Scale: [2]float64{2, 2}, AlignCorners: true})
			up.Conv = unetDoubleConv(g, in, in/2, out)
		} else {
			up.UpConv = nn.NewConvTranspose2d(g, nn.ConvTranspose2dConfig{In: in, Out: in / 2, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}})
			up.Conv = unetDoubleConv(g, in, out, out)
		}
		m.Ups = append(m.Ups, up)
	}
	m.Outc = &unetBlock{name: "conv", m: nn.NewConv2d(g, nn.Conv2dConfig{In: width(0), Out: c.NumClasses, Kernel: [2]int{1, 1}})}
	return m
}

// Forward maps x [N, InChannels, H, W] to per-pixel class scores
// [N, NumClasses, H, W] (feed them to ops.CrossEntropy with labels in
// (n, h, w) order). H and W must be at least 2^Depth.
func (m *UNet) Forward(x *ops.Var) *ops.Var {
	s := x.Value.Shape()
	minSize := 1 << m.Config.Depth
	if len(s) != 4 || s[1] != m.Config.InChannels || s[2] < minSize || s[3] < minSize {
		panic(fmt.Sprintf("models: UNet(depth %d) got input %v, want [N, %d, H, W] with H, W ≥ %d",
			m.Config.Depth, s, m.Config.InChannels, minSize))
	}
	skips := []*ops.Var{m.Inc.Forward(x)} // level l: [N, width(l), H/2^l, W/2^l]
	for _, d := range m.Downs {
		skips = append(skips, d.Forward(skips[len(skips)-1]))
	}
	y := skips[len(skips)-1]
	for i, u := range m.Ups {
		y = u.ForwardSkip(y, skips[len(skips)-2-i])
	}
	return m.Outc.Forward(y)
}

// Children names the blocks as milesial/Pytorch-UNet does: inc, down1 …
// downD, up1 … upD, outc.
func (m *UNet) Children() []nn.Child {
	cs := []nn.Child{{Name: "inc", Module: m.Inc}}
	for i, d := range m.Downs {
		cs = append(cs, nn.Child{Name: fmt.Sprintf("down%d", i+1), Module: d})
	}
	for i, u := range m.Ups {
		cs = append(cs, nn.Child{Name: fmt.Sprintf("up%d", i+1), Module: u})
	}
	return append(cs, nn.Child{Name: "outc", Module: m.Outc})
}

// ForwardSkip up-samples x [N, C, h, w] to the skip's size, concatenates
// [skip, up-sampled] along channels and applies the double convolution.
func (u *UNetUp) ForwardSkip(x, skip *ops.Var) *ops.Var {
	s := skip.Value.Shape()
	var y *ops.Var
	if u.UpConv != nil {
		y = u.UpConv.ForwardSize(x, s[2], s[3])
	} else {
		y = u.UpBil.ForwardSize(x, s[2], s[3])
	}
	return u.Conv.Forward(ops.Concat(1, skip, y))
}

// Forward is not meaningful for an up block alone (it needs the skip); it
// panics.
func (u *UNetUp) Forward(*ops.Var) *ops.Var {
	panic("models: UNetUp needs its skip connection: call ForwardSkip")
}

// Children returns "up" (the up-convolution or up-sampling) and "conv".
func (u *UNetUp) Children() []nn.Child {
	var up nn.Module = u.UpBil
	if u.UpConv != nil {
		up = u.UpConv
	}
	return []nn.Child{{Name: "up", Module: up}, {Name: "conv", Module: u.Conv}}
}

func init() {
	const paper = "Ronneberger et al. 2015, U-Net, arXiv:1505.04597 — padded convs + BN"
	unet := func(depth, base int, bilinear bool) func(*tensor.RNG, Options) nn.Module {
		return func(g *tensor.RNG, o Options) nn.Module {
			return NewUNet(g, UNetConfig{InChannels: o.InChannels, NumClasses: o.NumClasses, Depth: depth, Base: base, Bilinear: bilinear})
		}
	}
	register(Spec{Name: "unet", Paper: paper + " (depth 4, base 64)", Input: [3]int{3, 256, 256}, Classes: 2, build: unet(4, 64, false)})
	register(Spec{Name: "unet_bilinear", Paper: paper + " (depth 4, base 64, bilinear up-sampling)", Input: [3]int{3, 256, 256}, Classes: 2, build: unet(4, 64, true)})
	register(Spec{Name: "unet_small", Paper: paper + " (depth 2, base 16, for 28×28 images)", Input: [3]int{1, 28, 28}, Classes: 2, build: unet(2, 16, false)})
}
