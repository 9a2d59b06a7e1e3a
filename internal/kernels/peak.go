package kernels

import (
	"runtime"
	"slices"
	"sync"
	"time"
)

// MeasurePeak measures the arithmetic peak that the SGEMM micro-kernel in
// use (GemmKernel) could reach on this machine now, in GFLOP/s, with
// threads goroutines running at the same time for about d. Each goroutine,
// locked to its OS thread, repeats a loop of independent fused multiply-adds
// of the kernel's vector width (zmm for AVX-512, ymm for AVX2) in chunks of
// about 2 ms; its rate is the median over its chunks, and the result is the
// sum of the goroutines' rates. With the pure-Go kernel the loop is scalar
// Go (peakLoopGo), the honest ceiling for that kernel.
//
// Taking medians over chunks, like the medians of timed runs it is compared
// with, lets a benchmark that measures both in the same process share the
// noise of a busy machine. threads < 1 counts as 1; d is at least 10 ms.
func MeasurePeak(threads int, d time.Duration) float64 {
	threads = max(threads, 1)
	d = max(d, 10*time.Millisecond)
	loop, flops, ok := peakLoopFor(gemmActive)
	if !ok {
		loop, flops = peakLoopGo, peakGoFlops
	}
	n := peakCalibrate(loop, min(2*time.Millisecond, d/5))
	start := make(chan struct{})
	rates := make([]float64, threads)
	var wg sync.WaitGroup
	for t := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			<-start
			var rs []float64
			end := time.Now().Add(d)
			for len(rs) < 3 || time.Now().Before(end) {
				t0 := time.Now()
				loop(n)
				rs = append(rs, float64(n)*flops/time.Since(t0).Seconds())
			}
			slices.Sort(rs)
			rates[t] = rs[len(rs)/2]
		}()
	}
	close(start)
	wg.Wait()
	var sum float64
	for _, r := range rates {
		sum += r
	}
	return sum / 1e9
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
