// Package bench times convnet's models and its SGEMM on this machine and
// sets the figures against the arithmetic peak of the CPU measured in the
// same process (kernels.MeasurePeak), so that a figure taken on a busy or
// throttled machine carries its own yardstick. It backs `convnet bench`.
//
// A benchmark warms up, then times Runs runs, each right after an untimed
// one, and after each timed run measures the FMA peak with the same number
// of threads in three chunks about as long as the run
// (kernels.MeasurePeak): the median run and the median peak then share the
// machine's noise. Training steps are timed as a training loop runs them,
// one right after the other, with the peak measured after them. GFLOP/s count two FLOPs per multiply-accumulate; a
// model's multiply-accumulates are those of nn.Summarize (convolutions and
// linear layers).
package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"convnet/infer"
	"convnet/internal/kernels"
	"convnet/models"
	"convnet/nn"
	"convnet/ops"
	"convnet/optim"
	"convnet/tensor"
)

// Options configure a benchmark. Zero fields take the defaults noted.
type Options struct {
	Threads int // kernel threads and GOMAXPROCS (default: GOMAXPROCS)
	Runs    int // timed runs (default 10)
	Warmup  int // untimed runs first (default 2)

	// Model benchmarks only.
	Batch int    // images per batch (default 1)
	Input [3]int // C, H, W of an image (default: the model's own)
	Train bool   // time a training step instead of inference
	// TrainWarm is the least time that training steps warm up for, beyond
	// Warmup runs and up to streamWarmMax more (default 500 ms; negative:
	// Warmup runs only). A stream of steps reaches its steady state (pools
	// filled, the collector's pace set) only after some steps: LeNet-5 at
	// batch 64 gave a median of 5 steps of 4.3 ms after 2 warm-up steps,
	// 3.4 after 10, and of 40 steps 3.2.
	TrainWarm time.Duration
	// Plain times inference as the eval-mode forward pass of the model
	// (ops allocating their outputs) instead of a compiled infer.Engine
	// (BatchNorm folded, activations fused, weights pre-packed, memory
	// planned).
	Plain bool

	// PeakMin and PeakMax bound how long the FMA peak is measured after
	// each run, three times the run's time (defaults 20 ms and 600 ms).
	PeakMin, PeakMax time.Duration
}

// Result is one benchmark's figures. Its JSON form is what
// `convnet bench --json` prints.
type Result struct {
	Model   string `json:"model,omitempty"`  // model name, for model benchmarks
	GEMM    []int  `json:"gemm,omitempty"`   // M, N, K, for SGEMM benchmarks
	Mode    string `json:"mode"`             // "inference", "train" or "sgemm"
	Engine  string `json:"engine,omitempty"` // inference: "compiled" (infer.Engine) or "plain" (eval forward)
	Kernel  string `json:"kernel"`           // SGEMM micro-kernel in use
	Threads int    `json:"threads"`
	Batch   int    `json:"batch,omitempty"`
	Input   []int  `json:"input,omitempty"` // C, H, W
	Runs    int    `json:"runs"`
	Warmup  int    `json:"warmup"`

	MsMedian   float64 `json:"ms_median"`              // median time of a run (a batch, or one SGEMM)
	MsMin      float64 `json:"ms_min"`                 // fastest run
	MsMax      float64 `json:"ms_max"`                 // slowest run
	ImagesPerS float64 `json:"images_per_s,omitempty"` // Batch / median time
	FLOPs      float64 `json:"flops"`                  // FLOPs counted per run
	GFLOPs     float64 `json:"gflops"`                 // FLOPs / median time
	PeakGFLOPs float64 `json:"peak_gflops"`            // median FMA peak at Threads threads
	PctPeak    float64 `json:"pct_peak"`               // 100 · GFLOPs / PeakGFLOPs
	PeakRSSMB  float64 `json:"peak_rss_mb"`            // peak resident set of the process, MiB
	Load1      float64 `json:"load1,omitempty"`        // 1-minute load average at the start (Linux)
}

// withDefaults fills the zero fields of o.
func (o Options) withDefaults() Options {
	if o.Threads < 1 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
	if o.Runs < 1 {
		o.Runs = 10
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	}
	if o.Batch < 1 {
		o.Batch = 1
	}
	if o.TrainWarm == 0 {
		o.TrainWarm = 500 * time.Millisecond
	}
	if o.PeakMin <= 0 {
		o.PeakMin = 20 * time.Millisecond
	}
	if o.PeakMax < o.PeakMin {
		o.PeakMax = max(600*time.Millisecond, o.PeakMin)
	}
	return o
}

