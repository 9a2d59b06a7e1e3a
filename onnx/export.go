package onnx

// Export: a model built in Go, traced through the ops it computes with, as
// an ONNX opset-13 graph.
//
// Export runs one evaluation-mode forward pass of the model on an example
// batch with an ops.Recorder installed. Every op whose inputs include the
// example or the result of an earlier recorded op becomes one or a few ONNX
// nodes; the model's parameters and buffers become initializers named by
// their state-dict keys, and any other tensor an op reads (a constant the
// model creates) becomes an initializer with a generated name. The batch
// dimension of the input and output is symbolic ("N"): shapes that the trace
// saw with the example's batch size are rebuilt from the input's shape at
// run time.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"

	"google.golang.org/protobuf/proto"

	"convnet/nn"
	"convnet/onnx/onnxpb"
	"convnet/ops"
	"convnet/tensor"
)

// ExportOpset is the version of the default ONNX operator set that Export
// writes.
const ExportOpset = 13

// exportIRVersion is the ONNX IR version that goes with ExportOpset.
const exportIRVersion = 7

// Names of the graph input and output of an exported model, and of its
// symbolic batch dimension.
const (
	ExportInputName  = "input"
	ExportOutputName = "output"
	ExportBatchParam = "N"
)

// ExportOptions configure Export.
type ExportOptions struct {
	// Input is the shape of one example without the batch dimension
	// (C, H, W for an image model). Required.
	Input []int
	// Batch is the batch size of the traced example; 0 means 2. The
	// exported graph accepts any batch size; the trace uses one above 1 so
	// that the batch dimension cannot be confused with a dimension of size 1.
	Batch int
	// Name is the graph's name ("" means "convnet").
	Name string
}

// ExportError reports an op of the traced model that cannot be written as
// ONNX, or a model that cannot be traced.
type ExportError struct {
	Op    string // the convnet op (Var.Op), "" when the trace itself failed
	Index int    // position of the op in the trace
	Why   string
}

func (e *ExportError) Error() string {
	if e.Op == "" {
		return "onnx export: " + e.Why
	}
	return fmt.Sprintf("onnx export: op %q (#%d in the trace): %s", e.Op, e.Index, e.Why)
}

// tracedOp is one op seen by the recorder.
type tracedOp struct {
	op     string
	attrs  any
	out    *ops.Var
	inputs []*ops.Var
}

// tracer is the ops.Recorder of an export: it keeps the ops that depend on
// the example input, ignoring ops that other goroutines compute meanwhile.
type tracer struct {
	mu    sync.Mutex
	known map[*ops.Var]bool // the example input and every recorded output
	ops   []tracedOp
}

// RecordOp keeps op if one of its inputs is the example or a recorded
// output.
func (t *tracer) RecordOp(op string, attrs any, out *ops.Var, inputs []*ops.Var) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, in := range inputs {
		if in != nil && t.known[in] {
			t.known[out] = true
			t.ops = append(t.ops, tracedOp{op: op, attrs: attrs, out: out, inputs: append([]*ops.Var(nil), inputs...)})
			return
		}
	}
}

// Export traces m in evaluation mode (nn.Eval; it is left in that mode) on
// an example batch of shape [o.Batch, o.Input...] and returns the ONNX
// model. An op without an ONNX mapping, or with options that ONNX cannot
// express exactly, is an *ExportError naming the op; a panic of the model's
// forward pass (an input shape it does not accept) is returned as an error.
func Export(m nn.Module, o ExportOptions) (*onnxpb.ModelProto, error) {
	if len(o.Input) == 0 {
		return nil, &ExportError{Why: "no input shape given"}
	}
	for _, d := range o.Input {
		if d < 1 {
			return nil, &ExportError{Why: fmt.Sprintf("input shape %v has a dimension below 1", o.Input)}
		}
	}
	if o.Batch == 0 {
		o.Batch = 2
	}
	if o.Batch < 2 {
		return nil, &ExportError{Why: fmt.Sprintf("example batch size %d: it must be at least 2", o.Batch)}
	}
	if o.Name == "" {
		o.Name = "convnet"
	}
	nn.Eval(m)
	shape := append([]int{o.Batch}, o.Input...)
	// The values do not matter to the trace; a fixed pattern keeps it
	// deterministic and free of special cases such as all-zero windows.
	x := tensor.New(shape...)
	for i, d := 0, x.Data(); i < len(d); i++ {
		d[i] = float32(i%17)/8 - 1
	}
	in := ops.Const(x)
	tr := &tracer{known: map[*ops.Var]bool{in: true}}
	out, err := traceForward(m, in, tr)
	if err != nil {
		return nil, err
	}
	if out == in {
		return nil, &ExportError{Why: "the model returns its input unchanged"}
	}
	if !tr.known[out] {
		return nil, &ExportError{Why: "the model's output does not depend on its input"}
	}
	b := newGraphBuilder(m, in, o)
	for i, op := range tr.ops {
		if err := b.add(i, op); err != nil {
			return nil, err
		}
	}
	outShape := out.Shape()
	if len(outShape) == 0 || outShape[0] != o.Batch {
		return nil, &ExportError{Why: fmt.Sprintf("the output of shape %v has no leading batch dimension %d", outShape, o.Batch)}
	}
	// The last node writing the output is renamed to the graph output.
	last := b.names[out]
	for _, n := range b.g.Node {
		for i, s := range n.Output {
			if s == last {
				n.Output[i] = ExportOutputName
			}
		}
		for i, s := range n.Input {
			if s == last {
				n.Input[i] = ExportOutputName
			}
		}
	}
	b.g.Input = []*onnxpb.ValueInfoProto{batchValueInfo(ExportInputName, shape)}
	b.g.Output = []*onnxpb.ValueInfoProto{batchValueInfo(ExportOutputName, outShape)}
	return &onnxpb.ModelProto{
		IrVersion:    proto.Int64(exportIRVersion),
		ProducerName: proto.String("convnet"),
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(ExportOpset)}},
		Graph:        b.g,
	}, nil
}

