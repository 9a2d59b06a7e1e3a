package onnx

import (
	"fmt"

	"convnet/onnx/onnxpb"
	"convnet/ops"
	"convnet/tensor"
)

// The mapping of each traced convnet op onto ONNX opset-13 nodes. Every
// function receives the op, the graph names of its inputs ("" for an absent
// optional one) and the name its result must take, and returns an error
// (an *ExportError naming the op) when ONNX cannot express the op exactly.

// exportFunc translates one traced op.
type exportFunc func(b *graphBuilder, t tracedOp, in []string, out string) error

// exportTable maps convnet op names (Var.Op) to their translation.
var exportTable map[string]exportFunc

func init() {
	unary := func(onnxOp string, attrs ...*onnxpb.AttributeProto) exportFunc {
		return func(b *graphBuilder, t tracedOp, in []string, out string) error {
			b.node(onnxOp, in[:1], out, attrs...)
			return nil
		}
	}
	exportTable = map[string]exportFunc{
		"conv2d":              exportConv,
		"conv_transpose2d":    exportConvTranspose,
		"linear":              exportLinear,
		"matmul":              unary2("MatMul"),
		"BatchNorm":           exportBatchNorm,
		"relu":                unary("Relu"),
		"relu6":               exportReLU6,
		"leaky_relu":          exportLeakyReLU,
		"sigmoid":             unary("Sigmoid"),
		"tanh":                unary("Tanh"),
		"silu":                exportSiLU,
		"hardswish":           exportHardSwish,
		"hardsigmoid":         unary("HardSigmoid", aFloat("alpha", 1.0/6), aFloat("beta", 0.5)),
		"clip":                exportClip,
		"max_pool2d":          exportPool("MaxPool"),
		"avg_pool2d":          exportPool("AveragePool"),
		"global_avg_pool2d":   unary("GlobalAveragePool"),
		"adaptive_avg_pool2d": exportAdaptiveAvgPool,
		"add":                 unary2("Add"),
		"sub":                 unary2("Sub"),
		"mul":                 unary2("Mul"),
		"div":                 unary2("Div"),
		"scale":               exportScale,
		"concat":              exportConcat,
		"reshape":             exportReshape,
		"dropout":             exportDropout,
		"Softmax":             exportSoftmax("Softmax"),
		"LogSoftmax":          exportSoftmax("LogSoftmax"),
		"upsample2d":          exportUpsample,
		"lrn":                 exportLRN,
	}
}

// unary2 maps a two-input op onto the ONNX operator of the same arity.
func unary2(onnxOp string) exportFunc {
	return func(b *graphBuilder, t tracedOp, in []string, out string) error {
		b.node(onnxOp, in[:2], out)
		return nil
	}
}

// add translates the i-th traced op.
func (b *graphBuilder) add(i int, t tracedOp) error {
	f, ok := exportTable[t.op]
	if !ok {
		return &ExportError{Op: t.op, Index: i, Why: "no ONNX export mapping for this op"}
	}
	in := make([]string, len(t.inputs))
	for k, v := range t.inputs {
		s, err := b.input(v)
		if err != nil {
			if e, ok := err.(*ExportError); ok && e.Op == "" {
				e.Op, e.Index = t.op, i
			}
			return err
		}
		in[k] = s
	}
	out := b.fresh(onnxName(t.op))
	b.names[t.out] = out
	if err := f(b, t, in, out); err != nil {
		if e, ok := err.(*ExportError); ok && e.Op == "" {
			e.Op, e.Index = t.op, i
		}
		return err
	}
	return nil
}

// onnxName gives the prefix of the value names an op produces.
func onnxName(op string) string {
	if op == "" {
		return "t"
	}
	return op
}

// attrsError reports attributes of an unexpected type (a change in package
// ops that the exporter does not follow).
func attrsError(t tracedOp) error {
	return &ExportError{Why: fmt.Sprintf("unexpected attributes %T", t.attrs)}
}

// pair returns p with zero entries replaced by def.
func pair(p [2]int, def int) [2]int {
	for i := range p {
		if p[i] == 0 {
			p[i] = def
		}
	}
	return p
}