// timeRuns runs f o.Warmup times, then o.Runs times timed, each after an
// untimed run and followed by a peak measurement at o.Threads threads for
// three times as long (within [PeakMin, PeakMax]); with stream set, the
// warm-up lasts at least o.TrainWarm (at most streamWarmMax runs beyond
// o.Warmup), the o.Runs timed runs follow one another and the peak
// measurements come after them all. r.Warmup reports the warm-up runs. It fills the timing and peak fields of r from the
// medians, with flops FLOPs per run. Threads and GOMAXPROCS are set to
// o.Threads meanwhile.
func timeRuns(o Options, flops float64, r *Result, stream bool, f func()) {
	defer kernels.SetThreads(kernels.Threads())
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(o.Threads, 1)))
	kernels.SetThreads(o.Threads)
	r.Load1 = loadAverage()
	r.Kernel, r.Threads, r.Runs = kernels.GemmKernel(), o.Threads, o.Runs
	// A stream of training steps also warms up for o.TrainWarm.
	warm := 0
	for t0 := time.Now(); warm < o.Warmup || stream && warm < o.Warmup+streamWarmMax && time.Since(t0) < o.TrainWarm; warm++ {
		f()
	}
	r.Warmup = warm
	times := make([]time.Duration, o.Runs)
	peaks := make([]float64, o.Runs)
	if stream {
		// Training steps back to back, as a training loop runs them: the
		// garbage collector's work and any memory a step takes afresh
		// fall in the timed steps, as they do for a user (and in
		// PyTorch's loop in torch_bench.py). The peak is measured after
		// the steps, once per step.
		for i := range times {
			t0 := time.Now()
			f()
			times[i] = time.Since(t0)
		}
		for i := range peaks {
			peaks[i] = kernels.MeasurePeak(o.Threads, min(max(3*times[i], o.PeakMin), o.PeakMax))
		}
	}
	for i := range times {
		if stream {
			break
		}
		// Each timed run follows an untimed one, as in a steady stream of
		// runs (and as other engines' benchmarks time theirs): the peak
		// measurement in between, the collection and the host's other
		// tenants would otherwise leave the run to start on caches they
		// have cooled, 5–15 % slower on this machine's 1024³ SGEMM.
		runtime.GC() // a collection left over from one run is not charged to the next
		f()
		t0 := time.Now()
		f()
		times[i] = time.Since(t0)
		peaks[i] = kernels.MeasurePeak(o.Threads, min(max(3*times[i], o.PeakMin), o.PeakMax))
	}
	slices.Sort(times)
	slices.Sort(peaks)
	med := median(times)
	r.MsMedian = ms(med)
	r.MsMin, r.MsMax = ms(times[0]), ms(times[len(times)-1])
	r.FLOPs = flops
	r.GFLOPs = flops / med.Seconds() / 1e9
	r.PeakGFLOPs = peaks[len(peaks)/2]
	if len(peaks)%2 == 0 {
		r.PeakGFLOPs = (peaks[len(peaks)/2-1] + peaks[len(peaks)/2]) / 2
	}
	if r.PeakGFLOPs > 0 {
		r.PctPeak = 100 * r.GFLOPs / r.PeakGFLOPs
	}
	r.PeakRSSMB = peakRSSMB()
}

// streamWarmMax bounds the extra warm-up runs of a stream of training
// steps (see Options.TrainWarm).
const streamWarmMax = 100

// median returns the median of sorted durations (the mean of the middle
// two for an even count).
func median(s []time.Duration) time.Duration {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// GEMM times C = A·B with A m×k, B k×n and C m×n, all row-major and filled
// with uniform random values in [-1, 1), using kernels.Sgemm. It counts
// 2·m·n·k FLOPs per run.
func GEMM(m, n, k int, o Options) (Result, error) {
	if m < 1 || n < 1 || k < 1 {
		return Result{}, fmt.Errorf("sgemm sizes %d,%d,%d: want three positive sizes M,N,K", m, n, k)
	}
	if float64(m)*float64(k)+float64(k)*float64(n)+float64(m)*float64(n) > 1<<31 {
		return Result{}, fmt.Errorf("sgemm sizes %d,%d,%d: the three matrices need more than 8 GiB", m, n, k)
	}
	o = o.withDefaults()
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = 2*rng.Float32() - 1
		}
		return s
	}
	a, b, c := fill(m*k), fill(k*n), make([]float32, m*n)
	r := Result{GEMM: []int{m, n, k}, Mode: "sgemm"}
	timeRuns(o, 2*float64(m)*float64(n)*float64(k), &r, false, func() {
		kernels.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
	})
	return r, nil
}

