package nn

import (
	"fmt"

	"convnet/ops"
	"convnet/tensor"
)

// ConvTranspose2dConfig configures a ConvTranspose2d layer. Zero values mean
// PyTorch's defaults (stride 1, no padding, no output padding, dilation 1,
// one group, with bias). Index 0 of each pair is the height, index 1 the
// width.
type ConvTranspose2dConfig struct {
	In, Out       int    // input and output channels
	Kernel        [2]int // KH, KW
	Stride        [2]int
	Padding       [2]int // symmetric: the corresponding convolution's padding
	OutputPadding [2]int // extra rows/columns at the bottom/right (< stride or dilation)
	Dilation      [2]int
	Groups        int
	NoBias        bool
}

// ConvTranspose2d is a learned transposed convolution (PyTorch's
// nn.ConvTranspose2d; "up-convolution" in U-Net).
type ConvTranspose2d struct {
	Base
	Weight *ops.Var // [In, Out/Groups, KH, KW]
	Bias   *ops.Var // [Out], nil without bias
	Config ConvTranspose2dConfig
}

// NewConvTranspose2d builds a ConvTranspose2d with PyTorch's default
// initialisation drawn from g: weight from kaiming_uniform_(a=√5) and bias
// from U(−1/√fan_in, 1/√fan_in). As in PyTorch, fan_in is computed from the
// weight's second dimension, Out/Groups·KH·KW (not In·KH·KW).
func NewConvTranspose2d(g *tensor.RNG, c ConvTranspose2dConfig) *ConvTranspose2d {
	groups := max(c.Groups, 1)
	if c.In <= 0 || c.Out <= 0 || c.In%groups != 0 || c.Out%groups != 0 || c.Kernel[0] <= 0 || c.Kernel[1] <= 0 {
		panic(fmt.Sprintf("nn: ConvTranspose2d config %+v is invalid", c))
	}
	// DefaultInit's Fans use shape[1]·KH·KW = Out/Groups·KH·KW, PyTorch's
	// fan_in for transposed convolutions.
	w, b := newWeightBias(g, []int{c.In, c.Out / groups, c.Kernel[0], c.Kernel[1]}, c.Out, !c.NoBias)
	return &ConvTranspose2d{Weight: w, Bias: b, Config: c}
}

// Options returns the op options of the layer (with its configured output
// padding).
func (l *ConvTranspose2d) Options() ops.ConvTranspose2dOptions {
	c := l.Config
	return ops.ConvTranspose2dOptions{Stride: c.Stride, Padding: c.Padding, OutputPadding: c.OutputPadding,
		Dilation: c.Dilation, Groups: c.Groups}
}

// Forward maps x [N, In, H, W] to [N, Out, OH, OW], OH =
// (H−1)·stride − 2·padding + dilation·(KH−1) + output padding + 1.
func (l *ConvTranspose2d) Forward(x *ops.Var) *ops.Var {
	l.checkInput(x)
	return observe(l, x, ops.ConvTranspose2d(x, l.Weight, l.Bias, l.Options()))
}

// ForwardSize maps x [N, In, H, W] to [N, Out, oh, ow], choosing the output
// padding that gives that size, as PyTorch's forward(input, output_size)
// does. It panics if no output padding below the stride (or dilation)
// reaches the size.
func (l *ConvTranspose2d) ForwardSize(x *ops.Var, oh, ow int) *ops.Var {
	s := l.checkInput(x)
	o := l.Options()
	want := [2]int{oh, ow}
	for a := range 2 {
		st, d := max(o.Stride[a], 1), max(o.Dilation[a], 1)
		base := ops.ConvTranspose2dOutputSize(s[2+a], l.Config.Kernel[a], st, o.Padding[a], 0, d)
		op := want[a] - base
		if op < 0 || (op >= st && op >= d) {
			panic(fmt.Sprintf("nn: ConvTranspose2d(%d→%d) cannot map input %v to size %v (sizes %d … %d reachable)",
				l.Config.In, l.Config.Out, s, want, base, base+max(st, d)-1))
		}
		o.OutputPadding[a] = op
	}
	return observe(l, x, ops.ConvTranspose2d(x, l.Weight, l.Bias, o))
}

func (l *ConvTranspose2d) checkInput(x *ops.Var) []int {
	s := x.Value.Shape()
	if len(s) != 4 || s[1] != l.Config.In {
		panic(fmt.Sprintf("nn: ConvTranspose2d(%d→%d) got input %v, want [N, %d, H, W]", l.Config.In, l.Config.Out, s, l.Config.In))
	}
	return s
}

// LocalParams returns weight and bias.
func (l *ConvTranspose2d) LocalParams() []Param {
	return weightBiasParams(l.Weight, l.Bias)
}

// Upsample resamples its input (PyTorch's nn.Upsample): nearest or bilinear,
// to a fixed size or by a scale factor. It has no parameters.
type Upsample struct {
	Base
	Options ops.UpsampleOptions
}

// NewUpsample returns an Upsample module with the given options (exactly one
// of o.Size and o.Scale set).
func NewUpsample(o ops.UpsampleOptions) *Upsample { return &Upsample{Options: o} }

// Forward maps x [N, C, H, W] to [N, C, OH, OW].
func (u *Upsample) Forward(x *ops.Var) *ops.Var { return observe(u, x, ops.Upsample2d(x, u.Options)) }

// ForwardSize maps x [N, C, H, W] to [N, C, oh, ow] with the module's mode
// and align_corners, ignoring its size or scale.
func (u *Upsample) ForwardSize(x *ops.Var, oh, ow int) *ops.Var {
	o := u.Options
	o.Size, o.Scale = [2]int{oh, ow}, [2]float64{}
	return observe(u, x, ops.Upsample2d(x, o))
}
