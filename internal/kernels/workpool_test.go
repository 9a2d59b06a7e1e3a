package kernels

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestPoolHandOff runs thousands of loops through pools of 2 and 3
// goroutines with pauses long enough for the workers (and the caller) to
// park between some of them and short enough for others to be caught
// spinning, and checks that every iteration ran exactly once per loop and
// that closing stops the workers. (Run with -race too.)
func TestPoolHandOff(t *testing.T) {
	for _, threads := range []int{2, 3} {
		p := NewPool(threads)
		counts := make([]int, 7)
		f := func(w, lo, hi int) {
			for i := lo; i < hi; i++ {
				counts[i]++
			}
			if lo == 0 && hi > 1 { // keep the caller's range slow now and then
				time.Sleep(0)
			}
		}
		const loops = 3000
		for l := 0; l < loops; l++ {
			n := 1 + l%7
			p.Parallel(n, 1, f)
			switch {
			case l%500 == 499:
				time.Sleep(20 * time.Millisecond) // workers park
			case l%50 == 49:
				time.Sleep(50 * time.Microsecond)
			}
		}
		p.Close()
		for i, c := range counts {
			// Iteration i runs in every loop with n > i.
			want := 0
			for l := 0; l < loops; l++ {
				if 1+l%7 > i {
					want++
				}
			}
			if c != want {
				t.Fatalf("%d threads: iteration %d ran %d times, want %d", threads, i, c, want)
			}
		}
	}
}

// TestPoolLateWakeUp replays a publisher held up between its increment of
// the generation and its wake-up of a worker: the worker runs the loop on
// seeing the increment, parks again, and only then receives the wake-up.
// It must not run the loop a second time (nor count it out twice), and the
// pool must go on working.
func TestPoolLateWakeUp(t *testing.T) {
	p := NewPool(2)
	defer p.Close()
	var runs [2]atomic.Int32
	f := func(w, lo, hi int) { runs[w].Add(1) }
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	// The first half of publish: the worker, spinning, takes the loop.
	p.f, p.n, p.active = f, 2, 2
	p.left.Store(1)
	p.job[1].Store(p.gen.Add(1))
	waitFor("the worker to finish the loop", func() bool { return p.left.Load() == 0 })
	waitFor("the worker to park", func() bool { return p.state[1].Load() == parked })
	// The second half, late.
	if p.state[1].CompareAndSwap(parked, spinning) {
		p.wake[1] <- struct{}{}
	}
	time.Sleep(20 * time.Millisecond) // time for a wrong second run
	if n, l := runs[1].Load(), p.left.Load(); n != 1 || l != 0 {
		t.Fatalf("after a late wake-up the worker has run the loop %d times (want 1), left = %d (want 0)", n, l)
	}
	for range 100 {
		p.Parallel(2, 1, f)
	}
	if n0, n1 := runs[0].Load(), runs[1].Load(); n0 != 100 || n1 != 101 {
		t.Fatalf("runs %d and %d, want 100 and 101", n0, n1)
	}
}

// TestParallelFor checks that every index of a loop runs exactly once, in
// ranges of at least grain iterations (where n allows) whose lengths
// differ by at most one, at 1 to 3 threads; with loops nested in the
// ranges of others and loops started from several goroutines at once
// (which find the shared pool taken and start goroutines instead); and
// that the loops on the calling goroutine run on the shared pool.
func TestParallelFor(t *testing.T) {
	for _, th := range []int{1, 2, 3} {
		withThreads(t, th)
		for _, n := range []int{1, 2, 3, 7, 64, 1000} {
			for _, grain := range []int{0, 1, 5, 300} {
				var mu sync.Mutex
				var lens []int
				seen := make([]int32, n)
				ParallelFor(n, grain, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						atomic.AddInt32(&seen[i], 1)
					}
					mu.Lock()
					lens = append(lens, hi-lo)
					mu.Unlock()
				})
				for i, c := range seen {
					if c != 1 {
						t.Fatalf("threads %d n %d grain %d: index %d ran %d times", th, n, grain, i, c)
					}
				}
				want := min(th, max(1, n/max(grain, 1)))
				if len(lens) != want || slices.Max(lens)-slices.Min(lens) > 1 {
					t.Fatalf("threads %d n %d grain %d: range lengths %v, want %d ranges differing by at most one", th, n, grain, lens, want)
				}
			}
		}
		if th > 1 && (shared.pool == nil || shared.pool.Threads() != th) {
			t.Fatalf("threads %d: ParallelFor did not run on a shared pool of %d", th, th)
		}

		// Nested and concurrent loops.
		const outer, inner = 6, 50
		var counts [outer * inner]atomic.Int32
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 20 {
					ParallelFor(outer, 1, func(lo, hi int) {
						for o := lo; o < hi; o++ {
							ParallelFor(inner, 1, func(lo, hi int) {
								for i := lo; i < hi; i++ {
									counts[o*inner+i].Add(1)
								}
							})
						}
					})
				}
			}()
		}
		wg.Wait()
		for i := range counts {
			if c := counts[i].Load(); c != 60 {
				t.Fatalf("threads %d: nested index %d ran %d times, want 60", th, i, c)
			}
		}
	}
}

