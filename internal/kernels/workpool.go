package kernels

import (
	"runtime"
	"sync/atomic"
)

// Pool is a fixed set of worker goroutines that hand out the ranges of
// parallel loops. ParallelFor runs on one shared Pool; the inference engine
// keeps one of its own for its lifetime, whose loop bodies are func values
// built once at compile time, so that a run allocates nothing.
//
// A batch-1 inference runs a few hundred parallel loops of tens to hundreds
// of microseconds each, a training step thousands, so a hand-off must cost
// far less than that. Starting a goroutine per range does not: the idle
// thread that would run it has to be woken, which on this 2-vCPU VM took
// 10–60 µs a loop (a loop of two 50 µs halves took 90–110 µs instead of
// 50). Waking a parked goroutine through a channel costs about as much. So
// the workers spin on a generation counter for a while after each loop
// (poolSpin checks, about 0.7 ms here) before they park on their
// channel, and the caller spins the same way while it waits for them;
// either side parks only when the other keeps it waiting longer. Spinning
// yields to the Go scheduler every 64 checks. A loop of fewer ranges than
// the pool has goroutines wakes only the workers it needs: each worker
// watches its own job slot.
type Pool struct {
	t int // goroutines, the caller's among them

	gen    atomic.Uint64  // incremented when a loop (or the close) is published
	job    []jobSlot      // job[i]: the generation worker i ≥ 1 is to run last
	left   atomic.Int32   // workers that have not finished the current loop
	state  []atomic.Int32 // state[i] of worker i ≥ 1: spinning or parked
	wake   []chan struct{}
	caller atomic.Uint64 // 0, or the generation the caller has parked waiting for
	done   chan struct{}
	closed bool

	// The loop being run, set by Parallel before it publishes gen: its
	// body (f, or f2 for ParallelFor's bodies, which take no goroutine
	// index), its iterations and the goroutines taking part,
	// min(t, n / grain).
	f      func(w, lo, hi int)
	f2     func(lo, hi int)
	n      int
	active int
}

// jobSlot is a worker's job slot, alone in its cache line: the caller
// writes each participant's slot and the worker spins reading it.
type jobSlot struct {
	atomic.Uint64
	_ [56]byte
}

// States of a waiting worker: a parked one must be sent a wake-up by
// whoever moves it back to spinning (with a compare-and-swap, so that
// exactly one side does). The caller's state is the generation it waits
// for, so that a worker finishing an earlier one cannot wake it.
const (
	spinning int32 = iota
	parked
)

// poolSpin is how many checks a waiting goroutine makes before it parks:
// about 0.7 ms on this 2-vCPU VM, yielding every 64. With 2¹⁴ checks (40–230
// µs) the workers of a MobileNet-v2 engine parked about once per batch-1
// run and its caller too; 2¹⁸ took the run 4.26 → 4.04 ms (2 threads,
// medians of 8 interleaved pairs, winning all 8), LeNet-5's training step
// 1.79–1.88 → 1.70–1.75 ms and its MNIST epoch 1.99–2.11 → 1.85–1.90 s.
const poolSpin = 1 << 18

// NewPool starts a pool of t goroutines, the caller of Parallel among
// them: t − 1 workers (t < 1 counts as 1). Close stops them.
func NewPool(t int) *Pool {
	p := &Pool{t: max(t, 1), done: make(chan struct{}, 1)}
	p.state = make([]atomic.Int32, p.t)
	p.job = make([]jobSlot, p.t)
	p.wake = make([]chan struct{}, p.t)
	for i := 1; i < p.t; i++ {
		p.wake[i] = make(chan struct{}, 1)
		go p.worker(i, 0)
	}
	return p
}

// Threads returns the pool's goroutine count, the caller's included.
func (p *Pool) Threads() int { return p.t }

// Closed reports whether Close has been called.
func (p *Pool) Closed() bool { return p.closed }

// await spins until cond holds or poolSpin checks have failed, and
// reports whether it holds.
func await(cond func() bool) bool {
	for s := 0; s < poolSpin; s++ {
		if cond() {
			return true
		}
		if s&63 == 63 {
			runtime.Gosched()
		}
	}
	return cond()
}

