package ops

import (
	"sync"

	"convnet/tensor"
)

// Gradient buffers of intermediate results live for one backward pass:
// BackwardWith drops an intermediate's Grad as soon as its backward closure
// has run, and nothing else holds it (gradBuf is the only place a Grad is
// made, and ops never keep another Var's Grad). Those buffers are recycled
// here instead of being left to the garbage collector, so a training loop
// that runs the same shapes step after step reuses memory that is already
// mapped and in cache, instead of page-faulting fresh memory in every step.

// gradPoolMin is the smallest buffer (in elements) worth recycling; smaller
// ones are cheap to allocate.
const gradPoolMin = 1 << 12

// gradPoolMaxBytes bounds the memory the pool keeps.
const gradPoolMaxBytes = 256 << 20

// gradPoolPerSize bounds the buffers kept per length, so that a run whose
// shapes change does not fill the pool with one length.
const gradPoolPerSize = 16

// bufPool is a free list of float32 buffers keyed by length.
type bufPool struct {
	mu    sync.Mutex
	free  map[int][][]float32
	bytes int
}

var gradPool = bufPool{free: map[int][][]float32{}}

// get returns a zeroed buffer of length n, recycled when one is free.
func (p *bufPool) get(n int) []float32 {
	b, recycled := p.getDirty(n)
	if recycled {
		clear(b)
	}
	return b
}

// getDirty returns a buffer of length n whose contents are undefined (for a
// caller that overwrites all of it), and whether it was recycled.
func (p *bufPool) getDirty(n int) ([]float32, bool) {
	if n >= gradPoolMin {
		p.mu.Lock()
		if l := p.free[n]; len(l) > 0 {
			b := l[len(l)-1]
			p.free[n] = l[:len(l)-1]
			p.bytes -= 4 * n
			p.mu.Unlock()
			return b, true
		}
		p.mu.Unlock()
	}
	return make([]float32, n), false
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
	if p.bytes+4*n > gradPoolMaxBytes || len(p.free[n]) >= gradPoolPerSize {
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
