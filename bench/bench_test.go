package bench

import (
	"encoding/json"
	"testing"
	"time"
)

// quick keeps the tests short: two runs, one warm-up, brief peaks.
var quick = Options{Threads: 1, Runs: 2, Warmup: 1, TrainWarm: -1, PeakMin: 10 * time.Millisecond, PeakMax: 10 * time.Millisecond}

// checkResult checks the figures every benchmark fills in.
func checkResult(t *testing.T, r Result) {
	t.Helper()
	if !(r.MsMedian > 0 && r.MsMin <= r.MsMedian && r.MsMedian <= r.MsMax) {
		t.Errorf("times min %v median %v max %v", r.MsMin, r.MsMedian, r.MsMax)
	}
	if !(r.GFLOPs > 0 && r.PeakGFLOPs > 0 && r.PctPeak > 0) {
		t.Errorf("gflops %v peak %v pct %v", r.GFLOPs, r.PeakGFLOPs, r.PctPeak)
	}
	if r.Kernel == "" || r.Threads != 1 || r.Runs != 2 || r.Warmup != 1 {
		t.Errorf("kernel %q threads %d runs %d warmup %d", r.Kernel, r.Threads, r.Runs, r.Warmup)
	}
}

func TestGEMM(t *testing.T) {
	r, err := GEMM(64, 48, 32, quick)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, r)
	if r.FLOPs != 2*64*48*32 || r.Mode != "sgemm" || r.ImagesPerS != 0 {
		t.Errorf("flops %v mode %q images/s %v", r.FLOPs, r.Mode, r.ImagesPerS)
	}
	b, _ := json.Marshal(r)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["images_per_s"]; ok {
		t.Errorf("SGEMM result has images_per_s: %s", b)
	}
	for _, bad := range [][3]int{{0, 1, 1}, {1, -1, 1}, {1 << 20, 1 << 20, 1 << 20}} {
		if _, err := GEMM(bad[0], bad[1], bad[2], quick); err == nil {
			t.Errorf("GEMM%v: no error", bad)
		}
	}
}

func TestModel(t *testing.T) {
	for _, train := range []bool{false, true} {
		o := quick
		o.Batch, o.Train = 2, train
		r, err := Model("lenet5", o)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, r)
		// LeNet-5: 416,520 MACs per image (see nn.Summarize).
		want := 2 * 416520.0 * 2
		mode := "inference"
		if train {
			want, mode = 3*want, "train"
		}
		if r.FLOPs != want || r.Mode != mode || r.Batch != 2 || !(r.ImagesPerS > 0) {
			t.Errorf("train=%v: flops %v (want %v) mode %q batch %d images/s %v", train, r.FLOPs, want, r.Mode, r.Batch, r.ImagesPerS)
		}
	}
	// Training steps warm up for TrainWarm too, within streamWarmMax more
	// runs.
	ow := quick
	ow.Batch, ow.Train, ow.TrainWarm = 2, true, 30*time.Millisecond
	if r, err := Model("lenet5", ow); err != nil || r.Warmup <= ow.Warmup || r.Warmup > ow.Warmup+streamWarmMax {
		t.Errorf("training with TrainWarm %v: %d warm-up runs (error %v), want more than %d, at most %d", ow.TrainWarm, r.Warmup, err, ow.Warmup, ow.Warmup+streamWarmMax)
	}
	if _, err := Model("lenet9", quick); err == nil {
		t.Error("unknown model: no error")
	}
	o := quick
	o.Input = [3]int{1, 8, 8}
	if _, err := Model("lenet5", o); err == nil {
		t.Error("input too small for the model: no error")
	}
}

func TestPeakRSSAndLoad(t *testing.T) {
	if rss := peakRSSMB(); !(rss > 0) {
		t.Errorf("peakRSSMB = %v", rss)
	}
	if l := loadAverage(); l < 0 {
		t.Errorf("loadAverage = %v", l)
	}
}
