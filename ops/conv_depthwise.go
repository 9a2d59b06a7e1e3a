package ops

import (
	"convnet/internal/kernels"
	"convnet/tensor"
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
	out := tensor.New(n, cout, g.OH, g.OW)
	kernels.DepthwiseConv2d(&g1, n, m, xd, wd, bd, out.Data())
	return resultAttrs("conv2d", o, out, func(res *Var) {
		gy := res.Grad.Data() // [N, Cout, OH, OW]
		if needs(x) {
			kernels.DepthwiseConv2dBackwardInput(&g1, n, m, wd, gy, x.gradBuf().Data())
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
	}, x, weight, bias)
}

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
		col := make([]float32, kk*ohw)
		for ch := clo; ch < chi; ch++ {
			pw := make([]float32, cout*kk)
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
