// Package infer compiles a trained CNN into an inference engine for one
// fixed input shape: a graph of ops with static shapes, rewritten by
// inference-only passes and executed over memory planned once.
//
// Both front-ends trace one evaluation-mode forward pass through package
// ops (ops.Record): Compile traces a model written in Go (nn.Module),
// CompileONNX an imported ONNX model (onnx.Model.Run runs on the same ops),
// so the passes and the executor treat both alike.
//
// The passes are:
//
//   - drop no-op nodes (Dropout in evaluation mode, Identity, reshape of a
//     value to its own shape) and let reshapes alias their input's memory;
//   - fold an evaluation-mode BatchNorm into the preceding convolution when
//     the convolution's output feeds nothing else:
//     W' = W·γ/√(var+ε), b' = (b − μ)·γ/√(var+ε) + β (the per-channel
//     factor and shift rounded to float32 as ops.BatchNorm rounds them);
//     any other BatchNorm becomes a per-channel affine map;
//   - run a 1×1 convolution of a 1×1 input (a squeeze-and-excitation FC
//     written as a convolution) as a linear layer;
//   - fuse a residual Add into the epilogue of the convolution producing one
//     of its operands, and an activation (ReLU, ReLU6, Clip, SiLU, Sigmoid)
//     into the convolution, linear, affine or add node before it;
//   - pre-pack the weights of every convolution and linear layer once for
//     the SGEMM micro-kernel (kernels.PackA);
//   - plan activation memory: a value's buffer is reused by later values as
//     soon as its last reader has run, and every buffer, the im2col scratch
//     and the GEMM workspaces are allocated when the engine is built.
//
// Engine.Run then allocates nothing, and its result is the same at any
// thread count (work is split only over disjoint outputs, on tile
// boundaries of the SGEMM micro-kernel).
//
// Dimension legend: B batch, C channels, H height, W width, K kernel size,
// O output features, F input features.
package infer

import (
	"fmt"
	"sync"

	"convnet/internal/kernels"
	"convnet/ops"
	"convnet/tensor"
)

// Value is one tensor of the graph: the input, an activation computed by a
// node, or a constant (a weight, a buffer, a tensor the model created).
type Value struct {
	Shape []int          // static shape for the compiled input shape
	Const *tensor.Tensor // the constant's data, nil for the input and activations
}

// Node is one op of the graph. Op is the ops name of the op traced
// (Var.Op: "conv2d", "linear", "BatchNorm", "relu", …) or, after the
// passes, "affine" (a per-channel scale and shift). Attrs are the op's
// attributes as ops.Recorder documents them.
type Node struct {
	Op    string
	Attrs any
	In    []int // value ids of the inputs in the op's order, -1 for an absent one
	Out   int   // value id of the output

	// Fused epilogue: Residual (a value id, -1 for none) is added to the
	// result, then Act is applied.
	Residual int
	Act      kernels.Activation

	dead bool // removed by a pass
}

// Graph is a traced model: values and the nodes computing them, in an order
// where every node comes after the producers of its inputs.
type Graph struct {
	Values []*Value
	Nodes  []*Node
	Input  int // value id of the graph input
	Output int // value id of the graph output
}

// String lists the live nodes, one a line, for debugging and tests.
func (g *Graph) String() string {
	s := ""
	for _, n := range g.Nodes {
		if n.dead {
			continue
		}
		s += fmt.Sprintf("%s %v -> %d %v", n.Op, n.In, n.Out, g.Values[n.Out].Shape)
		if n.Residual >= 0 {
			s += fmt.Sprintf(" +res %d", n.Residual)
		}
		if n.Act.Kind != kernels.ActNone {
			s += " " + n.Act.String()
		}
		s += "\n"
	}
	return s
}

// OpCounts returns how many live nodes of each op the graph holds.
func (g *Graph) OpCounts() map[string]int {
	c := map[string]int{}
	for _, n := range g.Nodes {
		if !n.dead {
			c[n.Op]++
		}
	}
	return c
}

