package kernels

import "math"

// Element-wise kernels for the training activations of package ops whose
// forward pass is a clamp (ReLU6, hardtanh, Clip) and whose backward pass
// lets the output gradient through a mask of the input. They follow
// PyTorch 1.13's CPU semantics, NaN and −0 included, exactly as the
// reference loops below spell them out; on CPUs with AVX-512 they run 16
// elements per instruction (act_train_amd64.s) with bit-identical results.
//
// Each backward kernel either accumulates into dx (dx[i] += g[i] where the
// mask passes, dx[i] untouched elsewhere) or, for a gradient buffer that no
// other op has written yet, sets it (dx[i] = 0 + g[i] where the mask
// passes, +0 elsewhere): the value that accumulating into a zeroed buffer
// gives, without zeroing the buffer first or reading it.

// GradMask selects where a masked gradient passes, as a function of the
// saved tensor s (an activation's input or output) and two bounds lo, hi.
type GradMask int

const (
	// MaskOpen passes where !(s ≤ lo || s ≥ hi): strictly inside (lo, hi),
	// and for NaN (PyTorch's hardtanh_backward, hence relu6's).
	MaskOpen GradMask = iota
	// MaskClosed passes where lo ≤ s ≤ hi, bounds included, and not for
	// NaN (PyTorch's clamp_backward).
	MaskClosed
	// MaskNonZero passes where s is not ±0 (positive, negative or NaN);
	// lo and hi are unused. On a ReLU output it is ReLUBackward's mask.
	MaskNonZero
)

// pass reports whether m lets the gradient through at s.
func (m GradMask) pass(s, lo, hi float32) bool {
	switch m {
	case MaskOpen:
		return !(s <= lo || s >= hi)
	case MaskClosed:
		return s >= lo && s <= hi
	}
	return math.Float32bits(s)&0x7fffffff != 0
}

// Clamp sets dst[i] = min(max(src[i], lo), hi) for i < len(src), as the
// reference loop clampGo computes it: NaN passes unchanged (payload
// included), −0 stays −0 when lo is 0, and every output is hi when lo > hi
// (torch.clamp's and ONNX Clip's rule).
func Clamp(dst, src []float32, lo, hi float32) {
	dst = dst[:len(src)]
	if len(src) >= 16 && actTrainVector {
		clampAVX512(&dst[0], &src[0], len(src), lo, hi)
		return
	}
	clampGo(dst, src, lo, hi)
}

// MaskedGrad passes the output gradient g [n] to the input gradient dx [n]
// where the mask m passes at s[i] (n = len(s)): with set false it adds
// g[i] to dx[i] there and leaves dx[i] alone elsewhere; with set true it
// writes 0 + g[i] there (so −0 becomes +0) and +0 elsewhere, without
// reading dx.
func MaskedGrad(m GradMask, lo, hi float32, s, g, dx []float32, set bool) {
	g, dx = g[:len(s)], dx[:len(s)]
	if len(s) >= 16 && actTrainVector {
		mode := int(m)
		if set {
			mode |= maskedGradSet
		}
		maskedGradAVX512(&s[0], &g[0], &dx[0], len(s), lo, hi, mode)
		return
	}
	maskedGradGo(m, lo, hi, s, g, dx, set)
}

// maskedGradSet is the bit of maskedGradAVX512's mode that asks for set
// instead of accumulate; the low bits are the GradMask.
const maskedGradSet = 4

// clampGo is Clamp's reference loop.
func clampGo(dst, src []float32, lo, hi float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		if v < lo {
			v = lo
		}
		if v > hi {
			v = hi
		}
		dst[i] = v
	}
}

// maskedGradGo is MaskedGrad's reference loop.
func maskedGradGo(m GradMask, lo, hi float32, s, g, dx []float32, set bool) {
	g, dx = g[:len(s)], dx[:len(s)]
	for i, v := range s {
		if set {
			var d float32
			if m.pass(v, lo, hi) {
				d += g[i]
			}
			dx[i] = d
		} else if m.pass(v, lo, hi) {
			dx[i] += g[i]
		}
	}
}

// SetGrad sets dx[i] = 0 + g[i] for i < len(g): g's values with −0 turned
// into +0, what accumulating g into a zeroed buffer gives. It is
// MaskedGrad with a mask that passes everywhere (MaskOpen between NaN
// bounds: no comparison with NaN holds).
func SetGrad(dx, g []float32) {
	nan := float32(math.NaN())
	MaskedGrad(MaskOpen, nan, nan, g, g, dx, true)
}
