package ops

import (
	"math"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// Element-wise activations. Each takes x of any shape and returns a new Var
// of the same shape; forward and backward follow PyTorch 1.13's CPU kernels,
// including the value of the gradient at kinks and the propagation of NaN.
// Loops are split over elements with kernels.ParallelFor; every element is
// independent, so results do not depend on the thread count.

// actGrain is the smallest number of elements worth a goroutine.
const actGrain = 1 << 15

// actMap applies the forward loop f to x's data into a new tensor of x's
// shape, in parallel chunks, and reports whether the buffer is pooled
// (newValue).
func actMap(x *Var, f func(src, dst []float32)) (*tensor.Tensor, bool) {
	out, pooled := newValue(x.Value.Shape(), x) // same shape as x
	xd, yd := x.Value.Data(), out.Data()
	kernels.ParallelFor(len(xd), actGrain, func(lo, hi int) { f(xd[lo:hi], yd[lo:hi]) })
	return out, pooled
}

// actBack runs the backward loop f over parallel chunks of the saved
// tensor s (the op's input or output), the output gradient and x's
// gradient buffer, which f accumulates into.
func actBack(x, o *Var, s *tensor.Tensor, f func(s, g, dx []float32)) {
	if !needs(x) {
		return
	}
	sd, gd, dd := s.Data(), o.Grad.Data(), x.gradBuf().Data()
	kernels.ParallelFor(len(sd), actGrain, func(lo, hi int) { f(sd[lo:hi], gd[lo:hi], dd[lo:hi]) })
}

// actBackSet is actBack for a backward loop f that writes every element
// of dx: f sets dx (to 0 + its contribution) when set is true, which is
// when x had no gradient yet and its buffer was not zeroed (see gradDst),
// and accumulates into it otherwise.
func actBackSet(x, o *Var, s *tensor.Tensor, f func(s, g, dx []float32, set bool)) {
	if !needs(x) {
		return
	}
	dst, set := x.gradDst()
	sd, gd, dd := s.Data(), o.Grad.Data(), dst.Data()
	kernels.ParallelFor(len(sd), actGrain, func(lo, hi int) { f(sd[lo:hi], gd[lo:hi], dd[lo:hi], set) })
}

// ReLU returns max(x, 0) element-wise (NaN stays NaN). Its gradient passes
// where the output is positive (or NaN) and is 0 elsewhere, so relu'(0) = 0.
//
// Both directions run on kernels.ReLU and kernels.ReLUBackward (or
// kernels.MaskedGrad with the same mask when x's gradient buffer is
// fresh); the backward pass reads the output (it is ±0 exactly where the
// gradient is blocked).
func ReLU(x *Var) *Var {
	out, pooled := actMap(x, func(src, dst []float32) { kernels.ReLU(dst, src) })
	return result("relu", out, func(o *Var) {
		actBackSet(x, o, out, func(y, g, dx []float32, set bool) {
			if set {
				kernels.MaskedGrad(kernels.MaskNonZero, 0, 0, y, g, dx, true)
			} else {
				kernels.ReLUBackward(y, g, dx)
			}
		})
	}, x).owns(pooled)
}

// ReLU6 returns min(max(x, 0), 6) element-wise (hardtanh(x, 0, 6); NaN
// stays NaN). Its gradient passes strictly inside (0, 6) and for NaN, and
// is 0 at and beyond both ends.
//
// Both directions run on kernels.Clamp and kernels.MaskedGrad (MaskOpen on
// the input), whose reference loops are clampGo and maskedGradGo.
func ReLU6(x *Var) *Var {
	out, pooled := actMap(x, func(src, dst []float32) { kernels.Clamp(dst, src, 0, 6) })
	return result("relu6", out, func(o *Var) {
		actBackSet(x, o, x.Value, func(xs, g, dx []float32, set bool) {
			kernels.MaskedGrad(kernels.MaskOpen, 0, 6, xs, g, dx, set)
		})
	}, x).owns(pooled)
}

// actClamp06 clamps v to [0, 6], letting NaN through.
func actClamp06(v float32) float32 {
	if v < 0 {
		return 0
	}
	if v > 6 {
		return 6
	}
	return v
}

// LeakyReLU returns x where x > 0 and slope·x elsewhere (PyTorch's
// leaky_relu with negative_slope = slope). Its gradient is 1 where x > 0
// and slope elsewhere (including at 0 and for NaN).
func LeakyReLU(x *Var, slope float32) *Var {
	out, pooled := actMap(x, func(src, dst []float32) {
		for i, v := range src {
			if !(v > 0) {
				v *= slope
			}
			dst[i] = v
		}
	})
	return resultAttrs("leaky_relu", slope, out, func(o *Var) {
		actBack(x, o, x.Value, func(xs, g, dx []float32) {
			for i, v := range xs {
				if v > 0 {
					dx[i] += g[i]
				} else {
					dx[i] += g[i] * slope
				}
			}
		})
	}, x).owns(pooled)
}

// actSigmoid returns 1 / (1 + e^−v), computed in float64 and rounded.
func actSigmoid(v float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(v))))
}

