package kernels

import "fmt"

// Batch-normalisation loops for package ops, vectorised with AVX-512 where
// available (bn_amd64.s). Sums are formed in float64 over 32 interleaved
// partial sums: element j of a slice goes to partial j mod 32, and a
// channel's slices (one per image) keep adding to the same partials; the
// caller then adds the partials in order with BNPartials.Sum. The Go loops
// below define that order and the vector kernels follow it exactly, so
// both paths give the same bits, and the result depends only on the data
// and the slice lengths, never on the thread count.

// BNPartials holds 32 partial float64 sums.
type BNPartials [32]float64

// Sum adds the partials in index order.
func (p *BNPartials) Sum() float64 {
	var s float64
	for _, v := range p {
		s += v
	}
	return s
}

// BNSum adds float64(x[j]) to p[j mod 32] for every j.
func BNSum(p *BNPartials, x []float32) {
	if bnAsm && len(x) > 0 {
		bnSumAVX512(p, &x[0], len(x))
		return
	}
	bnSumGo(p, x)
}

func bnSumGo(p *BNPartials, x []float32) {
	for j, v := range x {
		p[j%32] += float64(v)
	}
}

// BNSumSqDev adds (float64(x[j]) − mean)² to p[j mod 32] for every j.
func BNSumSqDev(p *BNPartials, x []float32, mean float64) {
	if bnAsm && len(x) > 0 {
		bnSumSqDevAVX512(p, &x[0], len(x), mean)
		return
	}
	bnSumSqDevGo(p, x, mean)
}

func bnSumSqDevGo(p *BNPartials, x []float32, mean float64) {
	for j, v := range x {
		d := float64(v) - mean
		p[j%32] += float64(d * d) // the conversion keeps the product rounded on its own
	}
}

// BNBackwardSums adds float64(g[j]) to sum[j mod 32] and
// float64(g[j])·(float64(x[j]) − mean) to dot[j mod 32], for j < len(g)
// (x at least as long).
func BNBackwardSums(sum, dot *BNPartials, g, x []float32, mean float64) {
	x = x[:len(g)]
	if bnAsm && len(g) > 0 {
		bnBackwardSumsAVX512(sum, dot, &g[0], &x[0], len(g), mean)
		return
	}
	bnBackwardSumsGo(sum, dot, g, x, mean)
}

func bnBackwardSumsGo(sum, dot *BNPartials, g, x []float32, mean float64) {
	x = x[:len(g)]
	for j, gv := range g {
		sum[j%32] += float64(gv)
		dot[j%32] += float64(float64(gv) * (float64(x[j]) - mean))
	}
}

// BNBackwardSumsReLU is BNBackwardSums for a batch norm whose output went
// through a ReLU, y = ReLU(float32(x·a) + b) as BNAffine and ReLU form it,
// with g the gradient of y: it adds the ReLU's input gradient, which
// ReLUMaskBN gives, and its product with x − mean to sum and dot, as
// BNBackwardSums would add them, leaving g as it is. The mask comes from x,
// which the sums read anyway, instead of from the ReLU's output.
func BNBackwardSumsReLU(sum, dot *BNPartials, g, x []float32, mean float64, a, b float32) {
	x = x[:len(g)]
	n := 0
	if bnAsm {
		// Whole groups of 32 (every partial once) in assembly, the rest,
		// starting again at partial 0, in Go.
		if n = len(g) &^ 31; n > 0 {
			bnBackwardSumsReLUAVX512(sum, dot, &g[0], &x[0], n, mean, a, b)
		}
	}
	bnBackwardSumsReLUGo(sum, dot, g[n:], x[n:], mean, a, b)
}

func bnBackwardSumsReLUGo(sum, dot *BNPartials, g, x []float32, mean float64, a, b float32) {
	x = x[:len(g)]
	for j, gv := range g {
		d := ReLUMaskBN(gv, x[j], a, b)
		sum[j%32] += float64(d)
		dot[j%32] += float64(float64(d) * (float64(x[j]) - mean))
	}
}

// ReLUMaskBN returns the gradient that ReLU's backward pass (MaskedGrad
// with MaskNonZero, set) passes on from g at a ReLU whose input was
// float32(x·a) + b: 0 + g where that is positive or NaN (the ReLU's output
// is not ±0), +0 elsewhere.
func ReLUMaskBN(g, x, a, b float32) float32 {
	var d float32
	if y := float32(x*a) + b; !(y <= 0) {
		d += g
	}
	return d
}