func exportConv(b *graphBuilder, t tracedOp, in []string, out string) error {
	o, ok := t.attrs.(ops.Conv2dOptions)
	if !ok {
		return attrsError(t)
	}
	ws := t.inputs[1].Shape()
	s, d := pair(o.Stride, 1), pair(o.Dilation, 1)
	p := o.Padding // top, left, bottom, right = ONNX's [H begin, W begin, H end, W end]
	inputs := in[:2]
	if in[2] != "" {
		inputs = in[:3]
	}
	b.node("Conv", inputs, out,
		aInts("kernel_shape", int64(ws[2]), int64(ws[3])),
		aInts("strides", int64(s[0]), int64(s[1])),
		aInts("dilations", int64(d[0]), int64(d[1])),
		aInts("pads", int64(p[0]), int64(p[1]), int64(p[2]), int64(p[3])),
		aInt("group", int64(max(o.Groups, 1))))
	return nil
}

func exportConvTranspose(b *graphBuilder, t tracedOp, in []string, out string) error {
	o, ok := t.attrs.(ops.ConvTranspose2dOptions)
	if !ok {
		return attrsError(t)
	}
	ws := t.inputs[1].Shape()
	s, d := pair(o.Stride, 1), pair(o.Dilation, 1)
	p, op := o.Padding, o.OutputPadding
	inputs := in[:2]
	if in[2] != "" {
		inputs = in[:3]
	}
	b.node("ConvTranspose", inputs, out,
		aInts("kernel_shape", int64(ws[2]), int64(ws[3])),
		aInts("strides", int64(s[0]), int64(s[1])),
		aInts("dilations", int64(d[0]), int64(d[1])),
		aInts("pads", int64(p[0]), int64(p[1]), int64(p[0]), int64(p[1])),
		aInts("output_padding", int64(op[0]), int64(op[1])),
		aInt("group", int64(max(o.Groups, 1))))
	return nil
}

// exportLinear writes y = x·Wᵀ + b as Gemm with transB = 1.
func exportLinear(b *graphBuilder, t tracedOp, in []string, out string) error {
	if r := len(t.inputs[0].Shape()); r != 2 {
		return &ExportError{Why: fmt.Sprintf("linear of a rank-%d input %v: only [N, F] inputs map onto Gemm", r, t.inputs[0].Shape())}
	}
	inputs := in[:2]
	if in[2] != "" {
		inputs = in[:3]
	}
	b.node("Gemm", inputs, out, aInt("transB", 1))
	return nil
}

// exportBatchNorm writes an evaluation-mode BatchNorm (running statistics)
// as BatchNormalization; γ = 1 and β = 0 are supplied when the layer is not
// affine.
func exportBatchNorm(b *graphBuilder, t tracedOp, in []string, out string) error {
	a, ok := t.attrs.(ops.BatchNormAttrs)
	if !ok {
		return attrsError(t)
	}
	if a.Training {
		return &ExportError{Why: "batch statistics (training mode) have no ONNX inference form; export in evaluation mode"}
	}
	if a.RunningMean == nil || a.RunningVar == nil {
		return &ExportError{Why: "no running statistics (track_running_stats=false)"}
	}
	c := a.RunningMean.Len()
	scale, bias := in[1], in[2]
	if scale == "" {
		scale = b.floatInit(b.fresh("bn_scale"), tensor.Full(1, c))
	}
	if bias == "" {
		bias = b.floatInit(b.fresh("bn_bias"), tensor.Full(0, c))
	}
	mean := b.tensorInput(a.RunningMean, "bn_mean")
	variance := b.tensorInput(a.RunningVar, "bn_var")
	b.node("BatchNormalization", []string{in[0], scale, bias, mean, variance}, out,
		aFloat("epsilon", float32(a.Eps)))
	return nil
}

// exportReLU6 writes min(max(x, 0), 6) as Clip with constant bounds.
func exportReLU6(b *graphBuilder, t tracedOp, in []string, out string) error {
	b.node("Clip", []string{in[0], b.scalarInit("clip_min", 0), b.scalarInit("clip_max", 6)}, out)
	return nil
}

func exportClip(b *graphBuilder, t tracedOp, in []string, out string) error {
	lh, ok := t.attrs.([2]float32)
	if !ok {
		return attrsError(t)
	}
	b.node("Clip", []string{in[0], b.scalarInit("clip_min", lh[0]), b.scalarInit("clip_max", lh[1])}, out)
	return nil
}

func exportLeakyReLU(b *graphBuilder, t tracedOp, in []string, out string) error {
	slope, ok := t.attrs.(float32)
	if !ok {
		return attrsError(t)
	}
	b.node("LeakyRelu", in[:1], out, aFloat("alpha", slope))
	return nil
}

