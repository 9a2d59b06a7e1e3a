package ops

import (
	"math"
	"sync"

	"convnet/internal/kernels"

	"convnet/tensor"
)

// Gradient buffers of intermediate results live for one backward pass:
// BackwardWith drops an intermediate's Grad as soon as its backward closure
// has run, and nothing else holds it (gradBuf is the only place a Grad is
// made, and ops never keep another Var's Grad). Those buffers are recycled
// here instead of being left to the garbage collector, so a training loop
// that runs the same shapes step after step reuses memory that is already
// mapped and in cache, instead of page-faulting fresh memory in every step.
// The pool also serves the intermediate values of the forward pass
// (newValue) and the ops' scratch of either pass: im2col columns, weight
// packs, weight-gradient partials, max-pool indices. (The budget figures
// below were measured before the scratch joined; it is small beside the
// values and gradients.)

// gradPoolMin is the smallest buffer (in elements) worth recycling; smaller
// ones are cheap to allocate.
const gradPoolMin = 1 << 12

// The pool's byte budget follows use: it is gradPoolBudgetFactor times the
// most bytes that were ever taken from it and not yet given back at once
// (the high-water mark of one backward pass's live buffers, counting the
// convolutions' im2col caches), at least gradPoolMinBytes and at most
// gradPoolMaxBytes.
//
// A training loop re-requests, step after step, as many buffers of each
// length as were live at once in the previous step; the pool must keep all
// of them, and their sum exceeds the high-water mark because layers differ
// in length (a buffer freed by one layer is no use to the next). Measured
// on batch-16 MobileNet-v2 the pool then needs 393 MB against a high-water
// mark of 147 MB (2.7×), ResNet-18 234 MB against 98 MB (2.4×), batch-128
// ResNet-20 65 MB against 37 MB (1.8×); a factor of 4 covers these, and
// with it MobileNet-v2 no longer allocates (and page-faults, or clears) a
// quarter of its gradient buffers afresh every step, as it did under a
// fixed 256 MiB (peak RSS fell too, the garbage collector having fewer
// dropped buffers to catch up with). The budget stays proportional to one
// step's gradient working set, itself a fraction of the activations that
// the forward pass holds (147 MB of MobileNet-v2's 1.8 GB).
//
// A buffer taken and never given back (a convolution's cache whose
// backward pass never ran) keeps counting as live, so it can raise the
// budget, up to gradPoolMaxBytes.
const (
	gradPoolBudgetFactor = 4
	gradPoolMinBytes     = 256 << 20
	gradPoolMaxBytes     = 4 << 30
)

// gradPoolPerSize bounds the buffers kept per length, so that a run whose
// shapes change does not fill the pool with one length.
const gradPoolPerSize = 64

// bufPool is a free list of float32 buffers keyed by length.
type bufPool struct {
	mu        sync.Mutex
	free      map[int][][]float32
	bytes     int // held in free
	live      int // taken by getDirty and not yet given back by put
	highWater int // the most live has been
}

var gradPool = bufPool{free: map[int][][]float32{}}

// get returns a zeroed buffer of length n, recycled when one is free.
func (p *bufPool) get(n int) []float32 {
	b, recycled := p.getDirty(n)
	if recycled {
		clearParallel(b)
	}
	return b
}

// clearParallel zeroes b. Clearing is bound by memory bandwidth, which one
// core does not saturate: big buffers are split between the threads.
func clearParallel(b []float32) {
	kernels.ParallelFor(len(b), gradPoolClearGrain, func(lo, hi int) { clear(b[lo:hi]) })
}

// gradPoolClearGrain is the smallest part of a buffer (in elements) that
// get clears on a goroutine of its own. (At 256 K, get's clears that ran
// as one range took 1 ms of a batch-128 ResNet-20 step with the other
// core idle.)
const gradPoolClearGrain = 1 << 16