// Model times the named model (see models.Names) on batches of o.Batch
// random images: inference (evaluation mode, no gradient tape) or, with
// o.Train, a full training step in training mode — forward, cross-entropy
// on random labels (plus the auxiliary heads' losses, weighted 0.3, for
// models that have them), backward and an SGD update with momentum 0.9.
// Inference counts 2·MACs FLOPs per image; a training step counts three
// times that (forward, and backward to both the inputs and the weights of
// every layer).
func Model(name string, o Options) (Result, error) {
	o = o.withDefaults()
	spec, err := models.Lookup(name)
	if err != nil {
		return Result{}, err
	}
	in := spec.Input
	if o.Input != [3]int{} {
		in = o.Input
	}
	g := tensor.NewRNG(1)
	m, err := models.New(name, g, models.Options{InChannels: in[0]})
	if err != nil {
		return Result{}, err
	}
	sum, err := nn.Summarize(m, in[:])
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", name, err)
	}
	x := ops.Const(tensor.Randn(g, 0, 1, o.Batch, in[0], in[1], in[2]))
	r := Result{Model: name, Mode: "inference", Batch: o.Batch, Input: in[:]}
	flops := 2 * float64(sum.MACs) * float64(o.Batch)
	var step func()
	if o.Train {
		r.Mode = "train"
		flops *= 3
		if step, err = trainStep(m, x, sum.Output, g); err != nil {
			return Result{}, fmt.Errorf("%s: %w", name, err)
		}
	} else if o.Plain {
		r.Engine = "plain"
		nn.Eval(m)
		step = func() {
			defer ops.NoGrad()()
			m.Forward(x)
		}
	} else {
		r.Engine = "compiled"
		nn.Eval(m)
		eng, err := infer.Compile(m, x.Value.Shape(), &infer.Options{Threads: o.Threads})
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w (use --engine=false to time the plain forward pass)", name, err)
		}
		defer eng.Close()
		step = func() { eng.Run(x.Value) }
	}
	timeRuns(o, flops, &r, o.Train, step)
	r.ImagesPerS = float64(o.Batch) / (r.MsMedian / 1000)
	return r, nil
}

// auxForwarder is a model with auxiliary classifiers active in training
// (models.AuxModel).
type auxForwarder interface {
	ForwardAux(x *ops.Var) (*ops.Var, []*ops.Var)
}

// auxWeight weighs each auxiliary classifier's loss, as train does.
const auxWeight = 0.3

// trainStep returns one SGD training step of m on x with random labels
// drawn from g. out is the model's output shape for one image ([K] for a
// classifier, [K, H, W] for a per-pixel one); labels cover every position.
func trainStep(m nn.Module, x *ops.Var, out []int, g *tensor.RNG) (func(), error) {
	if len(out) < 1 || out[0] < 1 {
		return nil, fmt.Errorf("output shape %v: no class dimension to train against", out)
	}
	positions := x.Value.Dim(0)
	for _, d := range out[1:] {
		positions *= d
	}
	labels := make([]int, positions)
	for i := range labels {
		labels[i] = g.IntN(out[0])
	}
	nn.Train(m)
	opt := optim.NewSGD(nn.Parameters(m), optim.SGDConfig{LR: 0.01, Momentum: 0.9})
	return func() {
		opt.ZeroGrad()
		var loss *ops.Var
		if am, ok := m.(auxForwarder); ok {
			main, aux := am.ForwardAux(x)
			loss = ops.CrossEntropy(main, labels, ops.CrossEntropyOptions{})
			for _, a := range aux {
				loss = ops.Add(loss, ops.Scale(ops.CrossEntropy(a, labels, ops.CrossEntropyOptions{}), auxWeight))
			}
		} else {
			loss = ops.CrossEntropy(m.Forward(x), labels, ops.CrossEntropyOptions{})
		}
		loss.BackwardFree()
		opt.Step()
	}, nil
}
