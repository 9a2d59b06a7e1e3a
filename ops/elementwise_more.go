package ops

import (
	"fmt"
	"math"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// More element-wise ops, those ONNX import needs beyond the activations of
// activation.go and the arithmetic of arith.go. Unary ops take x of any
// shape and return a Var of the same shape; binary ops broadcast as in
// arith.go. Values are computed in float64 and rounded once; forward values
// and gradients, including those at kinks and ties, follow PyTorch 1.13
// (the ONNX operator of the same name has the same forward definition).

// exUnary applies f element-wise to x and records the backward pass
// dx += g·df(x, y), where y = f(x) is the output.
func exUnary(op string, x *Var, f func(v float64) float64, df func(x, y float64) float64) *Var {
	out, pooled := actMap(x, func(src, dst []float32) {
		for i, v := range src {
			dst[i] = float32(f(float64(v)))
		}
	})
	return result(op, out, func(o *Var) {
		if !needs(x) {
			return
		}
		xd, yd, gd, dd := x.Value.Data(), out.Data(), o.Grad.Data(), x.gradBuf().Data()
		kernels.ParallelFor(len(xd), actGrain, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				dd[i] += float32(float64(gd[i]) * df(float64(xd[i]), float64(yd[i])))
			}
		})
	}, x).owns(pooled)
}

// PRelu returns x where x > 0 and slope·x elsewhere (ONNX PRelu,
// torch.nn.functional.prelu with the slope already shaped for
// broadcasting). slope must broadcast to x's shape without changing it
// (ONNX's unidirectional broadcasting): a per-channel slope of PyTorch's
// nn.PReLU is [C, 1, 1] for x [N, C, H, W], a shared one is [1]. The
// gradient is 1 (x) or slope (x ≤ 0) for x and 0 (x > 0) or x (x ≤ 0) for
// slope, summed over the broadcast dimensions.
func PRelu(x, slope *Var) *Var {
	xs, ss := x.Value.Shape(), slope.Value.Shape()
	if bs, err := BroadcastShapes(xs, ss); err != nil || !tensor.ShapeEqual(bs, xs) {
		panic(fmt.Sprintf("ops: PRelu: slope of shape %v does not broadcast to x of shape %v", ss, xs))
	}
	return binary("prelu", x, slope,
		func(x, w float32) float32 {
			if x > 0 {
				return x
			}
			return w * x
		},
		func(x, w float32) float32 {
			if x > 0 {
				return 1
			}
			return w
		},
		func(x, w float32) float32 {
			if x > 0 {
				return 0
			}
			return x
		})
}

// Elu returns x where x > 0 and alpha·(eˣ − 1) elsewhere (ONNX Elu,
// torch.nn.functional.elu). Its gradient is 1 for x > 0 and alpha·eˣ for
// x ≤ 0 (so alpha at 0, as PyTorch).
func Elu(x *Var, alpha float32) *Var {
	a := float64(alpha)
	return exUnary("elu", x,
		func(v float64) float64 {
			if v > 0 {
				return v
			}
			return a * math.Expm1(v)
		},
		func(v, _ float64) float64 {
			if v > 0 {
				return 1
			}
			return a * math.Exp(v)
		})
}

// Default coefficients of ONNX Selu (and of torch.nn.functional.selu,
// which rounds them to the same float32 values).
const (
	SeluAlpha = 1.67326319217681884765625
	SeluGamma = 1.05070102214813232421875
)

// Selu returns gamma·x where x > 0 and gamma·alpha·(eˣ − 1) elsewhere (ONNX
// Selu; SeluAlpha and SeluGamma give torch.nn.functional.selu). Its
// gradient is gamma for x > 0 and gamma·alpha·eˣ for x ≤ 0.
func Selu(x *Var, alpha, gamma float32) *Var {
	a, g := float64(alpha), float64(gamma)
	return exUnary("selu", x,
		func(v float64) float64 {
			if v > 0 {
				return g * v
			}
			return g * a * math.Expm1(v)
		},
		func(v, _ float64) float64 {
			if v > 0 {
				return g
			}
			return g * a * math.Exp(v)
		})
}

// Softplus returns ln(1 + eˣ) element-wise (ONNX Softplus), computed
// without overflow as max(x, 0) + ln(1 + e^−|x|). Its gradient is σ(x).
// It equals torch.nn.functional.softplus(x) (beta 1, threshold 20) in
// float32: beyond the threshold ln(1 + eˣ) rounds to x.
func Softplus(x *Var) *Var {
	return exUnary("softplus", x,
		func(v float64) float64 { return math.Max(v, 0) + math.Log1p(math.Exp(-math.Abs(v))) },
		func(v, _ float64) float64 { return 1 / (1 + math.Exp(-v)) })
}

// Softsign returns x / (1 + |x|) element-wise (ONNX Softsign). Its
// gradient is 1 / (1 + |x|)².
func Softsign(x *Var) *Var {
	return exUnary("softsign", x,
		func(v float64) float64 { return v / (1 + math.Abs(v)) },
		func(v, _ float64) float64 { d := 1 + math.Abs(v); return 1 / (d * d) })
}

