package infer

import (
	"runtime"
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