// exportSiLU writes x·σ(x) (opset 13 has no SiLU operator).
func exportSiLU(b *graphBuilder, t tracedOp, in []string, out string) error {
	s := b.node("Sigmoid", in[:1], "")
	b.node("Mul", []string{in[0], s}, out)
	return nil
}

// exportHardSwish writes x·hardsigmoid(x) with α = 1/6, β = ½ (HardSwish
// arrives only in opset 14).
func exportHardSwish(b *graphBuilder, t tracedOp, in []string, out string) error {
	s := b.node("HardSigmoid", in[:1], "", aFloat("alpha", 1.0/6), aFloat("beta", 0.5))
	b.node("Mul", []string{in[0], s}, out)
	return nil
}

func exportScale(b *graphBuilder, t tracedOp, in []string, out string) error {
	s, ok := t.attrs.(float32)
	if !ok {
		return attrsError(t)
	}
	b.node("Mul", []string{in[0], b.scalarInit("scale", s)}, out)
	return nil
}

func exportConcat(b *graphBuilder, t tracedOp, in []string, out string) error {
	axis, ok := t.attrs.(int)
	if !ok {
		return attrsError(t)
	}
	b.node("Concat", in, out, aInt("axis", int64(axis)))
	return nil
}

// exportDropout writes nothing: the result is the input (dropout is off in
// evaluation mode, the only mode Export traces).
func exportDropout(b *graphBuilder, t tracedOp, in []string, out string) error {
	b.node("Identity", in[:1], out)
	return nil
}

func exportSoftmax(onnxOp string) exportFunc {
	return func(b *graphBuilder, t tracedOp, in []string, out string) error {
		axis, ok := t.attrs.(int)
		if !ok {
			return attrsError(t)
		}
		b.node(onnxOp, in[:1], out, aInt("axis", int64(axis)))
		return nil
	}
}

// exportReshape keeps the batch dimension dynamic: [N, F] from [N, …] is
// Flatten(axis=1); any other reshape that keeps the leading batch
// dimension is Reshape with shape [0, d1, …] (0 copies the input's
// dimension).
func exportReshape(b *graphBuilder, t tracedOp, in []string, out string) error {
	is, os := t.inputs[0].Shape(), t.out.Shape()
	if len(is) == 0 || len(os) == 0 || is[0] != b.batch || os[0] != b.batch {
		return &ExportError{Why: fmt.Sprintf("reshape of %v to %v does not keep the leading batch dimension %d; it cannot be exported with a dynamic batch",
			is, os, b.batch)}
	}
	if len(os) == 2 {
		b.node("Flatten", in[:1], out, aInt("axis", 1))
		return nil
	}
	spec := append([]int64{0}, toInts(os[1:])...)
	b.node("Reshape", []string{in[0], b.intInit("shape", spec...)}, out)
	return nil
}

// exportAdaptiveAvgPool writes adaptive average pooling as
// GlobalAveragePool (1×1 output) or as AveragePool when the output size
// divides the input size (equal, disjoint windows); other sizes have
// overlapping windows of varying size that ONNX cannot express.
func exportAdaptiveAvgPool(b *graphBuilder, t tracedOp, in []string, out string) error {
	hw, ok := t.attrs.([2]int)
	if !ok {
		return attrsError(t)
	}
	s := t.inputs[0].Shape()
	h, w := s[2], s[3]
	switch {
	case hw == [2]int{1, 1}:
		b.node("GlobalAveragePool", in[:1], out)
	case h%hw[0] == 0 && w%hw[1] == 0:
		kh, kw := int64(h/hw[0]), int64(w/hw[1])
		b.node("AveragePool", in[:1], out, aInts("kernel_shape", kh, kw), aInts("strides", kh, kw))
	default:
		return &ExportError{Why: fmt.Sprintf("output size %v does not divide the input size %dx%d (windows of varying size have no ONNX form)", hw, h, w)}
	}
	return nil
}

// poolPadding returns the four-sided padding (top, left, bottom, right) of
// pooling options whose Padding is symmetric [2]int or four-sided [4]int.
func poolPadding(p any) ([4]int, bool) {
	switch p := p.(type) {
	case [2]int:
		return [4]int{p[0], p[1], p[0], p[1]}, true
	case [4]int:
		return p, true
	}
	return [4]int{}, false
}

