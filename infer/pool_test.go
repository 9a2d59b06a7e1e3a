package infer

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"convnet/models"
)

// TestPoolHandOff runs thousands of loops through pools of 2 and 3
// goroutines with pauses long enough for the workers (and the caller) to
// park between some of them and short enough for others to be caught
// spinning, and checks that every iteration ran exactly once per loop and
// that closing stops the workers. (Run with -race too.)
func TestPoolHandOff(t *testing.T) {
	for _, threads := range []int{2, 3} {
		p := newPool(threads)
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
			p.parallel(n, 1, f)
			switch {
			case l%500 == 499:
				time.Sleep(2 * time.Millisecond) // workers park
			case l%50 == 49:
				time.Sleep(50 * time.Microsecond)
			}
		}
		p.close()
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

// TestRunAfterClosePanics checks that a closed engine refuses to run (its
// workers are gone: waiting for them would hang) at any thread count.
func TestRunAfterClosePanics(t *testing.T) {
	for _, threads := range []int{1, 3} {
		m := newModel(t, "lenet5", zoo[0].opts)
		shape := []int{1, 1, 28, 28}
		eng, err := Compile(m, shape, &Options{Threads: threads, NoVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		eng.Close()
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("threads=%d: Run after Close did not panic", threads)
				}
			}()
			eng.Run(input(shape, 1))
		}()
	}
}

// TestRunWithoutLaterUse runs engines whose last use is the Run call
// itself while collections run back to back: the cleanup that closes an
// unreachable engine's workers must not fire in the middle of its Run
// (which would leave Run waiting for them forever).
func TestRunWithoutLaterUse(t *testing.T) {
	m := newModel(t, "resnet18", models.Options{})
	shape := []int{1, 3, 64, 64}
	x := input(shape, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	for i := 0; i < 10; i++ {
		eng, err := Compile(m, shape, &Options{Threads: 3, NoVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func(eng *Engine) {
			eng.Run(x) // the last use of eng
			close(done)
		}(eng)
		eng = nil
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("round %d: Run has not returned after 20 s", i)
		}
	}
}

// TestPoolLateWakeUp replays a publisher held up between its increment of
// the generation and its wake-up of a worker: the worker runs the loop on
// seeing the increment, parks again, and only then receives the wake-up.
// It must not run the loop a second time (nor count it out twice), and the
// pool must go on working.
func TestPoolLateWakeUp(t *testing.T) {
	p := newPool(2)
	defer p.close()
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
	p.gen.Add(1)
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
		p.parallel(2, 1, f)
	}
	if n0, n1 := runs[0].Load(), runs[1].Load(); n0 != 100 || n1 != 101 {
		t.Fatalf("runs %d and %d, want 100 and 101", n0, n1)
	}
}