// TestParallelForPanic checks that a panic in the caller's range reaches
// the caller after the workers have finished theirs, and that the shared
// pool is free again afterwards.
func TestParallelForPanic(t *testing.T) {
	withThreads(t, 2)
	var other atomic.Int32
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the range's panic", r)
			}
		}()
		ParallelFor(2, 1, func(lo, hi int) {
			if lo == 0 {
				panic("boom")
			}
			time.Sleep(20 * time.Millisecond)
			other.Add(1)
		})
	}()
	if other.Load() != 1 {
		t.Fatalf("the panic returned before the worker's range finished")
	}
	if shared.busy.Load() {
		t.Fatalf("the shared pool is still marked taken after the panic")
	}
	var n atomic.Int32
	ParallelFor(2, 1, func(lo, hi int) { n.Add(int32(hi - lo)) })
	if n.Load() != 2 {
		t.Fatalf("after the panic a loop of 2 ran %d iterations", n.Load())
	}
}

// TestPoolWakesOnlyParticipants checks that a loop of fewer ranges than the
// pool has goroutines leaves the other workers parked: only the workers
// that take part are woken and waited for.
func TestPoolWakesOnlyParticipants(t *testing.T) {
	p := NewPool(4)
	defer p.Close()
	allParked := func() bool {
		for i := 1; i < 4; i++ {
			if p.state[i].Load() != parked {
				return false
			}
		}
		return true
	}
	var ran [4]atomic.Int32
	f := func(w, lo, hi int) { ran[w].Add(1) }
	p.Parallel(4, 1, f) // every worker runs once, then parks
	for deadline := time.Now().Add(10 * time.Second); !allParked(); time.Sleep(100 * time.Microsecond) {
		if time.Now().After(deadline) {
			t.Fatal("the workers did not park")
		}
	}
	p.Parallel(2, 1, f)
	if s2, s3 := p.state[2].Load(), p.state[3].Load(); s2 != parked || s3 != parked {
		t.Fatalf("a loop of 2 ranges woke workers 2 and 3 (states %d, %d)", s2, s3)
	}
	if got := [4]int32{ran[0].Load(), ran[1].Load(), ran[2].Load(), ran[3].Load()}; got != [4]int32{2, 2, 1, 1} {
		t.Fatalf("ranges run per goroutine %v, want [2 2 1 1]", got)
	}
	p.Parallel(4, 1, f) // the parked ones still answer
	if got := [4]int32{ran[0].Load(), ran[1].Load(), ran[2].Load(), ran[3].Load()}; got != [4]int32{3, 3, 2, 2} {
		t.Fatalf("ranges run per goroutine %v, want [3 3 2 2]", got)
	}
}

// TestParallelForGoexit checks that a range that ends its goroutine with
// runtime.Goexit on a worker (as a misplaced t.FailNow does) neither hangs
// the loop nor breaks the shared pool for later loops.
func TestParallelForGoexit(t *testing.T) {
	withThreads(t, 2)
	ParallelFor(2, 1, func(lo, hi int) {}) // the shared pool exists
	pool := shared.pool
	for round := range 3 {
		done := make(chan struct{})
		go func() {
			defer close(done)
			ParallelFor(2, 1, func(lo, hi int) {
				if lo != 0 {
					runtime.Goexit()
				}
			})
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: ParallelFor has not returned after a worker's range called Goexit", round)
		}
	}
	var n atomic.Int32
	for range 100 {
		ParallelFor(2, 1, func(lo, hi int) { n.Add(int32(hi - lo)) })
	}
	if n.Load() != 200 || shared.pool != pool || shared.busy.Load() {
		t.Fatalf("after the Goexits: %d of 200 iterations, same pool %v, busy %v", n.Load(), shared.pool == pool, shared.busy.Load())
	}
}
