package infer

import (
	"runtime"
	"sync/atomic"
)

// pool is a fixed set of worker goroutines that an engine keeps for its
// lifetime. parallel hands them ranges of a loop without allocating: the
// loop body is a func value built once when the engine is compiled.
//
// A batch-1 inference runs a few hundred parallel loops of tens to hundreds
// of microseconds each, so a hand-off must cost far less than that, and
// waking a parked goroutine through a channel takes tens of microseconds on
// a busy machine. So the workers spin on a generation counter for a while
// after each loop (poolSpin checks) before they park on their channel, and
// the caller spins the same way while it waits for them; either side parks
// only when the other keeps it waiting longer. Spinning yields to the Go
// scheduler every 64 checks.
type pool struct {
	t int // goroutines, the caller's among them

	gen    atomic.Uint64  // incremented when a loop (or the close) is published
	left   atomic.Int32   // workers that have not finished the current loop
	state  []atomic.Int32 // state[i] of worker i ≥ 1: spinning or parked
	wake   []chan struct{}
	caller atomic.Uint64 // 0, or the generation the caller has parked waiting for
	done   chan struct{}
	closed bool

	// The loop being run, set by parallel before it publishes gen.
	f      func(w, lo, hi int)
	n      int // iterations
	active int // goroutines taking part: min(t, n / grain)
}

// States of a waiting worker: a parked one must be sent a wake-up by
// whoever moves it back to spinning (with a compare-and-swap, so that
// exactly one side does). The caller's state is the generation it waits
// for, so that a worker finishing an earlier one cannot wake it.
const (
	spinning int32 = iota
	parked
)

// poolSpin is how many checks a waiting goroutine makes before it parks.
const poolSpin = 1 << 14

// newPool starts t − 1 workers (t ≥ 1).
func newPool(t int) *pool {
	p := &pool{t: max(t, 1), done: make(chan struct{}, 1)}
	p.state = make([]atomic.Int32, p.t)
	p.wake = make([]chan struct{}, p.t)
	for i := 1; i < p.t; i++ {
		p.wake[i] = make(chan struct{}, 1)
		go p.worker(i, p.gen.Load())
	}
	return p
}

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

// worker runs its share of each loop published after generation seen
// until the pool closes. (seen comes from newPool: a goroutine may start
// after the first loop has been published.)
func (p *pool) worker(i int, seen uint64) {
	st := &p.state[i]
	for {
		for !await(func() bool { return p.gen.Load() != seen }) {
			st.Store(parked)
			// A loop published before the Store may have found the
			// worker spinning and sent nothing: if so, unpark ourselves;
			// if the publisher got there first, its wake-up is on the way.
			if p.gen.Load() == seen || !st.CompareAndSwap(parked, spinning) {
				<-p.wake[i]
			}
			// The wake-up may be a late one: a publisher held up between
			// its increment and its compare-and-swap, while this worker
			// ran that loop and parked again, wakes it for the loop it has
			// already done. Only a new generation ends the wait (running
			// a loop twice would also count it out twice in left).
		}
		seen = p.gen.Load()
		if p.closed {
			return
		}
		if i < p.active {
			lo, hi := p.chunk(i)
			p.f(i, lo, hi)
		}
		// Every worker reports, taking part or not, so that the caller
		// cannot rewrite the loop's fields while one still reads them.
		// The caller, if it has parked for this generation (not a later
		// one: the decrement and the swap are not one step), needs a
		// wake-up.
		if p.left.Add(-1) == 0 && p.caller.CompareAndSwap(seen, 0) {
			p.done <- struct{}{}
		}
	}
}

// publish starts generation gen+1 and wakes the parked workers.
func (p *pool) publish() {
	p.gen.Add(1)
	for i := 1; i < p.t; i++ {
		if p.state[i].CompareAndSwap(parked, spinning) {
			p.wake[i] <- struct{}{}
		}
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
	p.left.Store(int32(p.t - 1))
	p.publish()
	lo, hi := p.chunk(0)
	f(0, lo, hi)
	if !await(func() bool { return p.left.Load() == 0 }) {
		g := p.gen.Load()
		p.caller.Store(g)
		// As in worker: if the last worker finished before the Store it
		// sent nothing; otherwise its wake-up is on the way.
		if p.left.Load() != 0 || !p.caller.CompareAndSwap(g, 0) {
			<-p.done
		}
	}
	p.f = nil
}

// close stops the workers.
func (p *pool) close() {
	if p.closed {
		return
	}
	p.closed = true
	p.publish()
}