// BNBackwardDxReLU is BNBackwardDx applied to the ReLU's input gradient
// of BNBackwardSumsReLU: dx[j] gets float32((float64(m) − gm − (float64(x[j])
// − mean)·proj)·scale) with m = ReLUMaskBN(g[j], x[j], a, b), added or
// (with set) set as BNBackwardDx does. g is not changed.
func BNBackwardDxReLU(dx, g, x []float32, mean, gm, proj, scale float64, set bool, a, b float32) {
	x, dx = x[:len(g)], dx[:len(g)]
	if bnAsm && len(g) > 0 {
		bnBackwardDxReLUAVX512(&dx[0], &g[0], &x[0], len(g), mean, gm, proj, scale, set, a, b)
		return
	}
	bnBackwardDxReLUGo(dx, g, x, mean, gm, proj, scale, set, a, b)
}

func bnBackwardDxReLUGo(dx, g, x []float32, mean, gm, proj, scale float64, set bool, a, b float32) {
	x, dx = x[:len(g)], dx[:len(g)]
	for j, gv := range g {
		t := float64(float64(x[j])-mean) * proj
		d := float64(ReLUMaskBN(gv, x[j], a, b)) - gm - float64(t)
		if set {
			dx[j] = 0
		}
		dx[j] += float32(float64(d * scale))
	}
}

// BNAffine sets dst[j] = x[j]·a + b, the product rounded to float32 before
// the addition, for j < len(x).
func BNAffine(dst, x []float32, a, b float32) { BNAffineAddReLU(dst, x, nil, a, b, false) }

// BNAffineAddReLU is BNAffine followed, in the same pass, by EngAdd of res
// (when res is not nil: dst[j] = (x[j]·a + b) + res[j]) and by ReLU (when
// relu is set): the forward pass of a batch norm, its residual and its
// activation over one block, each result rounded as the separate steps
// round it.
func BNAffineAddReLU(dst, x, res []float32, a, b float32, relu bool) {
	act := 0
	if relu {
		act = 1
	}
	bnAffine(dst, x, res, a, b, act)
}

// BNAffineReLU6 is BNAffine followed, in the same pass, by ReLU6 (Clamp to
// [0, 6], NaN passing): the forward pass of a batch norm and its ReLU6
// over one block, each result rounded as the separate steps round it.
func BNAffineReLU6(dst, x []float32, a, b float32) { bnAffine(dst, x, nil, a, b, 2) }

// bnAffine is BNAffineAddReLU with the activation act: 0 none, 1 ReLU, 2
// ReLU6.
func bnAffine(dst, x, res []float32, a, b float32, act int) {
	dst = dst[:len(x)]
	if res != nil {
		if len(res) < len(x) {
			panic(fmt.Sprintf("kernels: BNAffineAddReLU: residual of %d elements for %d", len(res), len(x)))
		}
		res = res[:len(x)]
	}
	if bnAsm && len(x) > 0 {
		var r *float32
		if res != nil {
			r = &res[0]
		}
		bnAffineAVX512(&dst[0], &x[0], len(x), a, b, r, act)
		return
	}
	bnAffineGo(dst, x, res, a, b, act)
}

func bnAffineGo(dst, x, res []float32, a, b float32, act int) {
	dst = dst[:len(x)]
	for j, v := range x {
		y := float32(v*a) + b
		if res != nil {
			y += res[j]
		}
		if act >= 1 && y < 0 {
			y = 0
		}
		if act == 2 && y > 6 {
			y = 6
		}
		dst[j] = y
	}
}

// BNBackwardDx adds float32((float64(g[j]) − gm − (float64(x[j]) − mean)·proj)·scale)
// to dx[j] for j < len(g), every float64 operation rounded on its own: the
// input gradient of batch normalisation in training mode. With set, dx is
// not read and each value is added to +0 instead, as if dx had been
// cleared first.
func BNBackwardDx(dx, g, x []float32, mean, gm, proj, scale float64, set bool) {
	x, dx = x[:len(g)], dx[:len(g)]
	if bnAsm && len(g) > 0 {
		bnBackwardDxAVX512(&dx[0], &g[0], &x[0], len(g), mean, gm, proj, scale, set)
		return
	}
	bnBackwardDxGo(dx, g, x, mean, gm, proj, scale, set)
}

func bnBackwardDxGo(dx, g, x []float32, mean, gm, proj, scale float64, set bool) {
	x, dx = x[:len(g)], dx[:len(g)]
	for j, gv := range g {
		t := float64(float64(x[j])-mean) * proj
		d := float64(gv) - gm - float64(t)
		if set {
			dx[j] = 0
		}
		dx[j] += float32(float64(d * scale))
	}
}
