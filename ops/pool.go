package ops

import (
	"fmt"
	"unsafe"

	"convnet/internal/kernels"
)

// Pooling over the two trailing dimensions of an NCHW tensor, with
// PyTorch's semantics (torch.nn.functional.max_pool2d, avg_pool2d,
// adaptive_avg_pool2d). Every op takes x [N, C, H, W] and returns
// [N, C, OH, OW]; the pixel loops live in internal/kernels.

// Pool2dOptions configures MaxPool2d and AvgPool2d. Index 0 of each pair is
// the height, index 1 the width.
type Pool2dOptions struct {
	// Kernel is the window size; both entries must be positive.
	Kernel [2]int
	// Stride is the window step; a zero entry means "equal to Kernel"
	// (PyTorch's stride=None).
	Stride [2]int
	// Padding is the implicit padding on both sides; at most Kernel/2, as
	// PyTorch requires. Max pooling pads with −Inf, average pooling with 0.
	Padding [2]int
	// Pads, when not all zero, replaces Padding with four independent sides
	// (top, left, bottom, right), as ONNX's pads and auto_pad SAME_UPPER /
	// SAME_LOWER need; each must be at most half the kernel size. With
	// equal opposite sides it is the same as Padding. Padding must then be
	// zero.
	Pads [4]int
	// Dilation is the spacing between window taps; a zero entry means 1.
	// Only max pooling supports dilation other than 1.
	Dilation [2]int
	// CeilMode rounds the output size up instead of down; a window is kept
	// only if it starts inside the input or the left/top padding.
	CeilMode bool
	// CountIncludePad makes average pooling divide by the window area
	// clipped to the padded input instead of by the number of input pixels
	// it covers. It is ignored by max pooling. Note the zero value is false,
	// while PyTorch's default is count_include_pad=True.
	CountIncludePad bool
}

// PoolOutputSize returns the output length of a pooling (or convolution)
// window sliding over in input elements, exactly as PyTorch's
// pooling_output_shape computes it:
//
//	out = ⌊(in + 2·pad − dilation·(kernel−1) − 1 + (ceil ? stride−1 : 0)) / stride⌋ + 1
//
// and, in ceil mode, one less if the last window would start at or beyond
// in + pad (that is, entirely in the right padding). The result may be zero
// or negative when the window does not fit; callers reject that. It panics
// if stride is not positive.
func PoolOutputSize(in, kernel, stride, pad, dilation int, ceil bool) int {
	return PoolOutputSizePads(in, kernel, stride, pad, pad, dilation, ceil)
}

// PoolOutputSizePads is PoolOutputSize with padBegin elements of padding
// before the input and padEnd after it:
//
//	out = ⌊(in + padBegin + padEnd − dilation·(kernel−1) − 1 + (ceil ? stride−1 : 0)) / stride⌋ + 1
//
// less one in ceil mode if the last window would start at or beyond
// in + padBegin.
func PoolOutputSizePads(in, kernel, stride, padBegin, padEnd, dilation int, ceil bool) int {
	if stride < 1 {
		panic(fmt.Sprintf("ops: PoolOutputSize with stride %d", stride))
	}
	num := in + padBegin + padEnd - dilation*(kernel-1) - 1
	if ceil {
		num += stride - 1
	}
	out := poolFloorDiv(num, stride) + 1
	if ceil && (out-1)*stride >= in+padBegin {
		out--
	}
	return out
}

// pads returns the padding of o as (top, left, bottom, right): Pads when
// set, else Padding on both sides.
func (o *Pool2dOptions) pads() [4]int {
	if o.Pads != [4]int{} {
		return o.Pads
	}
	return [4]int{o.Padding[0], o.Padding[1], o.Padding[0], o.Padding[1]}
}

