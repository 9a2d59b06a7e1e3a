// Package kernels holds convnet's hot loops and the worker pool that spreads
// them over threads. Everything above this package (ops, nn, models, infer)
// calls these functions and never loops over pixels itself, so faster
// kernels can be swapped in here alone.
//
// Every kernel is deterministic: its result does not depend on the number of
// threads, because work is split only over disjoint outputs and every
// reduction runs in a fixed order. Every assembly kernel (files *_amd64.s,
// chosen at start-up with golang.org/x/sys/cpu) has a pure-Go reference
// that the `noasm` build tag forces and that its tests compare against.
//
// Map of the package:
//
//   - SGEMM (gemm.go, pack.go, kernel*.go): BLIS-style packing and cache
//     blocking around register-tile micro-kernels, 12×32 and 8×32 for
//     AVX-512 (gemmKernelFor picks the one that pads the rows less), 6×16
//     for AVX2+FMA, 2×4 in Go. Panels are packed with AVX-512 block
//     transposes (transpose_amd64.s). SgemmNT (dot.go), C += A·Bᵀ for
//     weight gradients, uses dot-product kernels below 24 rows of A and the
//     packed SGEMM above.
//   - Pre-packed products for the inference engine (prepack.go,
//     epilogue*.go): weights packed once, and bias, residual and
//     ReLU/ReLU6 applied in registers before a tile is stored.
//   - Convolution building blocks: Im2col/Col2im (im2col*.go, masked
//     AVX-512 tap kernels for column strides 1 and 2), the TabLayout in
//     which a 3×3 stride-1 convolution's unfolded input is read in place
//     through a table of row offsets (convtab*.go, GemmPackedTab and
//     SgemmNTTab) and its weight gradient by tap broadcasts (tapgrad*.go,
//     TabWeightGrad), Winograd F(4×4, 3×3) transforms (winograd*.go),
//     direct depthwise forward and backward (depthwise*.go). Which
//     algorithm a layer uses is decided above this package (ops for
//     training, infer's measured rules for inference).
//   - Element-wise and reductions: ReLU (relu*.go), batch normalisation
//     (bn*.go), pooling (pool*.go, eng_pool*.go), the engine's float32
//     SiLU/sigmoid (eng_act*.go), plane means and scales (eng_elem*.go),
//     small-batch fully connected layers (eng_linear.go).
//   - MeasurePeak (peak*.go): the FMA throughput of this CPU, measured by an
//     assembly loop, against which benchmarks report their efficiency.
//   - FreeList (freelist.go): the free list that keeps the workspaces
//     between calls.
//   - Pool (workpool.go): spinning worker goroutines that hand out the
//     ranges of parallel loops; ParallelFor runs on a shared one, the
//     inference engine keeps its own.
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
//
// The ranges go to the workers of one shared Pool (see Pool for why a
// goroutine per range costs too much). A ParallelFor that finds the pool
// taken, because it is nested in another one's f or runs beside it on
// another goroutine, starts goroutines for its ranges instead.
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
	if shared.busy.CompareAndSwap(false, true) {
		defer shared.busy.Store(false)
		p := shared.pool
		if p == nil || p.t != Threads() {
			if p != nil {
				p.Close()
			}
			p = NewPool(Threads())
			shared.pool = p
		}
		p.run(n, grain, nil, f)
		return
	}
	// One goroutine per range but the first, which the caller runs; the
	// same split as the pool's.
	var wg sync.WaitGroup
	for i := 1; i < t; i++ {
		lo, hi := splitRange(n, t, i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	f(splitRange(n, t, 0))
	wg.Wait()
}

// shared holds the Pool that ParallelFor runs on, rebuilt when Threads()
// changes; busy marks it taken by a running ParallelFor.
var shared struct {
	busy atomic.Bool
	pool *Pool
}