// Exp returns eˣ element-wise. Its gradient is the output eˣ.
func Exp(x *Var) *Var {
	return exUnary("exp", x, math.Exp, func(_, y float64) float64 { return y })
}

// Log returns the natural logarithm of x element-wise (−Inf at 0, NaN
// below). Its gradient is 1/x.
func Log(x *Var) *Var {
	return exUnary("log", x, math.Log, func(v, _ float64) float64 { return 1 / v })
}

// Sqrt returns √x element-wise (NaN below 0). Its gradient is 1/(2√x),
// +Inf at 0 as in PyTorch.
func Sqrt(x *Var) *Var {
	return exUnary("sqrt", x, math.Sqrt, func(_, y float64) float64 { return 1 / (2 * y) })
}

// Neg returns −x element-wise. Its gradient is −1.
func Neg(x *Var) *Var {
	return exUnary("neg", x, func(v float64) float64 { return -v }, func(_, _ float64) float64 { return -1 })
}

// Abs returns |x| element-wise. Its gradient is sign(x): −1, 0 at 0, or 1,
// as in PyTorch.
func Abs(x *Var) *Var {
	return exUnary("abs", x, math.Abs, func(v, _ float64) float64 {
		switch {
		case v > 0:
			return 1
		case v < 0:
			return -1
		}
		return 0
	})
}

// Reciprocal returns 1/x element-wise. Its gradient is −1/x², computed as
// −y² from the output y.
func Reciprocal(x *Var) *Var {
	return exUnary("reciprocal", x, func(v float64) float64 { return 1 / v }, func(_, y float64) float64 { return -y * y })
}

// Erf returns the error function of x element-wise (ONNX Erf). Its
// gradient is 2/√π · e^−x².
func Erf(x *Var) *Var {
	return exUnary("erf", x, math.Erf, func(v, _ float64) float64 { return 2 / math.SqrtPi * math.Exp(-v*v) })
}

// Clip returns min(max(x, lo), hi) element-wise (ONNX Clip,
// torch.clamp); pass ±Inf for a missing bound. When lo > hi every output
// is hi, as both specify. NaN stays NaN. The gradient passes where
// lo ≤ x ≤ hi (bounds included, as in PyTorch) and is 0 elsewhere and for
// NaN.
//
// Both directions run on kernels.Clamp and kernels.MaskedGrad (MaskClosed
// on the input).
func Clip(x *Var, lo, hi float32) *Var {
	out, pooled := actMap(x, func(src, dst []float32) { kernels.Clamp(dst, src, lo, hi) })
	return resultAttrs("clip", [2]float32{lo, hi}, out, func(o *Var) {
		actBackSet(x, o, x.Value, func(xs, g, dx []float32, set bool) {
			kernels.MaskedGrad(kernels.MaskClosed, lo, hi, xs, g, dx, set)
		})
	}, x).owns(pooled)
}

// Pow returns aᵇ element-wise with broadcasting (ONNX Pow, torch.pow),
// computed in float64 (a negative base with a non-integer exponent gives
// NaN). The gradients are PyTorch's: b·a^(b−1) for a (0 where b = 0) and
// aᵇ·ln a for b (0 where a = 0 and b ≥ 0).
func Pow(a, b *Var) *Var {
	return binary("pow", a, b,
		func(x, y float32) float32 { return float32(math.Pow(float64(x), float64(y))) },
		func(x, y float32) float32 {
			if y == 0 {
				return 0
			}
			return float32(float64(y) * math.Pow(float64(x), float64(y)-1))
		},
		func(x, y float32) float32 {
			if x == 0 && y >= 0 {
				return 0
			}
			return float32(math.Pow(float64(x), float64(y)) * math.Log(float64(x)))
		})
}

// Maximum returns the element-wise maximum of a and b with broadcasting
// (torch.maximum; ONNX Max of two inputs). NaN in either operand gives
// NaN. The gradient goes to the larger operand; on a tie it is split
// half and half, as in PyTorch.
func Maximum(a, b *Var) *Var {
	return binary("maximum", a, b,
		func(x, y float32) float32 {
			if x != x || x > y {
				return x
			}
			return y
		},
		func(x, y float32) float32 { return exTieGrad(x, y) },
		func(x, y float32) float32 { return exTieGrad(y, x) })
}

// Minimum returns the element-wise minimum of a and b with broadcasting
// (torch.minimum; ONNX Min of two inputs). NaN in either operand gives
// NaN. The gradient goes to the smaller operand; on a tie it is split
// half and half, as in PyTorch.
func Minimum(a, b *Var) *Var {
	return binary("minimum", a, b,
		func(x, y float32) float32 {
			if x != x || x < y {
				return x
			}
			return y
		},
		func(x, y float32) float32 { return exTieGrad(-x, -y) },
		func(x, y float32) float32 { return exTieGrad(-y, -x) })
}

// exTieGrad is ∂max(x, y)/∂x as PyTorch defines it: 1 if x > y, ½ if
// x = y, 0 if x < y, and 1 when either is NaN (neither comparison holds).
func exTieGrad(x, y float32) float32 {
	switch {
	case x == y:
		return 0.5
	case x < y:
		return 0
	}
	return 1
}
