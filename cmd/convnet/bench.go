package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"convnet/bench"
	"convnet/models"
)

func init() {
	verbs = append(verbs, verb{"bench", "time a model or an SGEMM against the CPU's FMA peak", cmdBench})
}

func cmdBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "bench MODEL [--batch B] [--threads T] [--input CxHxW] [--train] [--runs N] [--warmup N] [--json]\n"+
		"       convnet bench --gemm M,N,K [--threads T] [--runs N] [--warmup N] [--json]\n\n"+
		"Warms up, then times repeated runs: a batch of random images through MODEL (inference,\n"+
		"or with --train a full SGD training step), or C = A·B with A M×K and B K×N (--gemm).\n"+
		"Prints the median time, images/s, achieved GFLOP/s (2 FLOPs per multiply-accumulate of\n"+
		"convolutions and linear layers, as convnet summary counts them; a training step counts\n"+
		"3× the forward pass), the FMA peak of this CPU measured in the same process after every\n"+
		"run at the same thread count, the percentage of it achieved, and the peak RSS. Training\n"+
		"steps are timed back to back, as a training loop runs them (garbage collection included),\n"+
		"the peak measured after them; inference and SGEMM runs each follow an untimed one.", stderr)
	batch := fs.Int("batch", 1, "images per batch")
	threads := fs.Int("threads", 0, "threads for the kernels (default: GOMAXPROCS)")
	input := fs.String("input", "", "image size CxHxW (default: the model's own)")
	train := fs.Bool("train", false, "time a training step (forward, loss, backward, SGD update)")
	engine := fs.Bool("engine", true, "time inference with the compiled engine (BatchNorm folded, fused epilogues, pre-packed weights, planned memory); false: the plain eval forward")
	runs := fs.Int("runs", 0, "timed runs (default 10, or 30 with --gemm)")
	warmup := fs.Int("warmup", 2, "untimed runs before timing (training steps also warm up for 0.5 s, up to 100 more)")
	gemm := fs.String("gemm", "", "time SGEMM alone on sizes M,N,K")
	asJSON := fs.Bool("json", false, "print one JSON object")
	var model string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		model, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case *batch < 1:
		return fmt.Errorf("--batch %d: want at least 1", *batch)
	case *threads < 0:
		return fmt.Errorf("--threads %d: want at least 1 (or 0 for GOMAXPROCS)", *threads)
	case set["runs"] && *runs < 1:
		return fmt.Errorf("--runs %d: want at least 1", *runs)
	case *warmup < 0:
		return fmt.Errorf("--warmup %d: want at least 0", *warmup)
	}
	o := bench.Options{Threads: *threads, Runs: *runs, Warmup: *warmup, Batch: *batch, Train: *train, Plain: !*engine}
	var (
		r   bench.Result
		err error
	)
	if *gemm != "" {
		if model != "" {
			return fmt.Errorf("give a model or --gemm, not both")
		}
		for _, name := range []string{"batch", "input", "train"} {
			if set[name] {
				return fmt.Errorf("--%s applies to models, not to --gemm", name)
			}
		}
		size, err := parseGEMM(*gemm)
		if err != nil {
			return err
		}
		if !set["runs"] {
			o.Runs = 30
		}
		fmt.Fprintf(stderr, "benchmarking sgemm %dx%dx%d …\n", size[0], size[1], size[2])
		if r, err = bench.GEMM(size[0], size[1], size[2], o); err != nil {
			return err
		}
	} else {
		if model == "" {
			return fmt.Errorf("name a model (see convnet models) or give --gemm M,N,K")
		}
		if *input != "" {
			if o.Input, err = parseDims("input", *input); err != nil {
				return err
			}
		}
		if _, err := models.Lookup(model); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "benchmarking %s …\n", model)
		if r, err = bench.Model(model, o); err != nil {
			return err
		}
	}
	if *asJSON {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	printBench(stdout, r)
	return nil
}

// parseGEMM reads "M,N,K" into three positive sizes.
func parseGEMM(s string) ([3]int, error) {
	var d [3]int
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return d, fmt.Errorf("--gemm %q: want three sizes like 1024,1024,1024", s)
	}
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 1 {
			return d, fmt.Errorf("--gemm %q: %q is not a positive size", s, p)
		}
		d[i] = v
	}
	return d, nil
}

// printBench writes a result as a few lines of text.
func printBench(w io.Writer, r bench.Result) {
	threads := fmt.Sprintf("%d threads", r.Threads)
	if r.Threads == 1 {
		threads = "1 thread"
	}
	load := ""
	if r.Load1 > 0 {
		load = fmt.Sprintf(", load %.2f", r.Load1)
	}
	runs := fmt.Sprintf("min %.3f, max %.3f; %d runs after %d warm-up", r.MsMin, r.MsMax, r.Runs, r.Warmup)
	if r.Mode == "sgemm" {
		fmt.Fprintf(w, "sgemm %dx%dx%d (M×N×K), kernel %s, %s%s\n", r.GEMM[0], r.GEMM[1], r.GEMM[2], r.Kernel, threads, load)
		fmt.Fprintf(w, "  median %.3f ms (%s)\n", r.MsMedian, runs)
	} else {
		mode := r.Mode
		if r.Engine != "" {
			mode += " (" + r.Engine + ")"
		}
		fmt.Fprintf(w, "%s %s, batch %d, input %s, kernel %s, %s%s\n", r.Model, mode, r.Batch, shapeString(r.Input), r.Kernel, threads, load)
		fmt.Fprintf(w, "  median %.3f ms per batch (%s), %.2f images/s\n", r.MsMedian, runs, r.ImagesPerS)
	}
	fmt.Fprintf(w, "  %.1f GFLOP/s achieved of a %.1f GFLOP/s FMA peak measured alongside: %.1f %%\n", r.GFLOPs, r.PeakGFLOPs, r.PctPeak)
	fmt.Fprintf(w, "  peak RSS %.1f MiB\n", r.PeakRSSMB)
}
