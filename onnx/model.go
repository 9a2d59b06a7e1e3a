// Package onnx imports ONNX models (https://onnx.ai) and runs them on
// convnet's own ops: every ONNX operator is mapped to the functions of
// package ops (ops.Conv2d, ops.BatchNorm in evaluation mode, ops.MaxPool2d,
// …), called under ops.NoGrad, so an imported graph computes exactly what a
// model written in Go with the same layers computes.
//
// ReadModel parses a .onnx file (initializers, Constant nodes, external
// data beside the model, opset imports), checks that every node is
// supported, sorts the graph topologically, infers the shape of every value
// and folds the nodes whose inputs are all constant. Model.Run then executes
// the remaining nodes. Initializers are available as a state dict keyed by
// their names (Model.StateDict).
//
// Each ONNX operator is one small mapping function registered in the table
// opTable (files ops_*.go); Supported lists them: Abs, Add, AveragePool,
// BatchNormalization, Cast, Clip, Concat, Constant, ConstantOfShape, Conv,
// ConvTranspose, DepthToSpace, Div, Dropout, Elu, Erf, Exp, Flatten,
// Gather, Gemm, GlobalAveragePool, GlobalMaxPool, HardSigmoid, HardSwish,
// Identity, InstanceNormalization, LRN, LeakyRelu, Log, LogSoftmax, MatMul,
// Max, MaxPool, Min, Mul, Neg, Pad, Pow, PRelu, Reciprocal, ReduceMean,
// ReduceSum, Relu, Reshape, Resize, Selu, Shape, Sigmoid, Slice, Softmax,
// Softplus, Softsign, SpaceToDepth, Split, Sqrt, Squeeze, Sub, Sum, Tanh,
// Tile, Transpose, Unsqueeze and Upsample, in 1-D and 2-D forms. Left out:
// every 3-D convolution or pooling. An operator or attribute
// value that has no exact mapping is an *UnsupportedError naming the node,
// the operator and the attribute, never a silently different result.
package onnx

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"google.golang.org/protobuf/proto"

	"convnet/onnx/onnxpb"
	"convnet/ops"
	"convnet/tensor"
)

// ValueInfo describes a graph input or output.
type ValueInfo struct {
	Name  string
	DType DataType
	// Shape holds the declared dimensions, -1 where a dimension is symbolic
	// or unknown (such as a dynamic batch axis); nil if the rank is unknown.
	Shape []int
}

// Model is an imported ONNX graph ready to run.
type Model struct {
	// IRVersion and Opset are the model's IR version and the version of the
	// default ("ai.onnx") operator set it imports.
	IRVersion, Opset int64
	// Producer names the program that wrote the model.
	Producer string
	// Inputs are the graph inputs that are not initializers, Outputs the
	// graph outputs, both in the model's order.
	Inputs, Outputs []ValueInfo
	// Initializers are the model's stored tensors by name.
	Initializers map[string]*Tensor

	nodes  []*node           // nodes left to run, in topological order
	consts map[string]*value // initializers and folded node outputs
	infos  map[string]*info  // inferred shape of every value
}

// UnsupportedError reports an operator, or an attribute value of a
// supported operator, that this package cannot map exactly onto convnet's
// ops.
type UnsupportedError struct {
	Node string // node name, or "#i" for an unnamed node
	Op   string // ONNX operator (with its domain when not the default)
	Attr string // attribute or input at fault, "" when the operator itself is missing
	Why  string
}

// Error describes the node, the operator and, when set, the attribute.
func (e *UnsupportedError) Error() string {
	s := fmt.Sprintf("node %s: unsupported operator %s", e.Node, printable(e.Op))
	if e.Attr != "" {
		s = fmt.Sprintf("node %s (%s): unsupported %s", e.Node, printable(e.Op), printable(e.Attr))
	}
	if e.Why != "" {
		s += ": " + e.Why
	}
	return s
}

