package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// TestMeasurePeak checks that the peak is positive and that the pure-Go
// loop's count of FLOPs is what it runs.
func TestMeasurePeak(t *testing.T) {
	for _, th := range []int{1, 2} {
		p := MeasurePeak(th, 20*time.Millisecond)
		if !(p > 0) {
			t.Fatalf("MeasurePeak(%d) = %v, want > 0", th, p)
		}
		t.Logf("%s peak, %d thread(s): %.1f GFLOP/s", GemmKernel(), th, p)
	}
}

// TestMeasurePeakEveryKernel runs the peak loop of every kernel the CPU
// supports, the pure-Go one included.
func TestMeasurePeakEveryKernel(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		if p := MeasurePeak(1, 3*time.Millisecond); !(p > 0) {
			t.Fatalf("MeasurePeak = %v, want > 0", p)
		}
	})
}

// BenchmarkPeak reports the one-thread FMA peak of every kernel's
// instruction set, next to BenchmarkMicroKernel's figures.
func BenchmarkPeak(b *testing.B) {
	for _, k := range testKernels() {
		b.Run(k.name, func(b *testing.B) {
			withKernel(b, k)
			var p float64
			for b.Loop() {
				p = MeasurePeak(1, 3*time.Millisecond)
			}
			b.ReportMetric(p, "GFLOP/s")
		})
	}
}

// BenchmarkSgemmPctPeak reports Sgemm on a few square sizes as GFLOP/s and
// as a percentage of the FMA peak measured in the same benchmark, after
// the timed loop, at the same thread count (-cpu 1,2 gives one and two
// threads). Compare runs with benchstat on the %peak metric: it carries
// its own yardstick through a busy or throttled machine.
func BenchmarkSgemmPctPeak(b *testing.B) {
	for _, n := range []int{256, 512, 1024} {
		b.Run(fmt.Sprintf("%dx%dx%d", n, n, n), func(b *testing.B) {
			th := runtime.GOMAXPROCS(0)
			withThreads(b, th)
			rng := rand.New(rand.NewPCG(1, 1))
			tc := gemmCase{m: n, n: n, k: n, alpha: 1}
			o := newGemmOperands(tc, rng)
			b.ResetTimer()
			for range b.N { // not b.Loop: it makes the arguments escape (allocations)
				Sgemm(false, false, n, n, n, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
			}
			gflops := 2 * float64(n*n*n) * float64(b.N) / b.Elapsed().Seconds() / 1e9
			b.StopTimer()
			peak := MeasurePeak(th, 60*time.Millisecond)
			b.ReportMetric(gflops, "GFLOP/s")
			b.ReportMetric(100*gflops/peak, "%peak")
		})
	}
}
