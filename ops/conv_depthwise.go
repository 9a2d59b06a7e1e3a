package ops

import (
	"convnet/internal/kernels"
)

// depthwiseDirect routes depthwise convolutions (groups == Cin) to
// conv2dDepthwise; tests and benchmarks turn it off to compare with the
// im2col + SGEMM path.
var depthwiseDirect = true

// conv2dDepthwise is Conv2d for groups == Cin (one input channel per group,
// channel multiplier m = Cout/Cin) on the direct depthwise kernels instead
// of im2col + SGEMM. g describes one input channel; n is the batch size.
func conv2dDepthwise(x, weight, bias *Var, o Conv2dOptions, g *kernels.ConvGeom, n, m int) *Var {
	g1 := *g
	g1.C = x.Value.Dim(1)
	cout, ohw := g1.C*m, g.OH*g.OW
	var bd []float32
	if bias != nil {
		bd = bias.Value.Data()
	}
	xd, wd := x.Value.Data(), weight.Value.Data()
	out, pooled := newValue([]int{n, cout, g.OH, g.OW}, x, weight, bias)
	kernels.DepthwiseConv2d(&g1, n, m, xd, wd, bd, out.Data())
	return resultAttrs("conv2d", o, out, func(res *Var) {
		gy := res.Grad.Data() // [N, Cout, OH, OW]
		if needs(x) {
			dst, set := x.gradDst()
			depthwiseBackwardInput(&g1, n, m, wd, gy, dst.Data(), set)
		}
		if needs(weight) {
			if m >= depthwiseGemmGradMin {
				depthwiseWeightGradGemm(g, g1.C, n, m, xd, gy, weight.gradBuf().Data())
			} else {
				kernels.DepthwiseConv2dBackwardWeight(&g1, n, m, xd, gy, weight.gradBuf().Data())
			}
		}
		if needs(bias) {
			convBiasGrad(bias.gradBuf().Data(), gy, n, cout, ohw)
		}
	}, x, weight, bias).owns(pooled)
}

// depthwiseBackwardInput adds to dx [N, C, H, W] the input gradient of a
// depthwise convolution (kernels.DepthwiseConv2dBackwardInput, which
// accumulates), w [C·m, KH, KW] and dy [N, C·m, OH, OW] as there. When set
// is true dx is an unzeroed buffer (see gradDst): the batch is then taken
// in runs of images of about dwClearChunk elements of dx, each cleared
// just before the kernel adds into it, while it is in cache. Every input
// plane is computed on its own, so the runs change no bit.
func depthwiseBackwardInput(g *kernels.ConvGeom, n, m int, w, dy, dx []float32, set bool) {
	if !set {
		kernels.DepthwiseConv2dBackwardInput(g, n, m, w, dy, dx)
		return
	}
	img, oimg := g.C*g.H*g.W, g.C*m*g.OH*g.OW // elements of one image of dx, dy
	step := max(1, dwClearChunk/max(1, img))
	for i := 0; i < n; i += step {
		k := min(step, n-i)
		d := dx[i*img : (i+k)*img]
		clear(d)
		kernels.DepthwiseConv2dBackwardInput(g, k, m, w, dy[i*oimg:(i+k)*oimg], d)
	}
}

// dwClearChunk is about how many elements of dx depthwiseBackwardInput
// clears and fills at a time: small enough to stay in the cache between the
// two, large enough to keep every thread of the kernel busy. Tests may
// change it while no convolution runs.
var dwClearChunk = 1 << 18

// depthwiseGemmGradMin is the smallest channel multiplier for which
// conv2dDepthwise forms the weight gradient with im2col + SGEMM
// (depthwiseWeightGradGemm) instead of the direct kernel's scalar dot
// products: the m filters of an input channel then share one unfolded
// plane, and the product has m columns for the vector kernel to fill
// (LeNet-5's first layer, 1 → 6 channels, has m = 6).
const depthwiseGemmGradMin = 4

// depthwiseWeightGradGemm adds to gw [C·m, KH·KW] the weight gradient of a
// depthwise convolution with C input channels and channel multiplier m,
// given x [N, C, H, W] and gy [N, C·m, OH, OW]; g describes one input
// channel. Per image and input channel c, the filters of output channels
// c·m … c·m+m−1 get dW [m, KH·KW] += dY · colᵀ (SgemmNT), col [KH·KW,
// OH·OW] being the unfolded plane. As in Conv2d, images are summed within
// convGradChunks fixed chunks and the chunks are then added in order, so
// the result does not depend on the number of threads.
func depthwiseWeightGradGemm(g *kernels.ConvGeom, c, n, m int, xd, gy, gw []float32) {
	kk, ohw, hw := g.KH*g.KW, g.OH*g.OW, g.H*g.W
	cout := c * m
	chunks := min(n, convGradChunks)
	partial := make([][]float32, chunks) // [C·m, KH·KW] per chunk
	kernels.ParallelFor(chunks, 1, func(clo, chi int) {
		col, _ := gradPool.getDirty(kk * ohw)
		defer gradPool.put(col)
		for ch := clo; ch < chi; ch++ {
			pw := newPartial(cout * kk)
			partial[ch] = pw
			for i := ch * n / chunks; i < (ch+1)*n/chunks; i++ {
				for ci := 0; ci < c; ci++ {
					kernels.Im2col(g, xd[(i*c+ci)*hw:(i*c+ci+1)*hw], col)
					dy := gy[(i*cout+ci*m)*ohw : (i*cout+(ci+1)*m)*ohw]
					kernels.SgemmNT(m, kk, ohw, dy, ohw, col, ohw, pw[ci*m*kk:], kk)
				}
			}
		}
	})
	addPartials(gw, partial)
}
