package ops

import "convnet/internal/kernels"

// Gradient pieces shared by the convolution ops (conv.go, conv_depthwise.go,
// convtranspose.go).

// convBiasGrad adds to gb [C] the sum of gy [N, C, HW] over the batch and
// the pixels, per channel, in float64 and in a fixed order (so the result
// does not depend on the number of threads).
func convBiasGrad(gb, gy []float32, n, c, hw int) {
	kernels.ParallelFor(c, 1, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			s := 0.0
			for i := 0; i < n; i++ {
				for _, v := range gy[(i*c+ch)*hw : (i*c+ch+1)*hw] {
					s += float64(v)
				}
			}
			gb[ch] += float32(s)
		}
	})
}

// addPartials adds the per-chunk weight gradients into gw in chunk order.
func addPartials(gw []float32, partial [][]float32) {
	for _, pw := range partial {
		for j, v := range pw {
			gw[j] += v
		}
	}
}
