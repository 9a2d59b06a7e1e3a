package kernels

import (
	"runtime"
	"slices"
	"sync"
	"time"
)

// MeasurePeak measures the arithmetic peak that the SGEMM micro-kernel in
// use (GemmKernel) could reach on this machine now, in GFLOP/s, with
// threads goroutines for about d. Each goroutine, locked to its OS thread,
// runs a loop of independent fused multiply-adds of the kernel's vector
// width (zmm for AVX-512, ymm for AVX2); with the pure-Go kernel the loop
// is scalar Go (peakLoopGo), the honest ceiling for that kernel.
//
// The time is cut into at least three chunks of about d/3 (at least 1 ms,
// at most 200 ms). In each chunk every goroutine does the same number of
// iterations, and the chunk lasts until the last one is done, as a kernel
// split statically over threads does; the result is the median over the
// chunks of all FLOPs done in a chunk over its length. A benchmark that
// measures the peak this way next to its own runs, with chunks about as
// long as a run, shares the noise of a busy machine with it: a thread
// descheduled for a while delays both alike. threads < 1 counts as 1; d is
// at least 3 ms.
func MeasurePeak(threads int, d time.Duration) float64 {
	threads = max(threads, 1)
	d = max(d, 3*time.Millisecond)
	chunk := min(max(d/3, time.Millisecond), 200*time.Millisecond)
	loop, flops, ok := peakLoopFor(gemmActive)
	if !ok {
		loop, flops = peakLoopGo, peakGoFlops
	}
	n := peakCalibrate(loop, chunk)

	// Workers wait for a go on start, run n iterations and report on done.
	start := make([]chan bool, threads)
	var done sync.WaitGroup
	for t := range start {
		start[t] = make(chan bool)
		go func(start <-chan bool) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for <-start {
				loop(n)
				done.Done()
			}
		}(start[t])
	}
	var rates []float64
	for t0 := time.Now(); len(rates) < 3 || time.Since(t0) < d; {
		c0 := time.Now()
		done.Add(threads)
		for _, s := range start {
			s <- true
		}
		done.Wait()
		rates = append(rates, float64(threads)*float64(n)*flops/time.Since(c0).Seconds())
	}
	for _, s := range start {
		close(s)
	}
	slices.Sort(rates)
	return rates[len(rates)/2] / 1e9
}

// peakCalibrate returns an iteration count for which loop runs for about
// chunk, taking the fastest of a few trials of a growing count.
func peakCalibrate(loop func(n int), chunk time.Duration) int {
	n := 1024
	for {
		best := time.Duration(1<<63 - 1)
		for range 3 {
			t0 := time.Now()
			loop(n)
			best = min(best, time.Since(t0))
		}
		if best >= 200*time.Microsecond || n >= 1<<30 {
			return max(1, int(float64(n)*float64(chunk)/float64(max(best, 1))))
		}
		n *= 4
	}
}

// peakData holds the starting values of the assembly peak loops: 24 × 16
// accumulators in [1, 2), then 6 × 16 multiplicands of magnitude in
// [2⁻⁹, 2⁻⁸) and either sign, from a fixed linear congruential sequence.
// Products near 2⁻¹⁷ change the accumulators' low bits at every step yet
// add up to at most a few hundred over the longest chunk: no overflow, no
// denormals, and switching activity like that of real data.
var peakData = func() (x [480]float32) {
	s := uint32(1)
	next := func() float32 { // uniform in [0, 1)
		s = s*1664525 + 1013904223
		return float32(s>>8) / (1 << 24)
	}
	for i := range 384 {
		x[i] = 1 + next()
	}
	for i := 384; i < len(x); i++ {
		v := (1 + next()) / 512
		if next() < 0.5 {
			v = -v
		}
		x[i] = v
	}
	return x
}()

// peakGoFlops is the FLOPs of one iteration of peakLoopGo: twelve
// multiplies and twelve adds.
const peakGoFlops = 24

// peakSink keeps peakLoopGo's result alive; peakMul and peakAdd are
// variables so that the compiler cannot fold the loop away.
var (
	peakSink         float32
	peakMul, peakAdd float32 = 0.5, 0.25
)

// peakLoopGo is the scalar peak loop: twelve independent chains of
// c = c·a + b, enough to hide the latency of a multiply and an add, in as
// many registers as the Go compiler allocates for floats without spilling.
func peakLoopGo(n int) {
	a, b := peakMul, peakAdd
	var c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 float32
	for range n {
		c0 = c0*a + b
		c1 = c1*a + b
		c2 = c2*a + b
		c3 = c3*a + b
		c4 = c4*a + b
		c5 = c5*a + b
		c6 = c6*a + b
		c7 = c7*a + b
		c8 = c8*a + b
		c9 = c9*a + b
		c10 = c10*a + b
		c11 = c11*a + b
	}
	peakSink = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11
}
