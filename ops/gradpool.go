package ops

import "sync"

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
