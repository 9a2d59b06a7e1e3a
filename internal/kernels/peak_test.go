package kernels

import (
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