// traceForward runs m on in under NoGrad with tr installed, turning a panic
// into an error.
func traceForward(m nn.Module, in *ops.Var, tr *tracer) (out *ops.Var, err error) {
	defer ops.NoGrad()()
	stop := ops.Record(tr)
	defer stop()
	defer func() {
		if r := recover(); r != nil {
			err = &ExportError{Why: fmt.Sprintf("forward pass on an input of shape %v failed: %v", in.Shape(), r)}
		}
	}()
	return m.Forward(in), nil
}

// WriteModelFile marshals mp to path, through a temporary file in the same
// directory renamed into place, so that a failed write leaves no partial
// file.
func WriteModelFile(mp *onnxpb.ModelProto, path string) error {
	b, err := proto.Marshal(mp)
	if err != nil {
		return fmt.Errorf("onnx export: encoding the model: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(b)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// batchValueInfo declares a float tensor whose first dimension is the
// symbolic batch.
func batchValueInfo(name string, shape []int) *onnxpb.ValueInfoProto {
	sp := &onnxpb.TensorShapeProto{}
	for i, d := range shape {
		dim := &onnxpb.TensorShapeProto_Dimension{}
		if i == 0 {
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: ExportBatchParam}
		} else {
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}
		}
		sp.Dim = append(sp.Dim, dim)
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{
		Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(Float)), Shape: sp}}}}
}

// graphBuilder translates traced ops into an ONNX graph.
type graphBuilder struct {
	g       *onnxpb.GraphProto
	batch   int
	names   map[*ops.Var]string       // traced values and initializers already named
	params  map[*ops.Var]string       // the model's parameters by state-dict key
	buffers map[*tensor.Tensor]string // the model's buffers by state-dict key
	used    map[string]bool           // names taken
	stored  map[string]bool           // parameters and buffers already written as initializers
	seq     int                       // counter for generated names
	batchN  string                    // name of the [N] int64 tensor, once built
}

func newGraphBuilder(m nn.Module, in *ops.Var, o ExportOptions) *graphBuilder {
	b := &graphBuilder{
		g:       &onnxpb.GraphProto{Name: proto.String(o.Name)},
		batch:   o.Batch,
		names:   map[*ops.Var]string{in: ExportInputName},
		params:  map[*ops.Var]string{},
		buffers: map[*tensor.Tensor]string{},
		used:    map[string]bool{ExportInputName: true, ExportOutputName: true},
		stored:  map[string]bool{},
	}
	for _, p := range nn.Parameters(m) {
		b.params[p.V] = p.Name
		b.used[p.Name] = true
	}
	for _, p := range nn.Buffers(m) {
		b.buffers[p.T] = p.Name
		b.used[p.Name] = true
	}
	return b
}

// fresh returns a new unused name starting with prefix.
func (b *graphBuilder) fresh(prefix string) string {
	for {
		b.seq++
		s := fmt.Sprintf("%s_%d", prefix, b.seq)
		if !b.used[s] {
			b.used[s] = true
			return s
		}
	}
}

// node appends a node and returns its (single) output name.
func (b *graphBuilder) node(op string, inputs []string, out string, attrs ...*onnxpb.AttributeProto) string {
	if out == "" {
		out = b.fresh(op)
	}
	b.g.Node = append(b.g.Node, &onnxpb.NodeProto{
		Name: proto.String(fmt.Sprintf("%s_%d", op, len(b.g.Node))), OpType: proto.String(op),
		Input: inputs, Output: []string{out}, Attribute: attrs,
	})
	return out
}

