package ops

import (
	"fmt"
	"math"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// Local response normalisation across channels (Krizhevsky et al. 2012,
// "ImageNet Classification with Deep Convolutional Neural Networks",
// section 3.3), with the semantics of torch.nn.functional.
// local_response_norm.
//
// Dimension legend: N batch, C channels, S the product of the trailing
// (spatial) dimensions. For channel c the window is channels
// c − ⌊size/2⌋ … c + ⌊(size−1)/2⌋, with channels outside [0, C) counting as
// zeros (an even size reaches one channel further down than up, as in
// PyTorch), and
//
//	d_c = k + α/size · Σ_{j in window(c)} x_j²,   y_c = x_c / d_c^β.
//
// The backward pass, with g = dL/dy:
//
//	dL/dx_j = g_j / d_j^β − (2αβ/size) · x_j · Σ_{c : j in window(c)} g_c · y_c / d_c

// lrnBlock is the number of spatial positions one parallel task handles.
const lrnBlock = 1024

// LRN normalises x [N, C, ...] (at least three dimensions, e.g.
// [N, C, H, W]) across channels as torch.nn.functional.local_response_norm(
// x, size, alpha, beta, k) does, returning a tensor of x's shape. size must
// be positive. The result does not depend on the number of threads: every
// sum runs over a fixed range of channels in order.
func LRN(x *Var, size int, alpha, beta, k float32) *Var {
	shape := x.Value.Shape()
	if len(shape) < 3 || size < 1 {
		panic(fmt.Sprintf("ops: LRN wants an input [N, C, ...] with at least 3 dimensions and a positive size, got shape %v, size %d", shape, size))
	}
	n, c := shape[0], shape[1]
	s := x.Value.Len() / max(n*c, 1)
	before, after := size/2, (size-1)/2 // window reach below and above c
	nb := (s + lrnBlock - 1) / lrnBlock // spatial blocks per image
	a64, b64, k64 := float64(alpha), float64(beta), float64(k)
	xd := x.Value.Data()
	out := tensor.New(shape...) // like x
	od := out.Data()
	var den []float32 // [N, C, S] the d_c, kept for the backward pass
	keep := GradEnabled() && needs(x)
	if keep {
		den = make([]float32, len(xd))
	}
	// task t handles image t/nb, positions [s0, s1) of block t%nb.
	span := func(t int) (img, s0, s1 int) {
		img = t / nb
		s0 = (t % nb) * lrnBlock
		return img, s0, min(s0+lrnBlock, s)
	}
	kernels.ParallelFor(n*nb, 1, func(lo, hi int) {
		acc := make([]float64, lrnBlock)
		for t := lo; t < hi; t++ {
			img, s0, s1 := span(t)
			base := img * c * s
			for ch := range c {
				acc := acc[:s1-s0]
				clear(acc)
				for j := max(ch-before, 0); j <= min(ch+after, c-1); j++ {
					for i, v := range xd[base+j*s+s0 : base+j*s+s1] {
						acc[i] += float64(v) * float64(v)
					}
				}
				off := base + ch*s + s0
				for i, sum := range acc {
					d := float32(k64 + a64*sum/float64(size))
					od[off+i] = xd[off+i] / float32(math.Pow(float64(d), b64))
					if keep {
						den[off+i] = d
					}
				}
			}
		}
	})
	return resultAttrs("lrn", LRNAttrs{size, alpha, beta, k}, out, func(res *Var) {
		if !needs(x) {
			return
		}
		gy, gx := res.Grad.Data(), x.gradBuf().Data()
		coef := 2 * a64 * b64 / float64(size)
		kernels.ParallelFor(n*nb, 1, func(lo, hi int) {
			q := make([]float64, c*lrnBlock) // [C, block] g_c · y_c / d_c
			acc := make([]float64, lrnBlock)
			for t := lo; t < hi; t++ {
				img, s0, s1 := span(t)
				base, m := img*c*s, s1-s0
				for ch := range c {
					off := base + ch*s + s0
					for i := range m {
						d := float64(den[off+i])
						q[ch*lrnBlock+i] = float64(gy[off+i]) * float64(od[off+i]) / d
					}
				}
				for j := range c {
					acc := acc[:m]
					clear(acc)
					// c with j in window(c): j − after ≤ c ≤ j + before.
					for ch := max(j-after, 0); ch <= min(j+before, c-1); ch++ {
						for i, v := range q[ch*lrnBlock : ch*lrnBlock+m] {
							acc[i] += v
						}
					}
					off := base + j*s + s0
					for i, sum := range acc {
						d := float64(den[off+i])
						gx[off+i] += float32(float64(gy[off+i])/math.Pow(d, b64) - coef*float64(xd[off+i])*sum)
					}
				}
			}
		})
	}, x)
}
