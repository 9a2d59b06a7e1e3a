package ops

// Batch normalisation (Ioffe & Szegedy 2015, arXiv:1502.03167), forward and
// backward side by side, with PyTorch 1.13's semantics
// (torch.nn.functional.batch_norm).
//
// Shapes:
//
//	x        [N, C, S...]  S is empty ([N, C]), L ([N, C, L]) or H, W ([N, C, H, W])
//	weight   [C]           γ, may be nil (affine=false)
//	bias     [C]           β, may be nil (affine=false)
//	running  [C]           running mean / variance, may be nil
//	out      [N, C, S...]
//
// Channel c of sample n is the contiguous block x[(n·C+c)·S : (n·C+c+1)·S]
// where S is the product of the spatial dimensions; the statistics of
// channel c are taken over the M = N·S values of its N blocks.

import (
	"fmt"
	"math"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// bnGrainElems is roughly how many elements one goroutine should own before
// splitting channels over goroutines pays.
const bnGrainElems = 16384

// BatchNorm normalises x [N, C, S...] per channel C over all other
// dimensions and applies the affine transform y = γ·x̂ + β, as PyTorch's
// torch.nn.functional.batch_norm does. x must have at least 2 dimensions;
// [N, C], [N, C, L] and [N, C, H, W] cover BatchNorm1d and BatchNorm2d.
// weight (γ) and bias (β) are [C] or nil (affine=false, γ=1, β=0).
//
// In training mode x is normalised with the batch mean and the biased batch
// variance, x̂ = (x − mean)/√(var + eps), and, if runningMean and runningVar
// [C] are not nil, they are updated in place:
//
//	running_mean = (1 − momentum)·running_mean + momentum·mean
//	running_var  = (1 − momentum)·running_var  + momentum·var·M/(M − 1)
//
// with M = N·S values per channel (the unbiased variance, as in PyTorch). A
// layer emulating PyTorch's momentum=None (cumulative average) passes
// momentum = 1/num_batches_tracked. Training with a single value per
// channel panics, as in PyTorch. Nil running statistics in training mode
// correspond to track_running_stats=false.
//
// In evaluation mode (training false) x is normalised with runningMean and
// runningVar, which must not be nil, and the backward pass is the plain
// affine one. The gradient flows to x, weight and bias in both modes.
func BatchNorm(x, weight, bias *Var, runningMean, runningVar *tensor.Tensor, training bool, momentum, eps float64) *Var {
	return batchNorm(x, weight, bias, runningMean, runningVar, training, momentum, eps, nil, bnNone)
}

// BatchNormReLU returns ReLU(BatchNorm(x, …)) with the same values and
// gradients, bit for bit, in one op: each block of the normalised output is
// rectified while it is in cache, and the backward pass masks the incoming
// gradient block by block as it reads it, so the un-rectified output and
// its gradient never exist as tensors (ResNet and GoogLeNet apply ReLU to
// nearly every batch norm). While a Recorder is installed (ONNX export,
// the inference engine's trace) it runs as the two ops, so that they are
// recorded as such.
func BatchNormReLU(x, weight, bias *Var, runningMean, runningVar *tensor.Tensor, training bool, momentum, eps float64) *Var {
	if recorder.Load() != nil {
		return ReLU(BatchNorm(x, weight, bias, runningMean, runningVar, training, momentum, eps))
	}
	return batchNorm(x, weight, bias, runningMean, runningVar, training, momentum, eps, nil, bnReLU)
}

// BatchNormReLU6 returns ReLU6(BatchNorm(x, …)) with the same values and
// gradients, bit for bit, in one op, as BatchNormReLU does for ReLU: the
// output is clamped block by block while in cache, and the backward pass
// masks its incoming gradient block by block (where 0 < output < 6) as it
// reads it (MobileNet-v2 follows nearly every batch norm with ReLU6: the
// separate op's two passes over each activation took a sixth of its
// training step). Under a Recorder it runs as the two ops.
func BatchNormReLU6(x, weight, bias *Var, runningMean, runningVar *tensor.Tensor, training bool, momentum, eps float64) *Var {
	if recorder.Load() != nil {
		return ReLU6(BatchNorm(x, weight, bias, runningMean, runningVar, training, momentum, eps))
	}
	return batchNorm(x, weight, bias, runningMean, runningVar, training, momentum, eps, nil, bnReLU6)
}

// BatchNormAddReLU returns AddReLU(BatchNorm(x, …), res) — the end of a
// residual block whose last batch norm is added to the shortcut res (of
// x's shape) and rectified — with the same values and gradients, bit for
// bit, in one op, as BatchNormReLU does for ReLU alone: neither the
// normalised output nor the sum exists as a tensor, and the masked
// gradient goes to res and into the batch norm's backward pass block by
// block. Under a Recorder, or when res is x itself, it runs as the ops.
func BatchNormAddReLU(x, res, weight, bias *Var, runningMean, runningVar *tensor.Tensor, training bool, momentum, eps float64) *Var {
	if recorder.Load() != nil || res == x || !tensor.SameShape(x.Value, res.Value) {
		return AddReLU(BatchNorm(x, weight, bias, runningMean, runningVar, training, momentum, eps), res)
	}
	return batchNorm(x, weight, bias, runningMean, runningVar, training, momentum, eps, res, bnReLU)
}

// bnAct is the activation batchNorm applies to its output.
type bnAct int

const (
	bnNone  bnAct = iota // BatchNorm
	bnReLU               // BatchNormReLU, or BatchNormAddReLU with a residual
	bnReLU6              // BatchNormReLU6
)

// batchNorm is BatchNorm (act bnNone), BatchNormReLU (bnReLU),
// BatchNormAddReLU when res is not nil too (res needs bnReLU) and
// BatchNormReLU6 (bnReLU6).
func batchNorm(x, weight, bias *Var, runningMean, runningVar *tensor.Tensor, training bool, momentum, eps float64, res *Var, act bnAct) *Var {
	if res != nil && act != bnReLU {
		panic("ops: batchNorm with a residual but no ReLU")
	}
	shape := x.Value.Shape()
	if len(shape) < 2 {
		panic(fmt.Sprintf("ops: BatchNorm: input of shape %v, want [N, C, ...] with at least 2 dimensions", shape))
	}
	n, c := shape[0], shape[1]
	s := 1
	for _, d := range shape[2:] {
		s *= d
	}
	m := n * s // values per channel
	bnCheckParam("weight", weight, c, shape)
	bnCheckParam("bias", bias, c, shape)
	if (runningMean == nil) != (runningVar == nil) {
		panic("ops: BatchNorm: runningMean and runningVar must both be set or both be nil")
	}
	if runningMean != nil {
		bnCheckStat("runningMean", runningMean, c, shape)
		bnCheckStat("runningVar", runningVar, c, shape)
	}
	if training && m <= 1 {
		panic(fmt.Sprintf("ops: BatchNorm: expected more than 1 value per channel when training, got input shape %v", shape))
	}
	if !training && runningMean == nil {
		panic(fmt.Sprintf("ops: BatchNorm: runningMean and runningVar must be set in evaluation mode (input shape %v)", shape))
	}

	xd := x.Value.Data()
	mean := make([]float64, c)   // [C] statistic used for normalising
	invstd := make([]float64, c) // [C] 1/√(var + eps)
	// [C] each channel's BNAffine coefficients, kept where a ReLU follows
	// without a residual: the backward pass recomputes the ReLU's mask
	// from x with them (kernels.BNBackwardSumsReLU) instead of reading the
	// output again.
	var scale32, shift32 []float32
	if act == bnReLU && res == nil {
		scale32, shift32 = make([]float32, c), make([]float32, c)
	}
	var gamma, beta []float32 // [C] or nil
	if weight != nil {
		gamma = weight.Value.Data()
	}
	if bias != nil {
		beta = bias.Value.Data()
	}
	out, pooled := newValue(shape, x, weight, bias, res)
	od := out.Data()
	var rd []float32 // the residual, or nil
	if res != nil {
		rd = res.Value.Data()
	}
	grain := max(1, bnGrainElems/max(1, m))

	kernels.ParallelFor(c, grain, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var mu, v float64
			if training {
				mu, v = bnStats(xd, n, c, s, ch)
				if runningMean != nil {
					rm, rv := runningMean.Data(), runningVar.Data()
					unbiased := v * float64(m) / float64(m-1)
					rm[ch] = float32((1-momentum)*float64(rm[ch]) + momentum*mu)
					rv[ch] = float32((1-momentum)*float64(rv[ch]) + momentum*unbiased)
				}
			} else {
				mu = float64(runningMean.Data()[ch])
				v = float64(runningVar.Data()[ch])
			}
			mean[ch] = mu
			invstd[ch] = 1 / math.Sqrt(v+eps)
			// y = x·α + β' with α = γ·invstd, β' = β − mean·α (as PyTorch).
			alpha := invstd[ch]
			if gamma != nil {
				alpha *= float64(gamma[ch])
			}
			shift := -mu * alpha
			if beta != nil {
				shift += float64(beta[ch])
			}
			a32, b32 := float32(alpha), float32(shift)
			if scale32 != nil {
				scale32[ch], shift32[ch] = a32, b32
			}
			for i := 0; i < n; i++ {
				off := (i*c + ch) * s
				var r []float32
				if rd != nil {
					r = rd[off : off+s]
				}
				// The affine map, the residual and the ReLU in one pass
				// over the block.
				if act == bnReLU6 {
					kernels.BNAffineReLU6(od[off:off+s], xd[off:off+s], a32, b32)
					continue
				}
				kernels.BNAffineAddReLU(od[off:off+s], xd[off:off+s], r, a32, b32, act == bnReLU)
			}
		}
	})

	op := "BatchNorm"
	inputs := []*Var{x, weight, bias}
	switch {
	case res != nil:
		op = "BatchNormAddReLU" // never recorded (see BatchNormAddReLU)
		inputs = append(inputs, res)
	case act == bnReLU:
		op = "BatchNormReLU" // never recorded (see BatchNormReLU)
	case act == bnReLU6:
		op = "BatchNormReLU6" // never recorded (see BatchNormReLU6)
	}
	return resultAttrs(op, BatchNormAttrs{runningMean, runningVar, training, momentum, eps}, out, func(o *Var) {
		gd := o.Grad.Data() // [N, C, S...]; with relu, the gradient of ReLU's output
		// With relu, the first pass over each block masks gd's block in
		// place, as ReLU's backward pass masks a fresh gradient: gd is
		// this op's output gradient, which nothing reads after this
		// closure, and the second pass then reads the masked block instead
		// of masking it again. Without a residual the mask is instead
		// recomputed from x, which both passes read anyway, and gd is left
		// as it is (scale32): the output is not read again and gd's lines
		// are not written back to memory.
		mask := func(off int) {
			switch act {
			case bnReLU:
				kernels.MaskedGrad(kernels.MaskNonZero, 0, 0, od[off:off+s], gd[off:off+s], gd[off:off+s], true)
			case bnReLU6:
				// 0 < output < 6 exactly where 0 < BN(x) < 6, as ReLU6's
				// backward pass tests its input.
				kernels.MaskedGrad(kernels.MaskOpen, 0, 6, od[off:off+s], gd[off:off+s], gd[off:off+s], true)
			}
		}
		var dx, dw, db []float32
		// setX: dx is a fresh, unzeroed buffer (see gradDst); each block
		// is cleared just before its contribution is added, while it is in
		// cache, instead of the whole buffer in a pass of its own.
		var setX bool
		if needs(x) {
			var t *tensor.Tensor
			t, setX = x.gradDst()
			dx = t.Data()
		}
		if needs(weight) {
			dw = weight.gradBuf().Data()
		}
		if needs(bias) {
			db = bias.gradBuf().Data()
		}
		// The residual's gradient: the masked gradient, added block by
		// block in the first pass, as Add's backward pass does. Where the
		// residual has no gradient yet, it is given gd itself once masked
		// (donate): gd is not read after this closure, and a copy would
		// be the same bits (the mask writes 0 + g, as SetGrad does).
		var dr []float32
		var donate bool
		if needs(res) {
			if donate = res.Grad == nil && !res.leaf; !donate {
				dr = res.gradBuf().Data()
			}
		}
		kernels.ParallelFor(c, grain, func(lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				mu, is := mean[ch], invstd[ch]
				// sumDy = Σ dy, dot = Σ dy·(x − mean), over the channel.
				var sumP, dotP kernels.BNPartials
				for i := 0; i < n; i++ {
					off := (i*c + ch) * s
					dy := gd[off : off+s]
					if scale32 != nil {
						kernels.BNBackwardSumsReLU(&sumP, &dotP, dy, xd[off:off+s], mu, scale32[ch], shift32[ch])
						continue
					}
					mask(off)
					if dr != nil {
						kernels.EngAdd(dr[off:off+s], dy, dr[off:off+s])
					}
					kernels.BNBackwardSums(&sumP, &dotP, dy, xd[off:off+s], mu)
				}
				sumDy, dot := sumP.Sum(), dotP.Sum()
				if dw != nil {
					dw[ch] += float32(dot * is)
				}
				if db != nil {
					db[ch] += float32(sumDy)
				}
				if dx == nil {
					continue
				}
				w := 1.0
				if gamma != nil {
					w = float64(gamma[ch])
				}
				scale := is * w
				if !training {
					// Statistics are constants: dx = dy·γ·invstd.
					s32 := float32(scale)
					for i := 0; i < n; i++ {
						off := (i*c + ch) * s
						d, xs := dx[off:off+s], xd[off:off+s]
						for j, g := range gd[off : off+s] {
							if scale32 != nil {
								g = kernels.ReLUMaskBN(g, xs[j], scale32[ch], shift32[ch])
							}
							if setX {
								d[j] = 0 + g*s32
							} else {
								d[j] += g * s32
							}
						}
					}
					continue
				}
				// dx = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)), written with
				// (x − mean) and the sums above.
				gradMean := sumDy / float64(m)
				proj := dot * is * is / float64(m)
				for i := 0; i < n; i++ {
					off := (i*c + ch) * s
					if scale32 != nil {
						kernels.BNBackwardDxReLU(dx[off:off+s], gd[off:off+s], xd[off:off+s], mu, gradMean, proj, scale, setX, scale32[ch], shift32[ch])
						continue
					}
					kernels.BNBackwardDx(dx[off:off+s], gd[off:off+s], xd[off:off+s], mu, gradMean, proj, scale, setX)
				}
			}
		})
		if donate {
			// o's gradient buffer now belongs to res: the release after
			// this closure must not return it to the pool.
			res.Grad, o.Grad = o.Grad, nil
		}
	}, inputs...).owns(pooled)
}

