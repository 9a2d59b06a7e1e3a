package nn

import (
	"fmt"

	"convnet/ops"
	"convnet/tensor"
)

// BatchNorm normalises each channel of [N, C], [N, C, L] or [N, C, H, W]
// (Ioffe & Szegedy, arXiv:1502.03167): batch statistics in training (and
// an update of the running statistics), running statistics in evaluation.
// BatchNorm2d and BatchNorm1d are this type.
type BatchNorm struct {
	Base
	Weight      *ops.Var       // [C] γ, nil when not affine
	Bias        *ops.Var       // [C] β, nil when not affine
	RunningMean *tensor.Tensor // [C]
	RunningVar  *tensor.Tensor // [C]
	Momentum    float64
	Eps         float64
}

// NewBatchNorm2d returns PyTorch's BatchNorm2d(c): γ = 1, β = 0, running
// mean 0 and variance 1, momentum 0.1, eps 1e-5.
func NewBatchNorm2d(c int) *BatchNorm {
	if c < 1 {
		panic(fmt.Sprintf("nn: BatchNorm of %d channels", c))
	}
	return &BatchNorm{
		Weight: ops.Param(tensor.Ones(c)), Bias: ops.Param(tensor.New(c)),
		RunningMean: tensor.New(c), RunningVar: tensor.Ones(c),
		Momentum: 0.1, Eps: 1e-5,
	}
}

// NewBatchNorm1d returns PyTorch's BatchNorm1d(c) (same defaults).
func NewBatchNorm1d(c int) *BatchNorm { return NewBatchNorm2d(c) }

// Forward normalises x.
func (b *BatchNorm) Forward(x *ops.Var) *ops.Var {
	b.checkInput(x)
	return observe(b, x, ops.BatchNorm(x, b.Weight, b.Bias, b.RunningMean, b.RunningVar, b.Training(), b.Momentum, b.Eps))
}

// ForwardReLU returns ReLU(b.Forward(x)) through ops.BatchNormReLU, which
// rectifies each block of the output while it is in cache. While Trace
// observes the layers it runs as Forward then ReLU, so that the trace sees
// this layer's own output.
func (b *BatchNorm) ForwardReLU(x *ops.Var) *ops.Var {
	if tracer.Load() != nil {
		return ops.ReLU(b.Forward(x))
	}
	b.checkInput(x)
	return ops.BatchNormReLU(x, b.Weight, b.Bias, b.RunningMean, b.RunningVar, b.Training(), b.Momentum, b.Eps)
}

// ForwardReLU6 returns ReLU6(b.Forward(x)) through ops.BatchNormReLU6, as
// ForwardReLU does for ReLU; under Trace it runs as Forward then ReLU6.
func (b *BatchNorm) ForwardReLU6(x *ops.Var) *ops.Var {
	if tracer.Load() != nil {
		return ops.ReLU6(b.Forward(x))
	}
	b.checkInput(x)
	return ops.BatchNormReLU6(x, b.Weight, b.Bias, b.RunningMean, b.RunningVar, b.Training(), b.Momentum, b.Eps)
}

// ForwardAddReLU returns ReLU(b.Forward(x) + res) through
// ops.BatchNormAddReLU (the end of a residual block), as ForwardReLU does
// for ReLU alone; under Trace it runs as Forward then ops.AddReLU.
func (b *BatchNorm) ForwardAddReLU(x, res *ops.Var) *ops.Var {
	if tracer.Load() != nil {
		return ops.AddReLU(b.Forward(x), res)
	}
	b.checkInput(x)
	return ops.BatchNormAddReLU(x, res, b.Weight, b.Bias, b.RunningMean, b.RunningVar, b.Training(), b.Momentum, b.Eps)
}

// checkInput panics unless x is [N, C, ...] with the layer's C.
func (b *BatchNorm) checkInput(x *ops.Var) {
	c := b.RunningMean.Len()
	if x.Value.NDim() < 2 || x.Value.Dim(1) != c {
		panic(fmt.Sprintf("nn: BatchNorm(%d) got input %v, want [N, %d, ...]", c, x.Value.Shape(), c))
	}
}

// LocalParams returns weight and bias.
func (b *BatchNorm) LocalParams() []Param {
	if b.Weight == nil {
		return nil
	}
	return []Param{{"weight", b.Weight}, {"bias", b.Bias}}
}

// LocalBuffers returns the running statistics.
func (b *BatchNorm) LocalBuffers() []Buffer {
	return []Buffer{{"running_mean", b.RunningMean}, {"running_var", b.RunningVar}}
}

// Activation returns a module applying a parameter-free op. Name is one of
// relu, relu6, sigmoid, tanh, silu, hardswish, hardsigmoid.
func Activation(name string) *Func {
	fs := map[string]func(*ops.Var) *ops.Var{
		"relu": ops.ReLU, "relu6": ops.ReLU6, "sigmoid": ops.Sigmoid, "tanh": ops.Tanh,
		"silu": ops.SiLU, "hardswish": ops.HardSwish, "hardsigmoid": ops.HardSigmoid,
	}
	f, ok := fs[name]
	if !ok {
		panic("nn: unknown activation " + name)
	}
	return &Func{Name: name, F: f, act: name}
}

// LeakyReLU returns a LeakyReLU module with the given negative slope.
func LeakyReLU(slope float32) *Func {
	return &Func{Name: "leaky_relu", F: func(x *ops.Var) *ops.Var { return ops.LeakyReLU(x, slope) }}
}

// MaxPool2d returns a max-pooling module.
func MaxPool2d(o ops.Pool2dOptions) *Func {
	return &Func{Name: "MaxPool2d", F: func(x *ops.Var) *ops.Var { return ops.MaxPool2d(x, o) }}
}

// AvgPool2d returns an average-pooling module.
func AvgPool2d(o ops.Pool2dOptions) *Func {
	return &Func{Name: "AvgPool2d", F: func(x *ops.Var) *ops.Var { return ops.AvgPool2d(x, o) }}
}

// GlobalAvgPool2d returns a module averaging each channel to 1×1.
func GlobalAvgPool2d() *Func { return &Func{Name: "GlobalAvgPool2d", F: ops.GlobalAvgPool2d} }

// AdaptiveAvgPool2d returns a module averaging to an h×w output.
func AdaptiveAvgPool2d(h, w int) *Func {
	return &Func{Name: "AdaptiveAvgPool2d", F: func(x *ops.Var) *ops.Var { return ops.AdaptiveAvgPool2d(x, h, w) }}
}

// Dropout zeroes each element with probability P in training and scales the
// rest by 1/(1−P) (Srivastava et al., JMLR 2014); identity in evaluation.
// Its random stream is its own, so that it can be saved and restored.
type Dropout struct {
	Base
	P   float32
	Rng *tensor.RNG
}

// NewDropout returns a Dropout module whose mask stream is split from g.
func NewDropout(g *tensor.RNG, p float32) *Dropout { return &Dropout{P: p, Rng: g.Split()} }

// Forward applies dropout in training mode.
func (d *Dropout) Forward(x *ops.Var) *ops.Var {
	return observe(d, x, ops.Dropout(x, d.P, d.Training(), d.Rng))
}

// RNG returns the module's random stream (checkpoints save its state).
func (d *Dropout) RNG() *tensor.RNG { return d.Rng }
