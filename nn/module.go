// Package nn holds the layers of convnet: modules that own parameters
// (Conv2d, Linear, BatchNorm2d …) or compose other modules (Sequential),
// their initialisers, and the walks that give every parameter and buffer its
// PyTorch-style dotted name ("layer1.0.conv1.weight"), so that state dicts
// move between convnet, PyTorch (safetensors) and ONNX unchanged.
//
// A layer is a plain struct with exported fields, built by a constructor from
// a config struct with PyTorch's defaults; its Forward calls ops and never
// loops over pixels.
package nn

import (
	"fmt"
	"sort"
	"strings"

	"convnet/ops"
	"convnet/tensor"
)

// Module is a layer or a composition of layers.
type Module interface {
	// Forward computes the module's output for x.
	Forward(x *ops.Var) *ops.Var
	// Children lists the direct submodules, in order, with their names.
	Children() []Child
	// LocalParams lists the learnable parameters held directly by this
	// module, named without any prefix ("weight", "bias").
	LocalParams() []Param
	// LocalBuffers lists the non-learnable state held directly by this
	// module (BatchNorm's "running_mean", "running_var").
	LocalBuffers() []Buffer
	// SetTraining switches this module alone between training (true) and
	// evaluation (false) behaviour; use Train / Eval for a whole tree.
	SetTraining(training bool)
}

// Child is a named submodule.
type Child struct {
	Name   string
	Module Module
}

// Param is a named learnable parameter.
type Param struct {
	Name string
	V    *ops.Var
}

// Buffer is a named non-learnable state tensor saved with the model.
type Buffer struct {
	Name string
	T    *tensor.Tensor
}

// Base gives a module the default (empty) Children, LocalParams and
// LocalBuffers, and a training flag. Embed it and override what applies.
type Base struct {
	training bool
}

// Children returns no submodules.
func (*Base) Children() []Child { return nil }

// LocalParams returns no parameters.
func (*Base) LocalParams() []Param { return nil }

// LocalBuffers returns no buffers.
func (*Base) LocalBuffers() []Buffer { return nil }

// SetTraining records the mode.
func (b *Base) SetTraining(training bool) { b.training = training }

// Training reports whether the module is in training mode.
func (b *Base) Training() bool { return b.training }

// Walk calls f for m and every module below it, depth first in
// registration order, with the module's dotted path ("" for m itself).
func Walk(m Module, f func(path string, m Module)) {
	walk("", m, f)
}

func walk(path string, m Module, f func(string, Module)) {
	f(path, m)
	for _, c := range m.Children() {
		walk(join(path, c.Name), c.Module, f)
	}
}

// join builds a dotted name.
func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// Parameters returns every learnable parameter of m with its full dotted
// name, in registration order (PyTorch's named_parameters()). A parameter
// shared by two modules is listed once.
func Parameters(m Module) []Param {
	var ps []Param
	seen := map[*ops.Var]bool{}
	Walk(m, func(path string, mod Module) {
		for _, p := range mod.LocalParams() {
			if p.V == nil || seen[p.V] {
				continue
			}
			seen[p.V] = true
			ps = append(ps, Param{Name: join(path, p.Name), V: p.V})
		}
	})
	return ps
}

// Buffers returns every buffer of m with its full dotted name.
func Buffers(m Module) []Buffer {
	var bs []Buffer
	Walk(m, func(path string, mod Module) {
		for _, b := range mod.LocalBuffers() {
			if b.T != nil {
				bs = append(bs, Buffer{Name: join(path, b.Name), T: b.T})
			}
		}
	})
	return bs
}

// StateDict returns the tensors that define m — parameters and buffers —
// keyed by dotted name (PyTorch's state_dict keys, without BatchNorm's
// num_batches_tracked counter). The tensors are m's own storage: loading
// values into them changes the model.
func StateDict(m Module) map[string]*tensor.Tensor {
	sd := map[string]*tensor.Tensor{}
	for _, p := range Parameters(m) {
		sd[p.Name] = p.V.Value
	}
	for _, b := range Buffers(m) {
		sd[b.Name] = b.T
	}
	return sd
}

