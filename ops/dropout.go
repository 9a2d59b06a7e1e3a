package ops

import (
	"fmt"
	"math"

	"convnet/tensor"
)

// Dropout applies inverted dropout to x (any shape), as
// torch.nn.functional.dropout does on the CPU: in training each element is
// kept with probability 1 − p and multiplied by 1/(1 − p), or else
// multiplied by 0, so the expected output equals x. The gradient is the
// output gradient times the same factor (0 or 1/(1 − p)).
//
// When training is false or p == 0, Dropout returns x itself. p == 1 gives
// x·0 (zeros for finite x; like PyTorch, Inf and NaN give NaN). p outside
// [0, 1] (or NaN) panics. The mask is drawn serially from rng in row-major
// order, one 32-bit uniform per element (two per rng.Uint64), so the result
// depends only on the rng's state, never on the thread count; rng is not
// advanced when x is returned or p == 1. The mask is stored (one bit per
// element) only when a gradient is needed.
func Dropout(x *Var, p float32, training bool, rng *tensor.RNG) *Var {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("ops: Dropout probability %v of input %v is outside [0, 1]", p, x.Value.Shape()))
	}
	if !training || p == 0 {
		return x
	}
	out := tensor.New(x.Value.Shape()...) // same shape as x
	xd, yd := x.Value.Data(), out.Data()
	if p == 1 {
		for i, v := range xd {
			yd[i] = v * 0
		}
		return result("dropout", out, func(o *Var) {
			if needs(x) {
				dx := x.gradBuf().Data()
				for i, g := range o.Grad.Data() {
					dx[i] += g * 0
				}
			}
		}, x)
	}
	scale := 1 / (1 - p)
	// An element is kept when its 32-bit uniform u satisfies u ≥ p·2³², which
	// happens with probability 1 − p (to within 2⁻³²).
	threshold := uint64(math.Round(float64(p) * (1 << 32)))
	var mask []uint64 // one bit per element of x, set where kept
	if GradEnabled() && needs(x) {
		mask = make([]uint64, (len(xd)+63)/64)
	}
	var bits uint64
	for i, v := range xd {
		if i%2 == 0 {
			bits = rng.Uint64()
		} else {
			bits >>= 32
		}
		if bits&0xffffffff >= threshold {
			yd[i] = v * scale
			if mask != nil {
				mask[i/64] |= 1 << (i % 64)
			}
		} else {
			yd[i] = v * 0
		}
	}
	return result("dropout", out, func(o *Var) {
		if !needs(x) {
			return
		}
		dx := x.gradBuf().Data()
		for i, g := range o.Grad.Data() {
			if mask[i/64]&(1<<(i%64)) != 0 {
				dx[i] += g * scale
			} else {
				dx[i] += g * 0
			}
		}
	}, x)
}
