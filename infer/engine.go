package infer

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"convnet/internal/kernels"
	"convnet/nn"
	"convnet/onnx"
	"convnet/ops"
	"convnet/tensor"
)

// Options configure Compile and CompileONNX. The zero value is the default.
type Options struct {
	// Threads is the number of goroutines the engine uses; 0 means
	// kernels.Threads() at compile time. Results do not depend on it.
	Threads int
	// NoFuse turns off BatchNorm folding and epilogue fusion (every
	// BatchNorm runs as a per-channel affine map, every activation and add
	// on its own), for measuring what they save.
	NoFuse bool
	// NoVerify skips the check that Compile makes after building: the
	// engine and the plain model are run on one pseudo-random input and
	// must agree within 1e-3 of the output's scale. The check catches a
	// model whose computation the trace cannot see (a value computed
	// outside package ops and then used as a constant).
	NoVerify bool
	// Winograd chooses how 3×3 stride-1 convolutions are computed: by the
	// rule of useWinograd (the default), always by im2col and GEMM, or by
	// Winograd F(4×4, 3×3) wherever it applies.
	Winograd WinogradMode
}

// WinogradMode is the choice of Options.Winograd.
type WinogradMode int

// Choices of Options.Winograd.
const (
	WinogradAuto WinogradMode = iota // per layer, by the rule of useWinograd
	WinogradOff                      // never: im2col and GEMM
	WinogradAll                      // every ungrouped, undilated 3×3 stride-1 convolution
)

// Engine runs one compiled model on inputs of one fixed shape. Calls of Run
// from several goroutines are serialised, but each returns a view of the
// same output buffer, which the next call overwrites: a goroutine must be
// done with (or Clone) its result before another can call Run, so share an
// engine only under the caller's own lock, or compile one per goroutine.
type Engine struct {
	e *engine
}

// engine is the state that the worker goroutines may reference; Engine
// wraps it so that an Engine dropped without Close still stops them.
type engine struct {
	mu      sync.Mutex
	g       *Graph
	pool    *kernels.Pool
	steps   []step
	inShape []int
	in      []float32      // the input value's buffer [B, C, H, W]
	out     *tensor.Tensor // view of the output value's buffer
	bufs    [][]float32    // planned activation buffers
	views   [][]float32    // per value id: its memory (activations and input)

	// Scratch shared by the steps, sized while the steps are built.
	colLen  int                    // im2col buffer length
	tmpLen  int                    // linear transposition buffer length
	gemmN   int                    // most columns of any GEMM range
	col     []float32              // [colLen]
	tmp     []float32              // [tmpLen]
	ws      []*kernels.GemmScratch // one per goroutine
	threads int
	wino    WinogradMode

	// slab holds the packed weights of all the steps side by side on huge
	// pages where the OS gives them: at batch 1 they stream from memory
	// once per run, and on 4 KiB pages each page costs a TLB miss (a
	// two-dimensional page walk under virtualisation).
	slab kernels.Slab

	// Scratch of the Winograd convolutions: the transformed input tiles
	// and the products, [36, C, N] and [36, Cout, N] at the largest.
	winoVLen, winoMLen int
	winoV, winoM       []float32
}

// step is the executable form of one node.
type step interface {
	run(p *kernels.Pool)
}

// Compile traces m (switched to evaluation mode with nn.Eval, and left in
// it) on an input of shape inputShape ([B, C, H, W] for an image model)
// and builds an engine for that shape. The engine holds copies of the
// weights (folded and packed), so later changes to m do not affect it. A
// nil opts means the defaults. An op the engine cannot run is an error
// naming it.
func Compile(m nn.Module, inputShape []int, opts *Options) (*Engine, error) {
	if err := checkShape(inputShape); err != nil {
		return nil, err
	}
	nn.Eval(m)
	forward := func(x *tensor.Tensor) (*ops.Var, error) { return safeForward(m, x) }
	return compile(inputShape, opts, forward)
}

// CompileONNX builds an engine for the imported ONNX model m, whose single
// float input is given inputShape (its symbolic dimensions, such as the
// batch, fixed to the values given). The graph is traced through the ops
// that m.Run calls, so the same passes apply as for a Go model.
func CompileONNX(m *onnx.Model, inputShape []int, opts *Options) (*Engine, error) {
	if err := checkShape(inputShape); err != nil {
		return nil, err
	}
	if len(m.Inputs) != 1 || len(m.Outputs) != 1 {
		return nil, fmt.Errorf("infer: the ONNX model has %d inputs and %d outputs; an engine takes one of each", len(m.Inputs), len(m.Outputs))
	}
	name, outName := m.Inputs[0].Name, m.Outputs[0].Name
	forward := func(x *tensor.Tensor) (*ops.Var, error) {
		res, err := m.Run(map[string]*tensor.Tensor{name: x})
		if err != nil {
			return nil, err
		}
		return ops.Const(res[outName]), nil
	}
	return compile(inputShape, opts, forward)
}