// bnStats returns the mean and the biased variance of channel ch of
// x [N, C, S] in float64, by two passes in a fixed order.
func bnStats(xd []float32, n, c, s, ch int) (mean, variance float64) {
	var sum, sq kernels.BNPartials
	for i := 0; i < n; i++ {
		off := (i*c + ch) * s
		kernels.BNSum(&sum, xd[off:off+s])
	}
	m := float64(n * s)
	mean = sum.Sum() / m
	for i := 0; i < n; i++ {
		off := (i*c + ch) * s
		kernels.BNSumSqDev(&sq, xd[off:off+s], mean)
	}
	return mean, sq.Sum() / m
}

// bnCheckParam panics unless p is nil or of shape [c].
func bnCheckParam(name string, p *Var, c int, xShape []int) {
	if p == nil {
		return
	}
	if ps := p.Value.Shape(); len(ps) != 1 || ps[0] != c {
		panic(fmt.Sprintf("ops: BatchNorm: %s of shape %v for input of shape %v, want [%d]", name, ps, xShape, c))
	}
}

// bnCheckStat panics unless t has exactly c elements.
func bnCheckStat(name string, t *tensor.Tensor, c int, xShape []int) {
	if t.Len() != c {
		panic(fmt.Sprintf("ops: BatchNorm: %s of shape %v for input of shape %v, want [%d]", name, t.Shape(), xShape, c))
	}
}
