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
			kernels.DepthwiseConv2dBackwardWeight(&g1, n, m, xd, gy, weight.gradBuf().Data())
		}
		if needs(bias) {
			gb := bias.gradBuf().Data()
			kernels.ParallelFor(cout, 1, func(lo, hi int) {
				for c := lo; c < hi; c++ {
					s := 0.0
					for i := 0; i < n; i++ {
						for _, v := range gy[(i*cout+c)*ohw : (i*cout+c+1)*ohw] {
							s += float64(v)
						}
					}
					gb[c] += float32(s)
				}
			})
		}
	}, x, weight, bias)
}