// checkShape accepts a shape of positive dimensions.
func checkShape(s []int) error {
	if len(s) == 0 {
		return fmt.Errorf("infer: no input shape given")
	}
	for _, d := range s {
		if d < 1 {
			return fmt.Errorf("infer: input shape %v has a dimension below 1", s)
		}
	}
	return nil
}

// safeForward runs m on x under NoGrad, turning a panic into an error.
func safeForward(m nn.Module, x *tensor.Tensor) (out *ops.Var, err error) {
	defer ops.NoGrad()()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("infer: forward pass on an input of shape %v failed: %v", x.Shape(), r)
		}
	}()
	return m.Forward(ops.Const(x)), nil
}

// compile traces forward, runs the passes, plans memory, builds the steps
// and verifies the engine.
func compile(inputShape []int, opts *Options, forward func(*tensor.Tensor) (*ops.Var, error)) (*Engine, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	x := tensor.New(inputShape...)
	examplePattern(x)
	tr := newTracer(x)
	stop := ops.Record(tr)
	out, err := forward(x)
	stop()
	if err != nil {
		return nil, err
	}
	// The ONNX front-end returns a fresh Const wrapping the traced output
	// tensor; find the traced Var that computed it.
	if _, ok := tr.vars[out]; !ok {
		for v := range tr.vars {
			if v.Value == out.Value {
				out = v
				break
			}
		}
	}
	g, err := tr.finish(out)
	if err != nil {
		return nil, err
	}
	e, err := build(g, o)
	if err != nil {
		return nil, err
	}
	eng := &Engine{e: e}
	runtime.AddCleanup(eng, func(e *engine) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.pool.Close()
	}, e)
	if !o.NoVerify {
		x2 := tensor.New(inputShape...)
		randomInput(x2, 1)
		want, err := forward(x2)
		if err != nil {
			eng.Close()
			return nil, err
		}
		got := eng.Run(x2)
		scale := math.Max(1, want.Value.MaxAbs())
		if d := tensor.MaxAbsDiff(got, want.Value); !(d <= 1e-3*scale) {
			eng.Close()
			return nil, fmt.Errorf("infer: the compiled engine differs from the model by %.3g (output scale %.3g): the model computes something the trace does not see", d, scale)
		}
	}
	return eng, nil
}

// Graph returns the engine's graph after the passes (for inspection; it
// must not be modified).
func (eng *Engine) Graph() *Graph { return eng.e.g }

// InputShape returns the input shape the engine was compiled for.
func (eng *Engine) InputShape() []int { return append([]int(nil), eng.e.inShape...) }

