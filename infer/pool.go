package infer

import "sync"

// pool is a fixed set of worker goroutines that an engine keeps for its
// lifetime. parallel hands them ranges of a loop without allocating: the
// loop body is a func value built once when the engine is compiled, and the
// workers are woken through channels.
type pool struct {
	t    int             // goroutines, the caller's among them
	wake []chan struct{} // one per worker 1 … t−1
	wg   sync.WaitGroup

	// The loop being run, set by parallel before it wakes the workers.
	f      func(w, lo, hi int)
	n      int // iterations
	active int // goroutines taking part: min(t, n)
}

// newPool starts t − 1 workers (t ≥ 1).
func newPool(t int) *pool {
	p := &pool{t: max(t, 1)}
	for i := 1; i < p.t; i++ {
		c := make(chan struct{})
		p.wake = append(p.wake, c)
		go p.worker(i, c)
	}
	return p
}

// worker runs its share of each loop until c is closed.
func (p *pool) worker(i int, c chan struct{}) {
	for range c {
		lo, hi := p.chunk(i)
		p.f(i, lo, hi)
		p.wg.Done()
	}
}

// chunk returns the range of iterations of goroutine i: p.n split into
// p.active contiguous ranges whose lengths differ by at most one.
func (p *pool) chunk(i int) (lo, hi int) {
	per, extra := p.n/p.active, p.n%p.active
	lo = i*per + min(i, extra)
	hi = lo + per
	if i < extra {
		hi++
	}
	return lo, hi
}

// parallel calls f(w, lo, hi) on contiguous ranges covering [0, n), at
// most one per goroutine, w being the goroutine's index in [0, t) (for
// per-goroutine scratch), and returns when all have finished. Ranges hold
// at least grain iterations where n allows. f must write only outputs owned
// by its range.
func (p *pool) parallel(n, grain int, f func(w, lo, hi int)) {
	if n <= 0 {
		return
	}
	active := min(p.t, max(1, n/max(grain, 1)))
	if active == 1 {
		f(0, 0, n)
		return
	}
	p.f, p.n, p.active = f, n, active
	p.wg.Add(active - 1)
	for i := 1; i < active; i++ {
		p.wake[i-1] <- struct{}{}
	}
	lo, hi := p.chunk(0)
	f(0, lo, hi)
	p.wg.Wait()
	p.f = nil
}

// close stops the workers.
func (p *pool) close() {
	for _, c := range p.wake {
		close(c)
	}
	p.wake = nil
}