// LoadStateDict copies src into m's parameters and buffers. Every entry of
// m must be present in src with the same shape and src must hold nothing
// else; otherwise an error names the first offending key and nothing is
// changed.
func LoadStateDict(m Module, src map[string]*tensor.Tensor) error {
	dst := StateDict(m)
	var missing, extra []string
	for k, t := range dst {
		s, ok := src[k]
		if !ok {
			missing = append(missing, k)
			continue
		}
		if !tensor.SameShape(s, t) {
			return fmt.Errorf("state dict: %q: model expects %v, got %v", k, t.Shape(), s.Shape())
		}
	}
	for k := range src {
		if _, ok := dst[k]; !ok {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		return fmt.Errorf("state dict: missing %d entries (first %q)", len(missing), missing[0])
	}
	if len(extra) > 0 {
		return fmt.Errorf("state dict: %d unexpected entries (first %q)", len(extra), extra[0])
	}
	for k, t := range dst {
		t.CopyFrom(src[k])
	}
	return nil
}

// Train puts m and all its submodules in training mode.
func Train(m Module) { Walk(m, func(_ string, mod Module) { mod.SetTraining(true) }) }

// Eval puts m and all its submodules in evaluation mode.
func Eval(m Module) { Walk(m, func(_ string, mod Module) { mod.SetTraining(false) }) }

// NumParams returns the number of learnable scalars in m.
func NumParams(m Module) int {
	n := 0
	for _, p := range Parameters(m) {
		n += p.V.Value.Len()
	}
	return n
}

// ZeroGrad clears the gradients of all of m's parameters.
func ZeroGrad(m Module) {
	for _, p := range Parameters(m) {
		p.V.ZeroGrad()
	}
}

// Describe returns one line per parameter and buffer: name and shape.
func Describe(m Module) string {
	var b strings.Builder
	for _, p := range Parameters(m) {
		fmt.Fprintf(&b, "%s %v\n", p.Name, p.V.Value.Shape())
	}
	for _, p := range Buffers(m) {
		fmt.Fprintf(&b, "%s %v (buffer)\n", p.Name, p.T.Shape())
	}
	return b.String()
}

// Sequential applies its layers in order; they are named "0", "1", … as in
// PyTorch's nn.Sequential.
type Sequential struct {
	Base
	Layers []Module
}

// NewSequential returns a Sequential of the given layers.
func NewSequential(layers ...Module) *Sequential { return &Sequential{Layers: layers} }

// Forward applies every layer in turn.
//
// A BatchNorm followed by Activation("relu") or Activation("relu6") runs
// as one op (BatchNorm.ForwardReLU, ForwardReLU6: the same values and
// gradients, the activation applied block by block while in cache), unless
// Trace is watching the layers.
func (s *Sequential) Forward(x *ops.Var) *ops.Var {
	for i := 0; i < len(s.Layers); i++ {
		if bn, ok := s.Layers[i].(*BatchNorm); ok && i+1 < len(s.Layers) && tracer.Load() == nil {
			if f, ok := s.Layers[i+1].(*Func); ok && (f.act == "relu" || f.act == "relu6") {
				if f.act == "relu" {
					x = bn.ForwardReLU(x)
				} else {
					x = bn.ForwardReLU6(x)
				}
				i++
				continue
			}
		}
		x = s.Layers[i].Forward(x)
	}
	return x
}

// Children names the layers by their index.
func (s *Sequential) Children() []Child {
	cs := make([]Child, len(s.Layers))
	for i, l := range s.Layers {
		cs[i] = Child{Name: fmt.Sprint(i), Module: l}
	}
	return cs
}

// Func is a parameter-free module that applies a function (an activation,
// a flatten); Name is what summaries print.
type Func struct {
	Base
	Name string
	F    func(x *ops.Var) *ops.Var

	act string // the activation Activation made it for ("" otherwise)
}

// Forward applies F.
func (f *Func) Forward(x *ops.Var) *ops.Var { return observe(f, x, f.F(x)) }

// Flatten returns a module that reshapes [N, ...] to [N, F].
func Flatten() *Func { return &Func{Name: "Flatten", F: ops.Flatten} }