// worker runs its share of each loop published to its job slot after
// generation seen until the pool closes.
func (p *Pool) worker(i int, seen uint64) {
	st, job := &p.state[i], &p.job[i]
	for {
		for !await(func() bool { return job.Load() != seen }) {
			st.Store(parked)
			// A loop published before the Store may have found the
			// worker spinning and sent nothing: if so, unpark ourselves;
			// if the publisher got there first, its wake-up is on the way.
			if job.Load() == seen || !st.CompareAndSwap(parked, spinning) {
				<-p.wake[i]
			}
			// The wake-up may be a late one: a publisher held up between
			// its store and its compare-and-swap, while this worker ran
			// that loop and parked again, wakes it for the loop it has
			// already done. Only a new job ends the wait (running a loop
			// twice would also count it out twice in left).
		}
		seen = job.Load()
		if p.closed {
			return
		}
		if !p.runBody(i, seen) {
			return
		}
		p.report(seen)
	}
}

// runBody runs worker i's range of loop gen and reports whether it
// returned. A body that ends its goroutine instead (runtime.Goexit, as
// t.FailNow does) still counts its range done, and a new worker takes
// this one's place, so that neither this loop's caller nor later loops
// wait for it forever.
func (p *Pool) runBody(i int, gen uint64) (returned bool) {
	defer func() {
		if !returned {
			go p.worker(i, gen)
			p.report(gen)
		}
	}()
	p.body(i)
	return true
}

// report counts a worker out of loop gen. The caller, if it has parked
// for this generation (not a later one: the decrement and the swap are
// not one step), needs a wake-up.
func (p *Pool) report(gen uint64) {
	if p.left.Add(-1) == 0 && p.caller.CompareAndSwap(gen, 0) {
		p.done <- struct{}{}
	}
}

// body runs goroutine i's range of the current loop.
func (p *Pool) body(i int) {
	lo, hi := p.chunk(i)
	if p.f2 != nil {
		p.f2(lo, hi)
		return
	}
	p.f(i, lo, hi)
}

// publish starts a new generation for workers 1 … n−1 and wakes those of
// them that have parked.
func (p *Pool) publish(n int) {
	g := p.gen.Add(1)
	for i := 1; i < n; i++ {
		p.job[i].Store(g)
		if p.state[i].CompareAndSwap(parked, spinning) {
			p.wake[i] <- struct{}{}
		}
	}
}

// chunk returns the range of iterations of goroutine i in the current
// loop (splitRange of p.n into p.active ranges).
func (p *Pool) chunk(i int) (lo, hi int) { return splitRange(p.n, p.active, i) }

// splitRange returns range i of [0, n) cut into parts contiguous ranges
// whose lengths differ by at most one, the first n mod parts one longer.
func splitRange(n, parts, i int) (lo, hi int) {
	per, extra := n/parts, n%parts
	lo = i*per + min(i, extra)
	hi = lo + per
	if i < extra {
		hi++
	}
	return lo, hi
}

// Parallel calls f(w, lo, hi) on contiguous ranges covering [0, n), at
// most one per goroutine, w being the goroutine's index in [0, t) (for
// per-goroutine scratch), and returns when all have finished; the calling
// goroutine runs w = 0. Ranges hold at least grain iterations where n
// allows, and their lengths differ by at most one. f must write only
// outputs owned by its range. One goroutine at a time may call Parallel,
// and not from inside f; not after Close.
func (p *Pool) Parallel(n, grain int, f func(w, lo, hi int)) {
	p.run(n, grain, f, nil)
}

// run is Parallel with the body f, or f2 when f is nil.
func (p *Pool) run(n, grain int, f func(w, lo, hi int), f2 func(lo, hi int)) {
	if n <= 0 {
		return
	}
	active := min(p.t, max(1, n/max(grain, 1)))
	if active == 1 {
		if f2 != nil {
			f2(0, n)
		} else {
			f(0, 0, n)
		}
		return
	}
	p.f, p.f2, p.n, p.active = f, f2, n, active
	p.left.Store(int32(active - 1))
	p.publish(active)
	// Wait for the workers even when the caller's range panics: they
	// still read the loop's fields.
	defer p.wait()
	p.body(0)
}

// wait returns when every worker has finished the current loop.
func (p *Pool) wait() {
	if !await(func() bool { return p.left.Load() == 0 }) {
		g := p.gen.Load()
		p.caller.Store(g)
		// As in worker: if the last worker finished before the Store it
		// sent nothing; otherwise its wake-up is on the way.
		if p.left.Load() != 0 || !p.caller.CompareAndSwap(g, 0) {
			<-p.done
		}
	}
	p.f, p.f2 = nil, nil
}

// Close stops the workers. Calling it again does nothing.
func (p *Pool) Close() {
	if p.closed {
		return
	}
	p.closed = true
	p.publish(p.t)
}