// printable returns s, or s quoted if it holds characters (such as a
// newline) that would garble a one-line message.
func printable(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// value is a tensor flowing through the graph: a float32 Var and, for
// integer and bool tensors, the exact int64 values (shapes, indices).
type value struct {
	v     *ops.Var
	ints  []int64
	dtype DataType
}

func (v *value) shape() []int { return v.v.Value.Shape() }

// floatValue wraps a float32 tensor.
func floatValue(t *tensor.Tensor) *value { return &value{v: ops.Const(t), dtype: Float} }

// varValue wraps the result of an op, keeping dtype (Float for float ops).
func varValue(v *ops.Var) *value { return &value{v: v, dtype: Float} }

// intValue makes an INT64 value of the given shape from ints.
func intValue(ints []int64, shape ...int) *value {
	f := make([]float32, len(ints))
	for i, x := range ints {
		f[i] = float32(x)
	}
	return &value{v: ops.Const(tensor.FromSlice(f, shape...)), ints: ints, dtype: Int64}
}

// valueOf turns a decoded tensor into a graph value.
func valueOf(t *Tensor) *value {
	return &value{v: ops.Const(t.Data), ints: t.Ints, dtype: t.DType}
}

// info is what shape inference knows about a value.
type info struct {
	shape  []int // dimensions, -1 where unknown; meaningful if ranked
	ranked bool
	dtype  DataType
	val    *value // the value itself when it is a constant
}

// known returns an info for a concrete value.
func infoOf(v *value) *info { return &info{shape: v.shape(), ranked: true, dtype: v.dtype} }

// kernel is the executable form of one node: infer computes output shapes
// from input shapes (and checks them), run computes the outputs. Absent
// optional inputs are nil in both.
type kernel struct {
	infer func(in []*info) ([]*info, error)
	run   func(in []*value) ([]*value, error)
}

// builder maps one ONNX node onto a kernel, reading its attributes through
// n. It is one entry of opTable.
type builder func(n *node) (*kernel, error)

// opTable maps ONNX operator names (default domain) to their builders. The
// ops_*.go files fill it from their init functions.
var opTable = map[string]builder{}

// register adds builders to opTable; it panics on a duplicate.
func register(op string, b builder) {
	if _, dup := opTable[op]; dup {
		panic("onnx: operator registered twice: " + op)
	}
	opTable[op] = b
}

// Supported returns the ONNX operators this package can import, sorted.
func Supported() []string {
	var s []string
	for k := range opTable {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// node is one graph node during import and execution.
type node struct {
	proto   *onnxpb.NodeProto
	id      string // name for messages: the node's name, or "#index"
	opset   int64
	attrs   map[string]*onnxpb.AttributeProto
	used    map[string]bool
	err     error // first attribute error
	k       *kernel
	inputs  []string
	outputs []string
}

// op returns the node's operator name.
func (n *node) op() string { return n.proto.GetOpType() }

// errorf returns an error naming the node and its operator.
func (n *node) errorf(format string, a ...any) error {
	return fmt.Errorf("node %s (%s): %s", n.id, printable(n.op()), fmt.Sprintf(format, a...))
}

// unsupported returns an *UnsupportedError for attribute (or input) attr.
func (n *node) unsupported(attr, format string, a ...any) error {
	return &UnsupportedError{Node: n.id, Op: n.op(), Attr: attr, Why: fmt.Sprintf(format, a...)}
}

// setErr records the first attribute error.
func (n *node) setErr(err error) {
	if n.err == nil {
		n.err = err
	}
}

// attr returns the attribute called name (nil if absent) and marks it
// read.
func (n *node) attr(name string, want onnxpb.AttributeProto_AttributeType) *onnxpb.AttributeProto {
	a := n.attrs[name]
	if a == nil {
		return nil
	}
	n.used[name] = true
	if a.GetRefAttrName() != "" {
		n.setErr(n.unsupported("attribute "+name, "reference to a function attribute"))
		return nil
	}
	if t := a.GetType(); t != want && t != onnxpb.AttributeProto_UNDEFINED {
		n.setErr(n.errorf("attribute %s has type %v, want %v", name, t, want))
		return nil
	}
	return a
}

// has reports whether attribute name is present.
func (n *node) has(name string) bool { return n.attrs[name] != nil }

// ignore marks attributes that do not change the result of inference (such
// as BatchNormalization's momentum) as read.
func (n *node) ignore(names ...string) {
	for _, s := range names {
		n.used[s] = true
	}
}

// int returns integer attribute name, or def if absent.
func (n *node) int(name string, def int64) int64 {
	if a := n.attr(name, onnxpb.AttributeProto_INT); a != nil {
		return a.GetI()
	}
	return def
}

// float returns float attribute name, or def if absent.
func (n *node) float(name string, def float32) float32 {
	if a := n.attr(name, onnxpb.AttributeProto_FLOAT); a != nil {
		return a.GetF()
	}
	return def
}

// str returns string attribute name, or def if absent.
func (n *node) str(name, def string) string {
	if a := n.attr(name, onnxpb.AttributeProto_STRING); a != nil {
		return string(a.GetS())
	}
	return def
}

// ints returns integer-list attribute name, or def if absent.
func (n *node) ints(name string, def []int64) []int64 {
	if a := n.attr(name, onnxpb.AttributeProto_INTS); a != nil {
		return a.GetInts()
	}
	return def
}

// floats returns float-list attribute name, or nil if absent.
func (n *node) floats(name string) []float32 {
	if a := n.attr(name, onnxpb.AttributeProto_FLOATS); a != nil {
		return a.GetFloats()
	}
	return nil
}

// tensorAttr returns tensor attribute name decoded, or nil if absent.
func (n *node) tensorAttr(name string) *Tensor {
	a := n.attr(name, onnxpb.AttributeProto_TENSOR)
	if a == nil {
		return nil
	}
	t, err := decodeTensor(a.GetT(), "")
	if err != nil {
		n.setErr(n.errorf("attribute %s: %v", name, err))
		return nil
	}
	return t
}

// nIn returns the number of inputs the node names (absent optional inputs
// included).
func (n *node) nIn() int { return len(n.inputs) }

// wantIO checks the number of inputs and outputs against the operator's
// arity; an output beyond maxOut that is named (not "") is unsupported.
func (n *node) wantIO(minIn, maxIn, maxOut int) error {
	if len(n.inputs) < minIn || len(n.inputs) > maxIn {
		if minIn == maxIn {
			return n.errorf("%d inputs, want %d", len(n.inputs), minIn)
		}
		return n.errorf("%d inputs, want %d to %d", len(n.inputs), minIn, maxIn)
	}
	for i := 0; i < minIn; i++ {
		if n.inputs[i] == "" {
			return n.errorf("required input %d is empty", i)
		}
	}
	if len(n.outputs) == 0 || n.outputs[0] == "" {
		return n.errorf("no output")
	}
	for i := maxOut; i < len(n.outputs); i++ {
		if n.outputs[i] != "" {
			return n.unsupported(fmt.Sprintf("output %d (%s)", i, n.outputs[i]), "only the first %d output(s) can be computed", maxOut)
		}
	}
	return nil
}

// ReadModel reads and imports the ONNX model in the file at path; external
// data files are looked for in the same directory.
func ReadModel(path string) (*Model, error) {
	b, err := readRegular(path)
	if err != nil {
		return nil, err
	}
	m, err := ParseModel(b, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// ParseModel decodes and imports a serialized ModelProto. dir is where
// external data files are looked for ("" refuses external data).
func ParseModel(b []byte, dir string) (*Model, error) {
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		return nil, fmt.Errorf("not an ONNX model: %v", err)
	}
	return Import(&mp, dir)
}

// Import builds a runnable Model from a decoded ModelProto.
func Import(mp *onnxpb.ModelProto, dir string) (*Model, error) {
	g := mp.GetGraph()
	if g == nil {
		return nil, errors.New("not an ONNX model: no graph")
	}
	m := &Model{IRVersion: mp.GetIrVersion(), Producer: mp.GetProducerName(), Opset: -1,
		Initializers: map[string]*Tensor{}, consts: map[string]*value{}, infos: map[string]*info{}}
	for _, o := range mp.GetOpsetImport() {
		if d := o.GetDomain(); d == "" || d == "ai.onnx" {
			m.Opset = o.GetVersion()
		}
	}
	if m.Opset < 1 {
		return nil, errors.New("the model imports no version of the default ONNX operator set")
	}
	if len(g.GetSparseInitializer()) > 0 {
		return nil, &UnsupportedError{Node: "graph", Op: "graph", Attr: "sparse_initializer", Why: "sparse tensors"}
	}
	for _, tp := range g.GetInitializer() {
		t, err := decodeTensor(tp, dir)
		if err != nil {
			return nil, fmt.Errorf("initializer: %v", err)
		}
		if _, dup := m.Initializers[t.Name]; dup || t.Name == "" {
			return nil, fmt.Errorf("initializer %q: missing or repeated name", t.Name)
		}
		m.Initializers[t.Name] = t
		v := valueOf(t)
		m.consts[t.Name] = v
		m.infos[t.Name] = &info{shape: v.shape(), ranked: true, dtype: t.DType, val: v}
	}
	for _, vi := range g.GetInput() {
		if _, isInit := m.Initializers[vi.GetName()]; isInit {
			continue
		}
		in, err := valueInfo(vi)
		if err != nil {
			return nil, err
		}
		if _, dup := m.infos[in.Name]; dup {
			return nil, fmt.Errorf("graph input %q is declared twice", in.Name)
		}
		m.Inputs = append(m.Inputs, in)
		m.infos[in.Name] = &info{shape: in.Shape, ranked: in.Shape != nil, dtype: in.DType}
	}
	for _, vi := range g.GetOutput() {
		out, err := valueInfo(vi)
		if err != nil {
			return nil, err
		}
		m.Outputs = append(m.Outputs, out)
	}
	if len(m.Outputs) == 0 {
		return nil, errors.New("the graph has no outputs")
	}
	nodes, err := buildNodes(g.GetNode(), m.Opset)
	if err != nil {
		return nil, err
	}
	order, err := topoSort(nodes, m.infos)
	if err != nil {
		return nil, err
	}
	if err := m.inferAndFold(order); err != nil {
		return nil, err
	}
	for _, o := range m.Outputs {
		if _, ok := m.infos[o.Name]; !ok {
			return nil, fmt.Errorf("graph output %q is not produced by any node, initializer or input", o.Name)
		}
	}
	return m, nil
}

// valueInfo converts a graph input or output declaration.
func valueInfo(vi *onnxpb.ValueInfoProto) (ValueInfo, error) {
	out := ValueInfo{Name: vi.GetName(), DType: Float}
	if out.Name == "" {
		return out, errors.New("graph input or output without a name")
	}
	tt := vi.GetType().GetTensorType()
	if vi.GetType() != nil && tt == nil {
		return out, &UnsupportedError{Node: "graph", Op: "graph", Attr: "value " + out.Name, Why: "only tensor inputs and outputs are supported"}
	}
	if tt == nil {
		return out, nil
	}
	if et := DataType(tt.GetElemType()); et != 0 {
		out.DType = et
	}
	if sp := tt.GetShape(); sp != nil {
		out.Shape = make([]int, len(sp.GetDim()))
		for i, d := range sp.GetDim() {
			out.Shape[i] = -1
			if v, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok && v.DimValue >= 0 {
				if v.DimValue > MaxElements {
					return out, fmt.Errorf("value %q: dimension %d is absurd", out.Name, v.DimValue)
				}
				out.Shape[i] = int(v.DimValue)
			}
		}
	}
	return out, nil
}

// buildNodes looks up every node's operator and builds its kernel.
func buildNodes(protos []*onnxpb.NodeProto, opset int64) ([]*node, error) {
	var nodes []*node
	for i, np := range protos {
		n := &node{proto: np, id: fmt.Sprintf("#%d", i), opset: opset,
			attrs: map[string]*onnxpb.AttributeProto{}, used: map[string]bool{},
			inputs: np.GetInput(), outputs: np.GetOutput()}
		if np.GetName() != "" {
			n.id = fmt.Sprintf("%q", np.GetName())
		}
		op := np.GetOpType()
		if d := np.GetDomain(); d != "" && d != "ai.onnx" {
			return nil, &UnsupportedError{Node: n.id, Op: d + "." + op, Why: "only the default ONNX domain is supported"}
		}
		b := opTable[op]
		if b == nil {
			return nil, &UnsupportedError{Node: n.id, Op: op}
		}
		for _, a := range np.GetAttribute() {
			n.attrs[a.GetName()] = a
		}
		k, err := b(n)
		if err == nil {
			err = n.err
		}
		if err != nil {
			return nil, err
		}
		for _, a := range np.GetAttribute() {
			if !n.used[a.GetName()] {
				return nil, n.unsupported("attribute "+a.GetName(), "not known to this importer")
			}
		}
		n.k = k
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// topoSort orders nodes so that every node follows the producers of its
// inputs (Kahn's algorithm, keeping the file's order among ready nodes). It
// reports inputs that nothing produces, values produced twice and cycles.
func topoSort(nodes []*node, known map[string]*info) ([]*node, error) {
	producer := map[string]int{}
	for i, n := range nodes {
		for _, o := range n.outputs {
			if o == "" {
				continue
			}
			if _, dup := producer[o]; dup {
				return nil, n.errorf("output %q is also produced by another node", o)
			}
			if _, dup := known[o]; dup {
				return nil, n.errorf("output %q is also a graph input or initializer", o)
			}
			producer[o] = i
		}
	}
	waiting := make([]int, len(nodes)) // unproduced inputs per node
	users := map[int][]int{}
	for i, n := range nodes {
		for _, in := range n.inputs {
			if in == "" {
				continue
			}
			if _, ok := known[in]; ok {
				continue
			}
			p, ok := producer[in]
			if !ok {
				return nil, n.errorf("input %q is not produced by any node, initializer or graph input", in)
			}
			waiting[i]++
			users[p] = append(users[p], i)
		}
	}
	var ready, order []int
	for i := range nodes {
		if waiting[i] == 0 {
			ready = append(ready, i)
		}
	}
	for len(ready) > 0 {
		slices.Sort(ready)
		i := ready[0]
		ready = ready[1:]
		order = append(order, i)
		for _, u := range users[i] {
			if waiting[u]--; waiting[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	if len(order) < len(nodes) {
		for i, n := range nodes {
			if waiting[i] > 0 {
				return nil, n.errorf("the graph has a cycle through this node (or a node depending on one)")
			}
		}
	}
	out := make([]*node, len(order))
	for j, i := range order {
		out[j] = nodes[i]
	}
	return out, nil
}

// inferAndFold walks the nodes in order, computing every output's shape.
// A node whose inputs are all constants is run now (constant folding) and
// its outputs become constants; the rest are kept to run.
func (m *Model) inferAndFold(order []*node) error {
	for _, n := range order {
		ins := make([]*info, len(n.inputs))
		folding := true
		for i, name := range n.inputs {
			if name == "" {
				continue
			}
			ins[i] = m.infos[name]
			if ins[i].val == nil {
				folding = false
			}
		}
		if folding {
			vals := make([]*value, len(ins))
			for i, in := range ins {
				if in != nil {
					vals[i] = in.val
				}
			}
			outs, err := n.exec(vals)
			if err != nil {
				return err
			}
			for i, o := range outs {
				if i < len(n.outputs) && n.outputs[i] != "" {
					m.consts[n.outputs[i]] = o
					inf := infoOf(o)
					inf.val = o
					m.infos[n.outputs[i]] = inf
				}
			}
			continue
		}
		outs, err := n.k.infer(ins)
		if err != nil {
			return wrapNodeErr(n, err)
		}
		for i, o := range outs {
			if i < len(n.outputs) && n.outputs[i] != "" {
				m.infos[n.outputs[i]] = o
			}
		}
		m.nodes = append(m.nodes, n)
	}
	return nil
}

// wrapNodeErr prefixes err with the node unless it already names it.
func wrapNodeErr(n *node, err error) error {
	var u *UnsupportedError
	if errors.As(err, &u) || strings.HasPrefix(err.Error(), "node ") {
		return err
	}
	return n.errorf("%v", err)
}

// exec checks the inputs' shapes with the kernel's inference and runs it,
// turning a panic of an op into an error naming the node.
func (n *node) exec(in []*value) (outs []*value, err error) {
	infos := make([]*info, len(in))
	for i, v := range in {
		if v != nil {
			infos[i] = infoOf(v)
			infos[i].val = v
		}
	}
	if _, err := n.k.infer(infos); err != nil {
		return nil, wrapNodeErr(n, err)
	}
	defer func() {
		if r := recover(); r != nil {
			outs, err = nil, n.errorf("%v", r)
		}
	}()
	defer ops.NoGrad()()
	outs, err = n.k.run(in)
	if err != nil {
		return nil, wrapNodeErr(n, err)
	}
	return outs, nil
}

// Shape returns the inferred shape of the named value (-1 for dimensions
// known only at run time) and whether the value exists and has a known
// rank.
func (m *Model) Shape(name string) ([]int, bool) {
	in, ok := m.infos[name]
	if !ok || !in.ranked {
		return nil, false
	}
	return append([]int(nil), in.shape...), true
}

// StateDict returns the model's floating-point initializers as float32
// tensors keyed by their ONNX names (for models exported from PyTorch,
// the state_dict keys). Integer initializers (shapes, indices) are left
// out.
func (m *Model) StateDict() map[string]*tensor.Tensor {
	sd := map[string]*tensor.Tensor{}
	for name, t := range m.Initializers {
		if t.Ints == nil {
			sd[name] = t.Data
		}
	}
	return sd
}

// NumNodes returns the number of nodes left to run after constant folding.
func (m *Model) NumNodes() int { return len(m.nodes) }

// Run executes the graph on float32 inputs keyed by graph input name and
// returns the outputs keyed by name.
func (m *Model) Run(inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	in := map[string]*Tensor{}
	for k, t := range inputs {
		in[k] = &Tensor{Name: k, DType: Float, Data: t}
	}
	outs, err := m.RunTensors(in)
	if err != nil {
		return nil, err
	}
	res := map[string]*tensor.Tensor{}
	for k, t := range outs {
		res[k] = t.Data
	}
	return res, nil
}

// RunTensors executes the graph on inputs keyed by graph input name (an
// integer input, such as indices, must carry Ints) and returns every graph
// output. Each input must match its declared rank and fixed dimensions.
func (m *Model) RunTensors(inputs map[string]*Tensor) (map[string]*Tensor, error) {
	env := make(map[string]*value, len(m.consts)+len(inputs))
	for k, v := range m.consts {
		env[k] = v
	}
	for _, decl := range m.Inputs {
		t, ok := inputs[decl.Name]
		if !ok {
			return nil, fmt.Errorf("missing input %q (the model's inputs: %s)", decl.Name, inputNames(m.Inputs))
		}
		if err := checkInput(decl, t); err != nil {
			return nil, err
		}
		v := valueOf(t)
		if decl.DType.isInt() && v.ints == nil {
			return nil, fmt.Errorf("input %q: the model wants %v, got %v", decl.Name, decl.DType, t.DType)
		}
		if !decl.DType.isInt() {
			v.ints, v.dtype = nil, decl.DType
		}
		env[decl.Name] = v
	}
	for k := range inputs {
		if _, ok := m.infos[k]; !ok || !slices.ContainsFunc(m.Inputs, func(d ValueInfo) bool { return d.Name == k }) {
			return nil, fmt.Errorf("%q is not an input of the model (its inputs: %s)", k, inputNames(m.Inputs))
		}
	}
	for _, n := range m.nodes {
		in := make([]*value, len(n.inputs))
		for i, name := range n.inputs {
			if name != "" {
				in[i] = env[name]
			}
		}
		outs, err := n.exec(in)
		if err != nil {
			return nil, err
		}
		for i, o := range outs {
			if i < len(n.outputs) && n.outputs[i] != "" {
				env[n.outputs[i]] = o
			}
		}
	}
	res := map[string]*Tensor{}
	for _, o := range m.Outputs {
		v := env[o.Name]
		if v == nil {
			return nil, fmt.Errorf("output %q was not computed", o.Name)
		}
		res[o.Name] = &Tensor{Name: o.Name, DType: v.dtype, Data: v.v.Value, Ints: v.ints}
	}
	return res, nil
}

// checkInput checks t against the declared input.
func checkInput(decl ValueInfo, t *Tensor) error {
	if t == nil || t.Data == nil {
		return fmt.Errorf("input %q is empty", decl.Name)
	}
	s := t.Data.Shape()
	if decl.Shape == nil {
		return nil
	}
	fits := len(s) == len(decl.Shape)
	for i := 0; fits && i < len(s); i++ {
		fits = decl.Shape[i] < 0 || decl.Shape[i] == s[i]
	}
	if !fits {
		return fmt.Errorf("input %q has shape %v, the model wants %s", decl.Name, s, shapeString(decl.Shape))
	}
	return nil
}

// shapeString formats a shape with "?" for unknown dimensions.
func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d < 0 {
			parts[i] = "?"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// inputNames lists input names for messages.
func inputNames(vs []ValueInfo) string {
	var s []string
	for _, v := range vs {
		s = append(s, v.Name)
	}
	return strings.Join(s, ", ")
}