// poolFloorDiv is integer division rounding towards −∞ (PyTorch's div_rtn)
// for a positive divisor.
func poolFloorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// poolResolve fills in the defaults of o (stride = kernel, dilation = 1),
// checks it against x [N, C, H, W] as PyTorch does, and returns the geometry
// of the pooling with C counting all N·C planes. It panics with a message
// naming op, the input shape and the options when they do not fit.
func poolResolve(op string, x *Var, o Pool2dOptions, avg bool) *kernels.ConvGeom {
	shape := x.Value.Shape()
	if len(shape) != 4 {
		panic(fmt.Sprintf("ops: %s wants an input of shape [N, C, H, W], got %v", op, shape))
	}
	for i := range 2 {
		if o.Stride[i] == 0 {
			o.Stride[i] = o.Kernel[i]
		}
		if o.Dilation[i] == 0 {
			o.Dilation[i] = 1
		}
	}
	p := o.pads()
	bad := ""
	switch {
	case o.Pads != [4]int{} && o.Padding != [2]int{}:
		bad = "set Padding or Pads, not both"
	case o.Kernel[0] < 1 || o.Kernel[1] < 1:
		bad = "kernel must be positive"
	case o.Stride[0] < 1 || o.Stride[1] < 1:
		bad = "stride must be positive"
	case o.Dilation[0] < 1 || o.Dilation[1] < 1:
		bad = "dilation must be positive"
	case avg && (o.Dilation[0] != 1 || o.Dilation[1] != 1):
		bad = "average pooling has no dilation"
	case min(p[0], p[1], p[2], p[3]) < 0:
		bad = "padding must not be negative"
	case max(p[0], p[2]) > o.Kernel[0]/2 || max(p[1], p[3]) > o.Kernel[1]/2:
		bad = "padding must be at most half of the kernel size"
	}
	if bad != "" {
		panic(fmt.Sprintf("ops: %s of input %v with kernel %v, stride %v, padding %v, dilation %v: %s",
			op, shape, o.Kernel, o.Stride, p, o.Dilation, bad))
	}
	n, c, h, w := shape[0], shape[1], shape[2], shape[3]
	oh := PoolOutputSizePads(h, o.Kernel[0], o.Stride[0], p[0], p[2], o.Dilation[0], o.CeilMode)
	ow := PoolOutputSizePads(w, o.Kernel[1], o.Stride[1], p[1], p[3], o.Dilation[1], o.CeilMode)
	if oh < 1 || ow < 1 {
		panic(fmt.Sprintf("ops: %s of input %v with kernel %v, stride %v, padding %v, dilation %v gives output %v: the window does not fit",
			op, shape, o.Kernel, o.Stride, p, o.Dilation, []int{n, c, oh, ow}))
	}
	return &kernels.ConvGeom{
		C: n * c, H: h, W: w,
		KH: o.Kernel[0], KW: o.Kernel[1],
		SH: o.Stride[0], SW: o.Stride[1],
		PadT: p[0], PadL: p[1],
		DH: o.Dilation[0], DW: o.Dilation[1],
		OH: oh, OW: ow,
	}
}

// MaxPool2d returns the maximum over each window of x [N, C, H, W] as
// [N, C, OH, OW] (torch.nn.functional.max_pool2d). Padding counts as −Inf.
// The gradient of each output goes to the element chosen as its maximum:
// the first maximum in row-major window order, or the last NaN if the
// window holds NaN (which then propagates), exactly as PyTorch picks it.
// The chosen indices are kept for the backward pass only when a gradient is
// needed.
func MaxPool2d(x *Var, o Pool2dOptions) *Var {
	g := poolResolve("MaxPool2d", x, o, false)
	shape := x.Value.Shape()
	out, pooled := newValue([]int{shape[0], shape[1], g.OH, g.OW}, x) // [N, C, OH, OW]
	// argmax [N, C, OH, OW] holds each output's index within its H×W
	// plane, for the backward pass; a strided subsample (a 1×1 window) knows
	// its indices without one.
	// Its memory is a pooled float32 buffer (the same four bytes per
	// element) rather than fresh memory page-faulted in every step (12.5
	// MB per batch-16 ResNet-18 step), given back when the backward
	// closure runs, whichever way it goes (a graph never backpropagated
	// leaves it to the garbage collector).
	var argmax []int32
	var argmaxBuf []float32
	sub := kernels.MaxPoolIsSubsample(g)
	if GradEnabled() && needs(x) && !sub {
		argmaxBuf, _ = gradPool.getDirty(out.Len())
		argmax = unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(argmaxBuf))), len(argmaxBuf))
	}
	kernels.MaxPool2d(g, x.Value.Data(), out.Data(), argmax)
	return resultAttrs("max_pool2d", o, out, func(o *Var) {
		switch {
		case !needs(x):
		case sub:
			kernels.MaxPoolSubsampleBackward(g, o.Grad.Data(), x.gradBuf().Data())
		default:
			kernels.MaxPool2dBackward(g, argmax, o.Grad.Data(), x.gradBuf().Data())
		}
		if argmaxBuf != nil {
			gradPool.put(argmaxBuf)
		}
	}, x).owns(pooled)
}

