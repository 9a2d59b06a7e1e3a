package nn

import (
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"

	"convnet/ops"
	"convnet/tensor"
)

// Tracing: every leaf layer's Forward ends with `return observe(l, x, y)`,
// which is free unless a tracer is installed. Summaries use it to see each
// leaf layer's output shape and cost without the layers knowing about
// summaries.

// traceFunc is the signature of a tracer.
type traceFunc = func(m Module, in, out *ops.Var)

var (
	traceMu sync.Mutex
	tracer  atomic.Pointer[traceFunc]
)

// observe reports a leaf layer's call to the installed tracer (if any) and
// returns out.
func observe(m Module, in, out *ops.Var) *ops.Var {
	if t := tracer.Load(); t != nil {
		(*t)(m, in, out)
	}
	return out
}

// Trace runs f with fn called after every leaf layer's forward pass (with
// the layer, its input and its output). Traces do not nest and run one at a
// time.
func Trace(fn func(m Module, in, out *ops.Var), f func()) {
	traceMu.Lock()
	defer traceMu.Unlock()
	tracer.Store(&fn)
	defer tracer.Store(nil)
	f()
}

// MACCounter is implemented by layers that do multiply-accumulates: conv
// and linear layers. MACs returns the count for one call with input in and
// output out (the whole batch).
type MACCounter interface {
	MACs(in, out *ops.Var) int64
}

// MACs of a convolution: Cout·OH·OW·(Cin/groups)·KH·KW per image.
func (l *Conv2d) MACs(in, out *ops.Var) int64 {
	w := l.Weight.Value.Shape()
	return int64(out.Value.Len()) * int64(w[1]*w[2]*w[3])
}

// MACs of a linear layer: in·out per row.
func (l *Linear) MACs(in, out *ops.Var) int64 {
	return int64(out.Value.Len()) * int64(l.Weight.Value.Dim(1))
}

// MACs of a transposed convolution: every input pixel is multiplied by a
// Cout/groups·KH·KW kernel slice, so Cin·H·W·(Cout/groups)·KH·KW per image.
func (l *ConvTranspose2d) MACs(in, out *ops.Var) int64 {
	w := l.Weight.Value.Shape()
	return int64(in.Value.Len()) * int64(w[1]*w[2]*w[3])
}

// LayerSummary is one row of a model summary.
type LayerSummary struct {
	Name   string `json:"name"`   // dotted path
	Type   string `json:"type"`   // layer type
	Output []int  `json:"output"` // output shape without the batch dimension
	Params int64  `json:"params"` // parameters held by this layer (0 on reuse)
	MACs   int64  `json:"macs"`   // multiply-accumulates for one image
}

// Summary is a model's per-layer table and totals.
type Summary struct {
	Input  []int          `json:"input"`        // C, H, W
	Output []int          `json:"output"`       // model output without the batch dimension
	Layers []LayerSummary `json:"layers"`       // leaf layers in call order
	Params int64          `json:"params"`       // parameters of the layers used in inference
	All    int64          `json:"params_total"` // every parameter of the model (with training-only heads)
	MACs   int64          `json:"macs"`         // total multiply-accumulates for one image
}

// Summarize runs m once in evaluation mode on a zero image of shape input
// (C, H, W; batch 1) and records every leaf layer that runs: its name,
// type, output shape, parameters and multiply-accumulates. Convention:
// 1 MAC = one multiply-add; convolution MACs = Cout·Hout·Wout·(Cin/groups)·
// Kh·Kw, linear MACs = in·out; batch norm, activations, pooling and
// element-wise adds are not counted. Params counts the parameters of the
// layers that ran (each layer once), so training-only heads such as
// GoogLeNet's auxiliary classifiers are left out of it but not out of All.
func Summarize(m Module, input []int) (s Summary, err error) {
	names := map[Module]string{}
	Walk(m, func(path string, mod Module) {
		if _, seen := names[mod]; !seen {
			names[mod] = path
		}
	})
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("input %v does not fit the model: %v", input, r)
		}
	}()
	defer ops.NoGrad()()
	Eval(m)
	x := ops.Const(tensor.New(append([]int{1}, input...)...))
	counted := map[Module]bool{}
	var out *ops.Var
	Trace(func(mod Module, in, o *ops.Var) {
		row := LayerSummary{Name: names[mod], Type: layerType(mod), Output: append([]int(nil), o.Value.Shape()[1:]...)}
		if !counted[mod] {
			counted[mod] = true
			for _, p := range mod.LocalParams() {
				row.Params += int64(p.V.Value.Len())
			}
		}
		if c, ok := mod.(MACCounter); ok {
			row.MACs = c.MACs(in, o)
		}
		s.Layers = append(s.Layers, row)
		s.Params += row.Params
		s.MACs += row.MACs
	}, func() { out = m.Forward(x) })
	s.Input = append([]int(nil), input...)
	s.Output = append([]int(nil), out.Value.Shape()[1:]...)
	s.All = int64(NumParams(m))
	return s, nil
}

// layerType names a layer for summaries: a Func's Name, else its Go type.
func layerType(m Module) string {
	if f, ok := m.(*Func); ok {
		return f.Name
	}
	t := reflect.TypeOf(m)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