// Run computes the model's output for x, whose shape must be the compiled
// input shape (it panics otherwise, naming both shapes). The result is a
// view of a buffer that the engine owns: it is valid until the next call of
// Run, which overwrites it; Clone it to keep it. Run does not allocate.
func (eng *Engine) Run(x *tensor.Tensor) *tensor.Tensor {
	e := eng.e
	if !tensor.ShapeEqual(x.Shape(), e.inShape) {
		panic(fmt.Sprintf("infer: Run on an input of shape %v; the engine was compiled for %v", x.Shape(), e.inShape))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pool.Closed() {
		panic("infer: Run on a closed engine")
	}
	copy(e.in, x.Data())
	for _, s := range e.steps {
		s.run(e.pool)
	}
	// eng must stay reachable until the steps are done: its cleanup
	// closes the pool, and workers gone mid-run would leave the last
	// parallel loop waiting for them forever.
	runtime.KeepAlive(eng)
	return e.out
}

// Close stops the engine's worker goroutines. The engine must not be used
// afterwards. An engine that is not closed stops them when it is garbage
// collected.
func (eng *Engine) Close() {
	e := eng.e
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pool.Close()
}

// Threads returns the number of goroutines the engine uses.
func (eng *Engine) Threads() int { return eng.e.threads }

// MemoryFloats returns the number of float32 values the engine's planned
// activation buffers hold, and what they would hold without reuse.
func (eng *Engine) MemoryFloats() (planned, unplanned int) {
	e := eng.e
	for _, b := range e.bufs {
		planned += len(b)
	}
	for _, n := range e.g.Nodes {
		if !n.dead && n.Op != "reshape" {
			unplanned += numel(e.g.Values[n.Out].Shape)
		}
	}
	return planned, unplanned
}

// numel is the product of the dimensions.
func numel(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// build runs the passes on g, plans its memory and builds the steps.
func build(g *Graph, o Options) (*engine, error) {
	if err := dropIdentities(g); err != nil {
		return nil, err
	}
	if err := foldBatchNorm(g, !o.NoFuse); err != nil {
		return nil, err
	}
	if !o.NoFuse {
		pixelConvsToLinear(g)
	}
	fuseEpilogues(g, !o.NoFuse)

	t := o.Threads
	if t <= 0 {
		t = kernels.Threads()
	}
	e := &engine{g: g, inShape: append([]int(nil), g.Values[g.Input].Shape...), threads: t, wino: o.Winograd}
	if err := e.plan(); err != nil {
		return nil, err
	}
	for _, n := range g.Nodes {
		if n.dead || n.Op == "reshape" {
			continue
		}
		s, err := e.newStep(n)
		if err != nil {
			return nil, err
		}
		e.steps = append(e.steps, s)
	}
	e.col = make([]float32, e.colLen)
	e.tmp = make([]float32, e.tmpLen)
	e.winoV = make([]float32, e.winoVLen)
	e.winoM = make([]float32, e.winoMLen)
	for i := 0; i < t; i++ {
		e.ws = append(e.ws, kernels.NewGemmScratch(e.gemmN))
	}
	e.pool = kernels.NewPool(t)
	return e, nil
}

// plan gives every activation value its memory. A reshape's output shares
// its input's storage (the two are one "root"). Walking the nodes in order,
// each root gets the smallest free buffer that holds it (growing the
// largest free one if none does), and a root's buffer returns to the free
// list after the last node that reads it. The input and the output keep
// buffers of their own for the whole run.
func (e *engine) plan() error {
	g := e.g
	root := make([]int, len(g.Values))
	for i := range root {
		root[i] = i
	}
	var live []*Node
	for _, n := range g.Nodes {
		if n.dead {
			continue
		}
		if n.Op == "reshape" {
			if g.Values[n.In[0]].Const != nil {
				return fmt.Errorf("infer: reshape of a constant")
			}
			root[n.Out] = root[n.In[0]]
		}
		live = append(live, n)
	}
	const forever = math.MaxInt
	last := make([]int, len(g.Values))
	for i := range last {
		last[i] = -1
	}
	for i, n := range live {
		for _, in := range n.In {
			if in >= 0 && g.Values[in].Const == nil {
				last[root[in]] = max(last[root[in]], i)
			}
		}
		if n.Residual >= 0 {
			last[root[n.Residual]] = max(last[root[n.Residual]], i)
		}
	}
	last[root[g.Output]] = forever
	last[root[g.Input]] = forever

	bufOf := make([]int, len(g.Values)) // root value → buffer index
	for i := range bufOf {
		bufOf[i] = -1
	}
	var size []int // planned buffer sizes
	var free []int // free buffer indexes
	alloc := func(n int) int {
		best := -1
		for k, b := range free {
			if size[b] >= n && (best < 0 || size[b] < size[free[best]]) {
				best = k
			}
		}
		if best < 0 {
			for k, b := range free {
				if best < 0 || size[b] > size[free[best]] {
					best = k
				}
			}
		}
		if best < 0 {
			size = append(size, n)
			return len(size) - 1
		}
		b := free[best]
		free = append(free[:best], free[best+1:]...)
		size[b] = max(size[b], n)
		return b
	}
	bufOf[g.Input] = alloc(numel(g.Values[g.Input].Shape))
	for i, n := range live {
		if n.Op != "reshape" {
			bufOf[n.Out] = alloc(numel(g.Values[n.Out].Shape))
		}
		// Release the roots whose last reader is this node.
		for _, v := range append(append([]int(nil), n.In...), n.Residual, n.Out) {
			if v >= 0 && g.Values[v].Const == nil && last[root[v]] == i && bufOf[root[v]] >= 0 {
				free = append(free, bufOf[root[v]])
				last[root[v]] = -2 // released
			}
		}
		// An output nobody reads is free at once.
		if last[root[n.Out]] == -1 {
			free = append(free, bufOf[root[n.Out]])
			last[root[n.Out]] = -2
		}
	}
	e.bufs = make([][]float32, len(size))
	for b, s := range size {
		e.bufs[b] = make([]float32, s)
	}
	e.views = make([][]float32, len(g.Values))
	for v, val := range g.Values {
		if val.Const != nil {
			continue
		}
		if b := bufOf[root[v]]; b >= 0 {
			e.views[v] = e.bufs[b][:numel(val.Shape)]
		}
	}
	e.in = e.views[g.Input]
	e.out = tensor.FromSlice(e.views[g.Output], g.Values[g.Output].Shape...)
	return nil
}