// AvgPool2d returns the average over each window of x [N, C, H, W] as
// [N, C, OH, OW] (torch.nn.functional.avg_pool2d). The divisor is the
// number of input pixels the window covers, or, with o.CountIncludePad, the
// window's area clipped to the padded input (so a ceil-mode window hanging
// past the padding is not counted in full), as PyTorch defines it.
// o.Dilation must be zero or one.
func AvgPool2d(x *Var, o Pool2dOptions) *Var {
	g := poolResolve("AvgPool2d", x, o, true)
	shape := x.Value.Shape()
	out, pooled := newValue([]int{shape[0], shape[1], g.OH, g.OW}, x) // [N, C, OH, OW]
	incl := o.CountIncludePad
	p := o.pads()
	kernels.AvgPool2dPadded(g, p[2], p[3], incl, x.Value.Data(), out.Data())
	return resultAttrs("avg_pool2d", o, out, func(o *Var) {
		if needs(x) {
			kernels.AvgPool2dPaddedBackward(g, p[2], p[3], incl, o.Grad.Data(), x.gradBuf().Data())
		}
	}, x).owns(pooled)
}

// GlobalAvgPool2d returns the mean of each H×W plane of x [N, C, H, W] as
// [N, C, 1, 1] (adaptive_avg_pool2d to 1×1).
func GlobalAvgPool2d(x *Var) *Var {
	shape := x.Value.Shape()
	if len(shape) != 4 || shape[2] < 1 || shape[3] < 1 {
		panic(fmt.Sprintf("ops: GlobalAvgPool2d wants a non-empty input of shape [N, C, H, W], got %v", shape))
	}
	n, c, hw := shape[0], shape[1], shape[2]*shape[3]
	out, pooled := newValue([]int{n, c, 1, 1}, x) // [N, C, 1, 1]
	kernels.GlobalAvgPool2d(n*c, hw, x.Value.Data(), out.Data())
	return result("global_avg_pool2d", out, func(o *Var) {
		if needs(x) {
			kernels.GlobalAvgPool2dBackward(n*c, hw, o.Grad.Data(), x.gradBuf().Data())
		}
	}, x).owns(pooled)
}

// AdaptiveAvgPool2d averages x [N, C, H, W] down to [N, C, outH, outW]
// (torch.nn.functional.adaptive_avg_pool2d): output row i averages input
// rows ⌊i·H/outH⌋ to ⌈(i+1)·H/outH⌉ (exclusive), and likewise for columns,
// so windows overlap when the sizes do not divide. outH and outW must be
// positive; they may exceed H and W.
func AdaptiveAvgPool2d(x *Var, outH, outW int) *Var {
	shape := x.Value.Shape()
	if len(shape) != 4 || shape[2] < 1 || shape[3] < 1 || outH < 1 || outW < 1 {
		panic(fmt.Sprintf("ops: AdaptiveAvgPool2d of input %v to output size [%d, %d]: want a non-empty [N, C, H, W] input and a positive output size",
			shape, outH, outW))
	}
	n, c, h, w := shape[0], shape[1], shape[2], shape[3]
	out, pooled := newValue([]int{n, c, outH, outW}, x) // [N, C, outH, outW]
	kernels.AdaptiveAvgPool2d(n*c, h, w, outH, outW, x.Value.Data(), out.Data())
	return resultAttrs("adaptive_avg_pool2d", [2]int{outH, outW}, out, func(o *Var) {
		if needs(x) {
			kernels.AdaptiveAvgPool2dBackward(n*c, h, w, outH, outW, o.Grad.Data(), x.gradBuf().Data())
		}
	}, x).owns(pooled)
}
