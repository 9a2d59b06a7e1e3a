package kernels

import "math"

// ReLU element-wise kernels, with PyTorch 1.13's CPU semantics: the
// forward pass keeps x where !(x < 0) (so −0, +0, positive values and NaN
// pass unchanged, bit for bit) and writes +0 elsewhere; the backward pass lets the
// gradient through where the output is not ±0. On CPUs with AVX-512 they
// run 16 elements per instruction (relu_amd64.s); results are bit-identical
// to the reference loops below on every path.

// ReLU sets dst[i] = src[i] if !(src[i] < 0), else +0, for i < len(src).
func ReLU(dst, src []float32) {
	dst = dst[:len(src)]
	if len(src) >= 16 && reluVector {
		reluAVX512(&dst[0], &src[0], len(src))
		return
	}
	reluGo(dst, src)
}

// ReLUBackward adds g[i] to dx[i] where the ReLU output y[i] is not ±0
// (positive or NaN), and +0 elsewhere, for i < len(y).
func ReLUBackward(y, g, dx []float32) {
	g, dx = g[:len(y)], dx[:len(y)]
	if len(y) >= 16 && reluVector {
		reluBackwardAVX512(&y[0], &g[0], &dx[0], len(y))
		return
	}
	reluBackwardGo(y, g, dx)
}

// reluGo is ReLU's reference loop.
func reluGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		// A mask instead of a branch (a sign test mispredicts half the
		// time on activations); v's bits are kept, NaN payloads and −0
		// included, unless v < 0.
		var neg uint32
		if v < 0 {
			neg = 1
		}
		dst[i] = math.Float32frombits(math.Float32bits(v) &^ -neg)
	}
}

// reluBackwardGo is ReLUBackward's reference loop.
func reluBackwardGo(y, g, dx []float32) {
	g, dx = g[:len(y)], dx[:len(y)]
	for i, v := range y {
		// Pass where !(y <= 0): y is +0, −0, positive or NaN, so the
		// gradient passes exactly when |y|'s bits are non-zero. The mask
		// keeps g's bits or clears them, without a branch.
		a := math.Float32bits(v) & 0x7fffffff
		keep := uint32(int32(a|-a) >> 31)
		dx[i] += math.Float32frombits(math.Float32bits(g[i]) & keep)
	}
}
