package nn

import (
	"fmt"

	"convnet/ops"
	"convnet/tensor"
)

// StochasticDepth drops whole samples of a residual branch (Huang et al.,
// "Deep Networks with Stochastic Depth", arXiv:1603.09382), in the "row"
// mode of torchvision.ops.StochasticDepth: in training each of the N rows of
// x [N, ...] is zeroed with probability P and the kept rows are scaled by
// 1/(1−P), so the expected output equals x; in evaluation, or with P = 0, it
// is the identity. It has no parameters; its random stream is its own, so
// that checkpoints can save and restore it (see RNG).
type StochasticDepth struct {
	Base
	P   float32
	Rng *tensor.RNG
}

// NewStochasticDepth returns a StochasticDepth module with drop
// probability p whose stream is split from g.
func NewStochasticDepth(g *tensor.RNG, p float32) *StochasticDepth {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("nn: StochasticDepth probability %v is outside [0, 1]", p))
	}
	return &StochasticDepth{P: p, Rng: g.Split()}
}

// Forward multiplies each row of x by 0 or 1/(1−P) in training mode. The
// mask [N, 1, …, 1] draws one uniform per row, in order, from Rng; it is
// applied with ops.Mul, which also gives the gradient.
func (s *StochasticDepth) Forward(x *ops.Var) *ops.Var {
	if !s.Training() || s.P == 0 {
		return x
	}
	sh := x.Value.Shape()
	if len(sh) < 1 {
		panic("nn: StochasticDepth of a scalar")
	}
	ms := make([]int, len(sh)) // [N, 1, …, 1]
	for i := range ms {
		ms[i] = 1
	}
	ms[0] = sh[0]
	mask := tensor.New(ms...)
	keep := 1 - float64(s.P)
	md := mask.Data()
	for i := range md {
		if s.Rng.Float64() < keep {
			md[i] = float32(1 / keep)
		}
	}
	return ops.Mul(x, ops.Const(mask))
}

// RNG returns the module's random stream (checkpoints save its state).
func (s *StochasticDepth) RNG() *tensor.RNG { return s.Rng }
