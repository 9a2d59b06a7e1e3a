// Package models builds the CNN architectures of convnet by name. Each
// family lives in its own file and reads like its paper's table of layers.
package models

import (
	"fmt"
	"sort"
	"strings"

	"convnet/nn"
	"convnet/tensor"
)

// Options are the knobs every model takes.
type Options struct {
	NumClasses int // outputs of the classifier (default 10 for MNIST-sized models)
	InChannels int // channels of the input images
}

// Spec describes one registered model.
type Spec struct {
	Name  string
	Paper string // citation with arXiv id or venue
	Input [3]int // default input C, H, W
	// Classes is the default number of classes.
	Classes int
	build   func(g *tensor.RNG, o Options) nn.Module
}

var registry = map[string]Spec{}

// register adds a model to the registry.
func register(s Spec) {
	if _, dup := registry[s.Name]; dup {
		panic("models: duplicate model " + s.Name)
	}
	registry[s.Name] = s
}

func init() {
	register(Spec{Name: "lenet5", Paper: "LeCun et al. 1998, Proc. IEEE 86(11) — ReLU/max-pool form", Input: [3]int{1, 28, 28}, Classes: 10,
		build: func(g *tensor.RNG, o Options) nn.Module { return NewLeNet5(g, o.InChannels, o.NumClasses, false) }})
	register(Spec{Name: "lenet5-1998", Paper: "LeCun et al. 1998, Proc. IEEE 86(11) — tanh/average-pool form", Input: [3]int{1, 28, 28}, Classes: 10,
		build: func(g *tensor.RNG, o Options) nn.Module { return NewLeNet5(g, o.InChannels, o.NumClasses, true) }})
}

// Names returns the registered model names, sorted.
func Names() []string {
	var ns []string
	for n := range registry {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// Lookup returns the spec of a model, or an error listing the known names.
func Lookup(name string) (Spec, error) {
	s, ok := registry[name]
	if !ok {
		return Spec{}, fmt.Errorf("unknown model %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return s, nil
}

// New builds the named model with weights initialised from g. Zero fields of
// o take the model's defaults. A nil g skips the random initialisation (the
// weights stay zero), which is enough to count parameters or trace shapes.
func New(name string, g *tensor.RNG, o Options) (nn.Module, error) {
	s, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if o.NumClasses == 0 {
		o.NumClasses = s.Classes
	}
	if o.InChannels == 0 {
		o.InChannels = s.Input[0]
	}
	if o.NumClasses < 1 || o.InChannels < 1 {
		return nil, fmt.Errorf("model %s: bad options %+v", name, o)
	}
	return s.build(g, o), nil
}
