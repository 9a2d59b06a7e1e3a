package nn

import (
	"fmt"

	"convnet/ops"
	"convnet/tensor"
)

// Conv2dConfig configures a Conv2d layer. Zero values mean PyTorch's
// defaults (stride 1, no padding, dilation 1, one group, with bias).
type Conv2dConfig struct {
	In, Out  int    // input and output channels
	Kernel   [2]int // KH, KW
	Stride   [2]int
	Padding  [4]int // top, left, bottom, right
	Same     bool   // pad so that the output is ceil(input/stride) ("same"); overrides Padding
	Dilation [2]int
	Groups   int
	NoBias   bool
}

// Conv2d is a learned 2-D convolution layer.
type Conv2d struct {
	Base
	Weight *ops.Var // [Out, In/Groups, KH, KW]
	Bias   *ops.Var // [Out], nil without bias
	Config Conv2dConfig
}

// NewConv2d builds a Conv2d with PyTorch's default initialisation drawn
// from g.
func NewConv2d(g *tensor.RNG, c Conv2dConfig) *Conv2d {
	groups := max(c.Groups, 1)
	if c.In <= 0 || c.Out <= 0 || c.In%groups != 0 || c.Out%groups != 0 || c.Kernel[0] <= 0 || c.Kernel[1] <= 0 {
		panic(fmt.Sprintf("nn: Conv2d config %+v is invalid", c))
	}
	w, b := newWeightBias(g, []int{c.Out, c.In / groups, c.Kernel[0], c.Kernel[1]}, c.Out, !c.NoBias)
	return &Conv2d{Weight: w, Bias: b, Config: c}
}

// Conv returns a square-kernel Conv2d with symmetric padding: the common
// case nn.Conv2d(in, out, k, stride, pad).
func Conv(g *tensor.RNG, in, out, k, stride, pad int) *Conv2d {
	return NewConv2d(g, Conv2dConfig{In: in, Out: out, Kernel: [2]int{k, k}, Stride: [2]int{stride, stride},
		Padding: [4]int{pad, pad, pad, pad}})
}

// Options returns the op options for an input of height h and width w.
func (l *Conv2d) Options(h, w int) ops.Conv2dOptions {
	c := l.Config
	o := ops.Conv2dOptions{Stride: c.Stride, Padding: c.Padding, Dilation: c.Dilation, Groups: c.Groups}
	if c.Same {
		o.Padding = ops.SamePadding(h, w, c.Kernel[0], c.Kernel[1], c.Stride, c.Dilation)
	}
	return o
}

// Forward convolves x [N, In, H, W] into [N, Out, OH, OW].
func (l *Conv2d) Forward(x *ops.Var) *ops.Var {
	s := x.Value.Shape()
	if len(s) != 4 || s[1] != l.Config.In {
		panic(fmt.Sprintf("nn: Conv2d(%d→%d) got input %v, want [N, %d, H, W]", l.Config.In, l.Config.Out, s, l.Config.In))
	}
	return observe(l, x, ops.Conv2d(x, l.Weight, l.Bias, l.Options(s[2], s[3])))
}

// LocalParams returns weight and bias.
func (l *Conv2d) LocalParams() []Param {
	return weightBiasParams(l.Weight, l.Bias)
}

// Linear is a fully connected layer y = x·Wᵀ + b.
type Linear struct {
	Base
	Weight *ops.Var // [Out, In]
	Bias   *ops.Var // [Out], nil without bias
}

// NewLinear builds a Linear layer with PyTorch's default initialisation.
func NewLinear(g *tensor.RNG, in, out int, bias bool) *Linear {
	if in <= 0 || out <= 0 {
		panic(fmt.Sprintf("nn: Linear(%d, %d) is invalid", in, out))
	}
	w, b := newWeightBias(g, []int{out, in}, out, bias)
	return &Linear{Weight: w, Bias: b}
}

// Forward maps x [..., In] to [..., Out].
func (l *Linear) Forward(x *ops.Var) *ops.Var {
	in := l.Weight.Value.Dim(1)
	if x.Value.NDim() < 1 || x.Value.Dim(-1) != in {
		panic(fmt.Sprintf("nn: Linear(%d→%d) got input %v, want [..., %d]", in, l.Weight.Value.Dim(0), x.Value.Shape(), in))
	}
	return observe(l, x, ops.Linear(x, l.Weight, l.Bias))
}

// LocalParams returns weight and bias.
func (l *Linear) LocalParams() []Param {
	return weightBiasParams(l.Weight, l.Bias)
}

// newWeightBias allocates a weight of the given shape and, when withBias,
// a bias [n], both with PyTorch's default initialisation (DefaultInit); the
// bias is nil otherwise.
func newWeightBias(g *tensor.RNG, shape []int, n int, withBias bool) (w, b *ops.Var) {
	wt := tensor.New(shape...)
	var bt *tensor.Tensor
	if withBias {
		bt = tensor.New(n)
	}
	DefaultInit(wt, bt, g)
	if bt != nil {
		b = ops.Param(bt)
	}
	return ops.Param(wt), b
}

// weightBiasParams names a layer's weight and (when not nil) bias.
func weightBiasParams(w, b *ops.Var) []Param {
	ps := []Param{{"weight", w}}
	if b != nil {
		ps = append(ps, Param{"bias", b})
	}
	return ps
}