// exportPool writes MaxPool2d or AvgPool2d. Ceil mode is written as
// ceil_mode = 1 only where it changes the output size (ONNX Runtime then
// drops a last window that would start in the end padding, as PyTorch
// does); count_include_pad is AveragePool's attribute of that name.
func exportPool(onnxOp string) exportFunc {
	return func(b *graphBuilder, t tracedOp, in []string, out string) error {
		o, ok := t.attrs.(ops.Pool2dOptions)
		if !ok {
			return attrsError(t)
		}
		p, ok := poolPadding(any(o.Padding))
		if !ok {
			return &ExportError{Why: fmt.Sprintf("padding %v of an unexpected form", o.Padding)}
		}
		if o.Pads != [4]int{} {
			p = o.Pads // top, left, bottom, right
		}
		k := o.Kernel
		s, d := o.Stride, pair(o.Dilation, 1)
		for i := range 2 {
			if s[i] == 0 {
				s[i] = k[i]
			}
		}
		is, os := t.inputs[0].Shape(), t.out.Shape()
		ceil := false
		for a := range 2 {
			floor := (is[2+a]+p[a]+p[a+2]-d[a]*(k[a]-1)-1)/s[a] + 1
			if floor != os[2+a] {
				ceil = true
			}
		}
		if ceil && !o.CeilMode {
			return &ExportError{Why: fmt.Sprintf("output %v of input %v does not follow from its options %+v", os, is, o)}
		}
		attrs := []*onnxpb.AttributeProto{
			aInts("kernel_shape", int64(k[0]), int64(k[1])),
			aInts("strides", int64(s[0]), int64(s[1])),
			aInts("pads", int64(p[0]), int64(p[1]), int64(p[2]), int64(p[3])),
		}
		if ceil {
			attrs = append(attrs, aInt("ceil_mode", 1))
		}
		if onnxOp == "MaxPool" {
			if d != [2]int{1, 1} {
				attrs = append(attrs, aInts("dilations", int64(d[0]), int64(d[1])))
			}
		} else if o.CountIncludePad && p != [4]int{} {
			attrs = append(attrs, aInt("count_include_pad", 1))
		}
		b.node(onnxOp, in[:1], out, attrs...)
		return nil
	}
}

// exportUpsample writes Upsample2d as Resize: nearest as PyTorch's
// (asymmetric coordinates, floor), bilinear as linear with pytorch_half_pixel
// or align_corners coordinates. A scale factor is written as Resize's scales
// (source coordinates then use 1/scale, as the op does), a size as its sizes
// (with the batch taken from the input at run time).
func exportUpsample(b *graphBuilder, t tracedOp, in []string, out string) error {
	o, ok := t.attrs.(ops.UpsampleOptions)
	if !ok {
		return attrsError(t)
	}
	var attrs []*onnxpb.AttributeProto
	switch o.Mode {
	case "", "nearest":
		attrs = append(attrs, aString("mode", "nearest"), aString("coordinate_transformation_mode", "asymmetric"),
			aString("nearest_mode", "floor"))
	case "bilinear":
		ct := "pytorch_half_pixel"
		if o.AlignCorners {
			ct = "align_corners"
		}
		attrs = append(attrs, aString("mode", "linear"), aString("coordinate_transformation_mode", ct))
	default:
		return &ExportError{Why: fmt.Sprintf("mode %q has no ONNX export mapping", o.Mode)}
	}
	if o.Scale != [2]float64{} {
		if float64(float32(o.Scale[0])) != o.Scale[0] || float64(float32(o.Scale[1])) != o.Scale[1] {
			return &ExportError{Why: fmt.Sprintf("scale %v is not exact in float32", o.Scale)}
		}
		scales := b.floatInit(b.fresh("scales"),
			tensor.FromSlice([]float32{1, 1, float32(o.Scale[0]), float32(o.Scale[1])}, 4))
		b.node("Resize", []string{in[0], "", scales}, out, attrs...)
		return nil
	}
	os := t.out.Shape()
	sizes := b.batchShape(os[1:])
	b.node("Resize", []string{in[0], "", "", sizes}, out, attrs...)
	return nil
}

// exportLRN writes local response normalisation; PyTorch's window (size/2
// channels before, (size−1)/2 after) equals ONNX's only for an odd size.
func exportLRN(b *graphBuilder, t tracedOp, in []string, out string) error {
	a, ok := t.attrs.(ops.LRNAttrs)
	if !ok {
		return attrsError(t)
	}
	if a.Size%2 == 0 {
		return &ExportError{Why: fmt.Sprintf("even size %d: PyTorch's window is not ONNX's", a.Size)}
	}
	b.node("LRN", in[:1], out, aInt("size", int64(a.Size)), aFloat("alpha", a.Alpha), aFloat("beta", a.Beta),
		aFloat("bias", a.K))
	return nil
}