// getDirty returns a buffer of length n whose contents are undefined (for a
// caller that overwrites all of it), and whether it was recycled.
func (p *bufPool) getDirty(n int) ([]float32, bool) {
	if n < gradPoolMin {
		return make([]float32, n), false
	}
	p.mu.Lock()
	p.live += 4 * n
	p.highWater = max(p.highWater, p.live)
	if l := p.free[n]; len(l) > 0 {
		b := l[len(l)-1]
		p.free[n] = l[:len(l)-1]
		p.bytes -= 4 * n
		p.mu.Unlock()
		if poisonRecycled {
			for i := range b {
				b[i] = float32(math.NaN())
			}
		}
		return b, true
	}
	p.mu.Unlock()
	return make([]float32, n), false
}

// poisonRecycled makes getDirty fill every recycled buffer with NaN, so
// that tests catch an op that reads a part of a buffer it did not write.
var poisonRecycled = false

// forget tells the pool that a buffer of length n that was taken from it
// will not come back (it is left to the garbage collector).
func (p *bufPool) forget(n int) {
	if n < gradPoolMin {
		return
	}
	p.mu.Lock()
	p.live = max(p.live-4*n, 0)
	p.mu.Unlock()
}

// budget returns the most bytes the pool may hold now (see
// gradPoolBudgetFactor); p.mu must be held.
func (p *bufPool) budget() int {
	return min(max(gradPoolBudgetFactor*p.highWater, gradPoolMinBytes), gradPoolMaxBytes)
}

// put gives b back to the pool; the caller must hold no other reference to
// it (or to any view of it).
func (p *bufPool) put(b []float32) {
	n := len(b)
	if n < gradPoolMin || cap(b) != n {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live = max(p.live-4*n, 0)
	if p.bytes+4*n > p.budget() || len(p.free[n]) >= gradPoolPerSize {
		return
	}
	p.free[n] = append(p.free[n], b)
	p.bytes += 4 * n
}

// gradDst returns v's gradient buffer for a backward closure that writes
// every element of it, and whether the closure must set the buffer rather
// than accumulate into it. When v has no gradient yet and is not a leaf,
// the buffer comes from gradPool without being zeroed (set is true) and the
// closure must write 0 + its contribution to every element, what
// accumulating into a zeroed buffer would give; otherwise it is gradBuf's
// buffer and set is false.
func (v *Var) gradDst() (t *tensor.Tensor, set bool) {
	if v.Grad != nil || v.leaf {
		return v.gradBuf(), false
	}
	b, _ := gradPool.getDirty(v.Value.Len())
	v.Grad = tensor.FromSlice(b, v.Value.Shape()...)
	return v.Grad, true
}

// Values of intermediate results. An op whose output will be part of a
// recorded graph (recording is on and one of its inputs requires a
// gradient) takes the output's buffer from gradPool (newValue) and marks
// the output Var as its sole owner (owns). BackwardFree gives such buffers
// back to the pool as soon as the last backward closure that reads them has
// run, so a training loop's forward pass reuses the memory of the previous
// step instead of having the runtime clear (or the kernel fault in) hundreds
// of megabytes of fresh memory per step, on one thread. Backward, which
// leaves every value readable, only tells the pool that they will not come
// back (forget).

// records reports whether an op with these inputs records its output in
// the graph: recording is on and one of them requires a gradient.
func records(inputs []*Var) bool {
	if !GradEnabled() {
		return false
	}
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			return true
		}
	}
	return false
}

// newValue returns the value tensor of an op's output, of the given shape,
// and whether its buffer came from gradPool (pass that to owns). Its
// contents are undefined: the op must write every element.
func newValue(shape []int, inputs ...*Var) (*tensor.Tensor, bool) {
	if !records(inputs) {
		return tensor.New(shape...), false
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	b, _ := gradPool.getDirty(n)
	return tensor.FromSlice(b, shape...), n >= gradPoolMin
}

// owns records whether v's value buffer came from gradPool through
// newValue (v is its only owner), and returns v.
func (v *Var) owns(pooled bool) *Var {
	v.pooled = pooled && v.requiresGrad
	return v
}
