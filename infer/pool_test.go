package infer

import (
	"runtime"
	"testing"
	"time"

	"convnet/models"
)

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
