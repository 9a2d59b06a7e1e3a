// Package kernels holds convnet's hot loops: matrix multiply, im2col/col2im
// and the worker pool that spreads them over threads. Everything above this
// package (ops, nn, models) calls these functions and never loops over
// pixels itself, so faster kernels can be swapped in here alone.
//
// Every kernel is deterministic: its result does not depend on the number of
// threads, because work is split only over disjoint outputs and every
// reduction runs in a fixed order.
package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

var threads atomic.Int32

func init() { threads.Store(int32(runtime.GOMAXPROCS(0))) }

// SetThreads sets the number of worker goroutines kernels may use (n < 1
// means GOMAXPROCS).
func SetThreads(n int) {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	threads.Store(int32(n))
}

// Threads returns the number of worker goroutines kernels may use.
func Threads() int { return int(threads.Load()) }

// ParallelFor calls f on contiguous sub-ranges [lo, hi) that together cover
// [0, n), using up to Threads() goroutines, the caller's among them. Ranges
// are at least grain long (a single range when n < 2·grain) and their
// lengths differ by at most one. f must only write outputs owned by its
// range; then the result is independent of the number of threads.
func ParallelFor(n, grain int, f func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	t := Threads()
	chunks := n / grain
	if t > chunks {
		t = chunks
	}
	if t <= 1 {
		f(0, n)
		return
	}
	// Split into t ranges whose lengths differ by at most one; the calling
	// goroutine runs the first range itself.
	var wg sync.WaitGroup
	per, extra := n/t, n%t
	lo0, hi0 := 0, per
	if extra > 0 {
		hi0++
	}
	for i, lo := 1, hi0; i < t; i++ {
		hi := lo + per
		if i < extra {
			hi++
		}
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			f(lo, hi)
		}(lo, hi)
		lo = hi
	}
	f(lo0, hi0)
	wg.Wait()
}