// tracer is the ops.Recorder of a front-end: it keeps the ops that depend on
// the example input (recognised by its tensor, since the ONNX importer wraps
// the input in a Var of its own) and ignores ops that other goroutines
// compute meanwhile.
type tracer struct {
	mu     sync.Mutex
	input  *tensor.Tensor
	g      *Graph
	vars   map[*ops.Var]int            // traced values by Var
	consts map[*tensor.Tensor]int      // constants by tensor
	outs   map[*ops.Var]*tensor.Tensor // output tensors, to find the graph output
}

func newTracer(x *tensor.Tensor) *tracer {
	g := &Graph{Values: []*Value{{Shape: x.Shape()}}, Input: 0, Output: -1}
	return &tracer{input: x, g: g, vars: map[*ops.Var]int{}, consts: map[*tensor.Tensor]int{}, outs: map[*ops.Var]*tensor.Tensor{}}
}

// id returns the value id of an input Var, adding a constant when the Var
// is neither traced nor the input; ok is false when v is not traced and not
// the input.
func (t *tracer) id(v *ops.Var) (id int, traced bool) {
	if v == nil {
		return -1, false
	}
	if id, ok := t.vars[v]; ok {
		return id, true
	}
	if v.Value == t.input {
		return t.g.Input, true
	}
	if id, ok := t.consts[v.Value]; ok {
		return id, false
	}
	t.g.Values = append(t.g.Values, &Value{Shape: v.Value.Shape(), Const: v.Value})
	id = len(t.g.Values) - 1
	t.consts[v.Value] = id
	return id, false
}

// RecordOp adds op as a node if one of its inputs is traced.
func (t *tracer) RecordOp(op string, attrs any, out *ops.Var, inputs []*ops.Var) {
	t.mu.Lock()
	defer t.mu.Unlock()
	depends := false
	for _, in := range inputs {
		if in != nil {
			if _, ok := t.vars[in]; ok || in.Value == t.input {
				depends = true
				break
			}
		}
	}
	if !depends {
		return
	}
	n := &Node{Op: op, Attrs: attrs, In: make([]int, len(inputs)), Residual: -1}
	for i, in := range inputs {
		n.In[i], _ = t.id(in)
	}
	// An op that returned its input's tensor unchanged (evaluation-mode
	// dropout, a reshape to the same shape) is an identity.
	if len(inputs) == 1 && inputs[0] != nil && sameData(inputs[0].Value, out.Value) {
		n.Op = "identity"
	}
	t.g.Values = append(t.g.Values, &Value{Shape: out.Value.Shape()})
	n.Out = len(t.g.Values) - 1
	t.vars[out] = n.Out
	t.g.Nodes = append(t.g.Nodes, n)
}

// sameData reports whether a and b are the same tensor or views of the same
// storage with the same shape.
func sameData(a, b *tensor.Tensor) bool {
	if a == b {
		return true
	}
	da, db := a.Data(), b.Data()
	return len(da) > 0 && len(da) == len(db) && &da[0] == &db[0] && tensor.ShapeEqual(a.Shape(), b.Shape())
}

// finish sets the graph output to the traced value of out.
func (t *tracer) finish(out *ops.Var) (*Graph, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	id, ok := t.vars[out]
	if !ok {
		if out != nil && out.Value == t.input {
			return nil, fmt.Errorf("infer: the model returns its input unchanged")
		}
		return nil, fmt.Errorf("infer: the model's output does not depend on its input")
	}
	t.g.Output = id
	return t.g, nil
}

// examplePattern fills x with a fixed pattern without special cases such as
// all-zero windows, so that traces are deterministic.
func examplePattern(x *tensor.Tensor) {
	for i, d := 0, x.Data(); i < len(d); i++ {
		d[i] = float32(i%17)/8 - 1
	}
}

// randomInput fills x with standard normal values, for verifying a
// compiled engine on an input unlike the traced one.
func randomInput(x *tensor.Tensor, seed uint64) {
	g := tensor.NewRNG(seed)
	for i, d := 0, x.Data(); i < len(d); i++ {
		d[i] = float32(g.NormFloat64())
	}
}
