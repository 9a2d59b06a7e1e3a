package ops

import (
	"fmt"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// Transposed convolution ("deconvolution", fractionally strided
// convolution), with PyTorch's semantics (torch.nn.functional.
// conv_transpose2d). It is the adjoint of Conv2d with the same weight: where
// Conv2d maps [N, Cin, H, W] to [N, Cout, OH, OW] with weight
// [Cout, Cin/groups, KH, KW], ConvTranspose2d with that weight maps
// [N, Cout, OH, OW] back to [N, Cin, H, W] (up to output padding).
//
// Dimension legend for this file: N batch; CI input channels (the weight's
// first dimension); CO output channels; G groups; cig = CI/G and cog = CO/G
// channels per group; H×W input size; OH×OW output size; KH×KW kernel;
// KK = KH·KW.
//
// The forward pass is Conv2d's input-gradient computation: per image and
// group, col [cog·KK, H·W] = W_gᵀ · x_g, then col2im scatters col onto the
// output plane. The backward pass is Conv2d's forward: dx_g = W_g ·
// im2col(dy_g), dW_g = x_g · im2col(dy_g)ᵀ, summed over the batch in fixed
// chunks so that the result does not depend on the number of threads.

// ConvTranspose2dOptions configures a transposed convolution. Zero values
// mean PyTorch's defaults: stride 1, no padding, no output padding,
// dilation 1, one group. Index 0 of each pair is the height, index 1 the
// width.
type ConvTranspose2dOptions struct {
	Stride [2]int // step of the corresponding convolution
	// Padding is the corresponding convolution's zero padding: the full
	// transposed-convolution output is cropped by Padding rows/columns on
	// both sides, exactly as PyTorch's padding argument.
	Padding [2]int
	// OutputPadding adds rows/columns at the bottom/right of the output to
	// pick one of the Stride input sizes that the corresponding convolution
	// maps to the same size. Each entry must be smaller than the stride or
	// the dilation, as in PyTorch.
	OutputPadding [2]int
	Dilation      [2]int // spacing between kernel taps
	Groups        int    // input and output channels split into this many groups
}

// ConvTranspose2dOutputSize returns the output length of a transposed
// convolution over in elements, as PyTorch computes it:
//
//	(in − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1
func ConvTranspose2dOutputSize(in, k, stride, padding, outputPadding, dilation int) int {
	return (in-1)*stride - 2*padding + dilation*(k-1) + outputPadding + 1
}

// ConvTranspose2d applies a transposed convolution to x [N, CI, H, W] with
// weight [CI, CO/groups, KH, KW] and adds bias [CO] (bias may be nil),
// giving [N, CO, OH, OW] with OH = ConvTranspose2dOutputSize(H, KH, …) and
// likewise OW. Input channel group g (channels g·CI/groups …) feeds output
// channels g·CO/groups …. It panics with both shapes and the options when
// they do not fit.
func ConvTranspose2d(x, weight, bias *Var, o ConvTranspose2dOptions) *Var {
	xs, ws := x.Value.Shape(), weight.Value.Shape()
	if len(xs) != 4 || len(ws) != 4 {
		panic(fmt.Sprintf("ops: ConvTranspose2d wants input [N, Cin, H, W] and weight [Cin, Cout/groups, KH, KW], got %v and %v", xs, ws))
	}
	groups := max(o.Groups, 1)
	n, ci, h, w := xs[0], xs[1], xs[2], xs[3]
	cog, kh, kw := ws[1], ws[2], ws[3]
	if ws[0] != ci || ci%groups != 0 {
		panic(fmt.Sprintf("ops: ConvTranspose2d input %v, weight %v, groups %d: channels do not match", xs, ws, groups))
	}
	co := cog * groups
	if bias != nil && (bias.Value.NDim() != 1 || bias.Value.Dim(0) != co) {
		panic(fmt.Sprintf("ops: ConvTranspose2d bias %v for %d output channels", bias.Value.Shape(), co))
	}
	s, d := normPair(o.Stride), normPair(o.Dilation)
	p, op := o.Padding, o.OutputPadding
	for i := range 2 {
		if p[i] < 0 || op[i] < 0 || s[i] < 1 || d[i] < 1 {
			panic(fmt.Sprintf("ops: ConvTranspose2d stride %v, padding %v, output padding %v, dilation %v: negative or zero entries", s, p, op, d))
		}
		if op[i] >= s[i] && op[i] >= d[i] {
			panic(fmt.Sprintf("ops: ConvTranspose2d output padding %v must be smaller than the stride %v or the dilation %v", op, s, d))
		}
	}
	oh := ConvTranspose2dOutputSize(h, kh, s[0], p[0], op[0], d[0])
	ow := ConvTranspose2dOutputSize(w, kw, s[1], p[1], op[1], d[1])
	if oh <= 0 || ow <= 0 || h <= 0 || w <= 0 {
		panic(fmt.Sprintf("ops: ConvTranspose2d input %v with kernel %dx%d (stride %v, padding %v, output padding %v, dilation %v) gives an empty output",
			xs, kh, kw, s, p, op, d))
	}
	// The geometry of the corresponding convolution: from the output plane
	// (its input) to the input plane (its output).
	g := &kernels.ConvGeom{C: cog, H: oh, W: ow, KH: kh, KW: kw, SH: s[0], SW: s[1],
		PadT: p[0], PadL: p[1], DH: d[0], DW: d[1], OH: h, OW: w}
	cig := ci / groups // input channels per group
	ckk := cog * kh * kw
	hw, ohw := h*w, oh*ow
	xd, wd := x.Value.Data(), weight.Value.Data()

	out := tensor.New(n, co, oh, ow) // [N, CO, OH, OW]
	od := out.Data()
	// forwardImage computes image i into its (zeroed) output planes.
	forwardImage := func(i int, col []float32, gemm gemmFn) {
		for gi := 0; gi < groups; gi++ {
			xg := xd[(i*ci+gi*cig)*hw : (i*ci+(gi+1)*cig)*hw] // [cig, H·W]
			wg := wd[gi*cig*ckk : (gi+1)*cig*ckk]             // [cig, cog·KK]
			// col = W_gᵀ · x_g   [cog·KK, H·W]
			gemm(true, false, ckk, hw, cig, 1, wg, ckk, xg, hw, 0, col, hw)
			dst := od[(i*co+gi*cog)*ohw : (i*co+(gi+1)*cog)*ohw] // [cog, OH·OW]
			kernels.Col2im(g, col, dst)
			if bias != nil {
				addChannelBias(dst, bias.Value.Data()[gi*cog:(gi+1)*cog], ohw)
			}
		}
	}
	convForEachImage(n, ckk*hw, forwardImage)

	return resultAttrs("conv_transpose2d", o, out, func(res *Var) {
		gy := res.Grad.Data() // [N, CO, OH, OW]
		needX, needW := needs(x), needs(weight)
		var gx, gw []float32
		if needX {
			gx = x.gradBuf().Data()
		}
		chunks := min(n, convGradChunks)
		var partial [][]float32 // per-chunk weight gradients, summed in order below
		if needW {
			gw = weight.gradBuf().Data()
			partial = make([][]float32, chunks)
		}
		if needX || needW {
			kernels.ParallelFor(chunks, 1, func(clo, chi int) {
				col, _ := gradPool.getDirty(ckk * hw)
				defer gradPool.put(col)
				for c := clo; c < chi; c++ {
					var pw []float32
					if needW {
						pw = newPartial(len(wd))
						partial[c] = pw
					}
					for i := c * n / chunks; i < (c+1)*n/chunks; i++ {
						for gi := 0; gi < groups; gi++ {
							dy := gy[(i*co+gi*cog)*ohw : (i*co+(gi+1)*cog)*ohw] // [cog, OH·OW]
							kernels.Im2col(g, dy, col)                          // [cog·KK, H·W]
							if needW {
								xg := xd[(i*ci+gi*cig)*hw : (i*ci+(gi+1)*cig)*hw]
								// dW_g += x_g · colᵀ   [cig, cog·KK]
								kernels.SgemmSerial(false, true, cig, ckk, hw, 1, xg, hw, col, hw, 1, pw[gi*cig*ckk:], ckk)
							}
							if needX {
								// dx_g += W_g · col   [cig, H·W]
								dxg := gx[(i*ci+gi*cig)*hw : (i*ci+(gi+1)*cig)*hw]
								kernels.SgemmSerial(false, false, cig, hw, ckk, 1, wd[gi*cig*ckk:], ckk, col, hw, 1, dxg, hw)
							}
						}
					}
				}
			})
		}
		if needW {
			addPartials(gw, partial)
		}
		if needs(bias) {
			convBiasGrad(bias.gradBuf().Data(), gy, n, co, ohw)
		}
	}, x, weight, bias)
}
