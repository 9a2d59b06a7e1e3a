package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"convnet/checkpoint"
	"convnet/data"
	"convnet/internal/kernels"
	"convnet/models"
	"convnet/nn"
	"convnet/tensor"
	"convnet/train"
)

func cmdTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", "train [flags]", stderr)
	c := train.Config{Stdout: stdout, Progress: stderr}
	fs.StringVar(&c.Model, "model", "lenet5", "model to train (see convnet models)")
	fs.StringVar(&c.Data, "data", "mnist", "data set: mnist, fashion-mnist, or mnist-seg / fashion-mnist-seg (per-pixel class segmentation)")
	fs.StringVar(&c.DataDir, "data-dir", "", "directory holding the data set's IDX files (default: cache / system location)")
	fs.IntVar(&c.Epochs, "epochs", 5, "number of epochs")
	fs.IntVar(&c.Batch, "batch", 64, "mini-batch size")
	fs.StringVar(&c.Opt, "opt", "sgd", "optimizer: sgd, adam or adamw")
	fs.Float64Var(&c.LR, "lr", 0.02, "base learning rate")
	fs.Float64Var(&c.Momentum, "momentum", 0.9, "SGD momentum")
	fs.BoolVar(&c.Nesterov, "nesterov", false, "SGD with Nesterov momentum")
	fs.Float64Var(&c.WD, "wd", 0, "weight decay")
	fs.StringVar(&c.Schedule, "schedule", "cos", "learning-rate schedule: const, step:EPOCHS:GAMMA, multistep:E1,E2:GAMMA, cos, cos:MIN")
	seed := fs.Uint64("seed", 1, "random seed for initialisation and shuffling")
	fs.IntVar(&c.Threads, "threads", 0, "worker threads (0: all cores)")
	fs.StringVar(&c.Out, "out", "", "directory for weights and training state (default runs/MODEL-DATA-TIME)")
	fs.BoolVar(&c.Resume, "resume", false, "continue the run saved in --out")
	fs.BoolVar(&c.JSON, "json", false, "print one JSON object per epoch instead of a text line")
	if err := parse(fs, args); err != nil {
		return err
	}
	c.Seed = *seed
	if c.Out == "" {
		if c.Resume {
			return fmt.Errorf("--resume needs --out naming the run to continue")
		}
		c.Out = filepath.Join("runs", fmt.Sprintf("%s-%s-%s", c.Model, c.Data, time.Now().Format("20060102-150405")))
	}
	if !c.JSON {
		fmt.Fprintf(stdout, "training %s on %s: %d epochs, batch %d, %s lr %g, %d threads; checkpoints in %s\n",
			c.Model, c.Data, c.Epochs, c.Batch, c.Opt, c.LR, threadsOr(c.Threads), c.Out)
	}
	_, err := train.Run(c)
	return err
}

func threadsOr(n int) int {
	if n > 0 {
		return n
	}
	return kernels.Threads()
}

func cmdEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", "eval --weights FILE [flags]", stderr)
	weights := fs.String("weights", "", "safetensors weights written by convnet train (required)")
	model := fs.String("model", "", "model name (default: the one recorded in the weights file)")
	dataName := fs.String("data", "", "data set (default: the one recorded in the weights file)")
	dataDir := fs.String("data-dir", "", "directory holding the data set's IDX files")
	batch := fs.Int("batch", 1000, "evaluation batch size")
	threads := fs.Int("threads", 0, "worker threads (0: all cores)")
	asJSON := fs.Bool("json", false, "print a JSON object")
	strict := fs.Bool("strict", true, "require the weights to match the model exactly; with --strict=false load what matches and list the rest")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *weights == "" {
		return fmt.Errorf("--weights is required")
	}
	if *batch < 1 {
		return fmt.Errorf("--batch must be at least 1, got %d", *batch)
	}
	_, meta, err := checkpoint.ReadHeader(*weights)
	if err != nil {
		return err
	}
	if *model == "" {
		*model = meta["model"]
	}
	if *dataName == "" {
		*dataName = meta["data"]
	}
	if *model == "" || *dataName == "" {
		return fmt.Errorf("%s does not record its model and data set: give --model and --data", *weights)
	}
	kernels.SetThreads(*threads)
	trainSet, testSet, err := data.Open(*dataName, *dataDir)
	if err != nil {
		return err
	}
	m, err := models.New(*model, tensor.NewRNG(0), models.Options{NumClasses: trainSet.NumClasses, InChannels: trainSet.C})
	if err != nil {
		return err
	}
	if err := loadWeights(*weights, m, *strict, stderr); err != nil {
		return err
	}
	mean, std := trainSet.Mean(), trainSet.Std()
	if v, err := strconv.ParseFloat(meta["mean"], 64); err == nil {
		mean = v
	}
	if v, err := strconv.ParseFloat(meta["std"], 64); err == nil {
		std = v
	}
	t0 := time.Now()
	r := train.Evaluate(m, testSet, *batch, float32(mean), float32(std))
	secs := time.Since(t0).Seconds()
	if *asJSON {
		out := map[string]any{"model": *model, "data": *dataName, "test_loss": r.Loss, "test_acc": r.Acc,
			"images": testSet.N, "seconds": secs}
		if testSet.Masks != nil {
			out["test_miou"] = r.MeanIoU
		}
		b, _ := json.Marshal(out)
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	miou := ""
	if testSet.Masks != nil {
		miou = fmt.Sprintf(", mean IoU %.2f%%", 100*r.MeanIoU)
	}
	fmt.Fprintf(stdout, "%s on %s test set (%d images): loss %.4f, accuracy %.2f%%%s (%.1f s)\n", *model, *dataName, testSet.N, r.Loss, 100*r.Acc, miou, secs)
	return nil
}

// loadWeights loads a safetensors state dict into m: exactly (every name
// and shape must match) or, when not strict, whatever matches, listing the
// rest on stderr.
func loadWeights(path string, m nn.Module, strict bool, stderr io.Writer) error {
	if strict {
		return checkpoint.LoadInto(path, nn.StateDict(m))
	}
	r, err := checkpoint.LoadMatching(path, nn.StateDict(m))
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s: %s\n", path, r)
	return nil
}

func cmdModels(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("models", "models", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-22s %12s  %-11s  %s\n", "model", "params", "input", "paper")
	for _, n := range models.Names() {
		s, _ := models.Lookup(n)
		m, err := models.New(n, nil, models.Options{})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%-22s %12s  %-11s  %s\n", n, group(int64(nn.NumParams(m))), fmt.Sprintf("%dx%dx%d", s.Input[0], s.Input[1], s.Input[2]), s.Paper)
	}
	return nil
}