// floatInit adds a float initializer and returns its name.
func (b *graphBuilder) floatInit(name string, t *tensor.Tensor) string {
	raw := make([]byte, 4*t.Len())
	for i, v := range t.Data() {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	b.g.Initializer = append(b.g.Initializer, &onnxpb.TensorProto{
		Name: proto.String(name), DataType: proto.Int32(int32(Float)), Dims: toInts(t.Shape()), RawData: raw,
	})
	return name
}

// stateInit adds the parameter or buffer t named key as an initializer,
// once, and returns key.
func (b *graphBuilder) stateInit(key string, t *tensor.Tensor) string {
	if !b.stored[key] {
		b.stored[key] = true
		b.floatInit(key, t)
	}
	return key
}

// intInit adds a 1-D int64 initializer with a generated name.
func (b *graphBuilder) intInit(prefix string, vals ...int64) string {
	name := b.fresh(prefix)
	b.g.Initializer = append(b.g.Initializer, &onnxpb.TensorProto{
		Name: proto.String(name), DataType: proto.Int32(int32(Int64)), Dims: []int64{int64(len(vals))}, Int64Data: vals,
	})
	return name
}

// scalarInit adds a float scalar initializer with a generated name.
func (b *graphBuilder) scalarInit(prefix string, v float32) string {
	return b.floatInit(b.fresh(prefix), tensor.Scalar(v))
}

// batchShape returns the name of an int64 shape tensor [N, rest...], N
// being the batch size of the graph input at run time.
func (b *graphBuilder) batchShape(rest []int) string {
	if b.batchN == "" {
		shape := b.node("Shape", []string{ExportInputName}, "")
		b.batchN = b.node("Gather", []string{shape, b.intInit("index", 0)}, "", aInt("axis", 0))
	}
	if len(rest) == 0 {
		return b.batchN
	}
	return b.node("Concat", []string{b.batchN, b.intInit("dims", toInts(rest)...)}, "", aInt("axis", 0))
}

// input returns the graph name of an op's input: a traced value, a
// parameter, a buffer-backed or other constant. nil gives "" (an absent
// optional input).
func (b *graphBuilder) input(v *ops.Var) (string, error) {
	if v == nil {
		return "", nil
	}
	if s, ok := b.names[v]; ok {
		return s, nil
	}
	if s, ok := b.params[v]; ok {
		b.names[v] = b.stateInit(s, v.Value)
		return s, nil
	}
	if s, ok := b.buffers[v.Value]; ok {
		b.names[v] = b.stateInit(s, v.Value)
		return s, nil
	}
	s, err := b.constant(v.Value)
	if err != nil {
		return "", err
	}
	b.names[v] = s
	return s, nil
}

// tensorInput is input for a tensor that is not wrapped in a Var (a
// BatchNorm running statistic): the buffer's name if it is one, else a
// generated constant.
func (b *graphBuilder) tensorInput(t *tensor.Tensor, prefix string) string {
	if s, ok := b.buffers[t]; ok {
		return b.stateInit(s, t)
	}
	return b.floatInit(b.fresh(prefix), t)
}

// constant adds a tensor that the model created (not a parameter or
// buffer). A constant whose first dimension is the example's batch size is
// taken to follow the batch: it must be the same for every example, and is
// then rebuilt at run time for the actual batch (ConstantOfShape, plus the
// one example's values when they are not all equal).
func (b *graphBuilder) constant(t *tensor.Tensor) (string, error) {
	s := t.Shape()
	if len(s) < 2 || s[0] != b.batch {
		return b.floatInit(b.fresh("const"), t), nil
	}
	d := t.Data()
	per := len(d) / b.batch
	for i := per; i < len(d); i++ {
		if math.Float32bits(d[i]) != math.Float32bits(d[i%per]) {
			return "", &ExportError{Why: fmt.Sprintf("a constant of shape %v differs between the examples of the batch; it cannot follow a dynamic batch", s)}
		}
	}
	uniform := true
	for _, v := range d[:per] {
		if math.Float32bits(v) != math.Float32bits(d[0]) {
			uniform = false
			break
		}
	}
	shape := b.batchShape(s[1:])
	fill := float32(0)
	if uniform {
		fill = d[0]
	}
	value := &onnxpb.TensorProto{DataType: proto.Int32(int32(Float)), Dims: []int64{1}, FloatData: []float32{fill}}
	full := b.node("ConstantOfShape", []string{shape}, "", &onnxpb.AttributeProto{
		Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: value})
	if uniform {
		return full, nil
	}
	one := tensor.FromSlice(append([]float32(nil), d[:per]...), append([]int{1}, s[1:]...)...)
	return b.node("Add", []string{full, b.floatInit(b.fresh("const"), one)}, ""), nil
}

func aInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func aInts(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func aFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

func aString(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte(v)}
}