// Sigmoid returns 1 / (1 + e^−x) element-wise. Its gradient, from the
// output y, is y·(1 − y).
func Sigmoid(x *Var) *Var {
	out, pooled := actMap(x, func(src, dst []float32) {
		for i, v := range src {
			dst[i] = actSigmoid(v)
		}
	})
	return result("sigmoid", out, func(o *Var) {
		actBack(x, o, out, func(y, g, dx []float32) {
			for i, v := range y {
				dx[i] += g[i] * (1 - v) * v
			}
		})
	}, x).owns(pooled)
}

// Tanh returns tanh(x) element-wise. Its gradient, from the output y, is
// 1 − y².
func Tanh(x *Var) *Var {
	out, pooled := actMap(x, func(src, dst []float32) {
		for i, v := range src {
			dst[i] = float32(math.Tanh(float64(v)))
		}
	})
	return result("tanh", out, func(o *Var) {
		actBack(x, o, out, func(y, g, dx []float32) {
			for i, v := range y {
				dx[i] += g[i] * (1 - v*v)
			}
		})
	}, x).owns(pooled)
}

// SiLU returns x·σ(x) = x / (1 + e^−x) element-wise (Swish). Its gradient
// is σ(x)·(1 + x·(1 − σ(x))); σ is recomputed in the backward pass instead
// of being stored.
func SiLU(x *Var) *Var {
	out, pooled := actMap(x, func(src, dst []float32) {
		for i, v := range src {
			dst[i] = float32(float64(v) / (1 + math.Exp(-float64(v))))
		}
	})
	return result("silu", out, func(o *Var) {
		actBack(x, o, x.Value, func(xs, g, dx []float32) {
			for i, v := range xs {
				s := actSigmoid(v)
				dx[i] += g[i] * s * (1 + v*(1-s))
			}
		})
	}, x).owns(pooled)
}

// HardSwish returns x·relu6(x + 3)/6 element-wise. Its gradient is
// PyTorch 1.13's: 0 for x < −3, x/3 + 1/2 for −3 ≤ x ≤ 3, and 1 above (and
// for NaN).
func HardSwish(x *Var) *Var {
	out, pooled := actMap(x, func(src, dst []float32) {
		for i, v := range src {
			dst[i] = v * actClamp06(v+3) / 6
		}
	})
	return result("hardswish", out, func(o *Var) {
		actBack(x, o, x.Value, func(xs, g, dx []float32) {
			for i, v := range xs {
				switch {
				case v < -3:
				case v <= 3:
					dx[i] += g[i] * (v/3 + 0.5)
				default:
					dx[i] += g[i]
				}
			}
		})
	}, x).owns(pooled)
}

// HardSigmoid returns relu6(x + 3)/6 element-wise (PyTorch's hardsigmoid,
// not the Keras slope of 0.2). Its gradient is 1/6 strictly inside (−3, 3)
// and 0 elsewhere (and for NaN).
func HardSigmoid(x *Var) *Var {
	out, pooled := actMap(x, func(src, dst []float32) {
		for i, v := range src {
			dst[i] = actClamp06(v+3) / 6
		}
	})
	return result("hardsigmoid", out, func(o *Var) {
		actBack(x, o, x.Value, func(xs, g, dx []float32) {
			for i, v := range xs {
				if v > -3 && v < 3 {
					dx[i] += g[i] * (1.0 / 6)
				}
			}
		})
	}, x).owns(pooled)
}
