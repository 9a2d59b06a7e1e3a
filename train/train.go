// Package train runs the training loop of convnet: batches from a data
// loader through a model, cross-entropy, backward, optimizer step; then
// per-epoch evaluation, metrics, progress, checkpoints and exact resume.
package train

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"convnet/checkpoint"
	"convnet/data"
	"convnet/internal/kernels"
	"convnet/models"
	"convnet/nn"
	"convnet/ops"
	"convnet/optim"
	"convnet/tensor"
)

// File names inside the output directory.
const (
	WeightsFile = "model.safetensors"       // the model's state dict
	StateFile   = "train_state.safetensors" // optimizer buffers, epoch, RNG state
)

// Config is one training run.
type Config struct {
	Model    string  // registry name, e.g. "lenet5"
	Data     string  // "mnist" or "fashion-mnist"
	DataDir  string  // overrides where the data set is looked for
	Epochs   int     // total number of epochs (a resumed run continues up to it)
	Batch    int     // mini-batch size
	Opt      string  // "sgd", "adam" or "adamw"
	LR       float64 // base learning rate
	Momentum float64 // SGD momentum
	Nesterov bool    // SGD Nesterov momentum
	WD       float64 // weight decay (L2 for sgd/adam, decoupled for adamw)
	Schedule string  // learning-rate schedule, see optim.ParseSchedule
	Seed     uint64  // fixes initialisation and shuffling
	Threads  int     // worker threads for kernels (0: all cores)
	Out      string  // directory for weights and training state
	Resume   bool    // continue from the state in Out
	JSON     bool    // one JSON object per epoch instead of a text line

	Stdout   io.Writer // per-epoch results (default os.Stdout)
	Progress io.Writer // progress bar (default os.Stderr; nil-able via io.Discard)
}

// EpochResult is what one epoch reports.
type EpochResult struct {
	Epoch       int     `json:"epoch"`
	Epochs      int     `json:"epochs"`
	TrainLoss   float64 `json:"train_loss"`
	TrainAcc    float64 `json:"train_acc"`
	TestLoss    float64 `json:"test_loss"`
	TestAcc     float64 `json:"test_acc"`
	TestMIoU    float64 `json:"test_miou,omitempty"` // segmentation: mean intersection over union
	Seconds     float64 `json:"seconds"`
	EvalSeconds float64 `json:"eval_seconds"`
	ImagesPerS  float64 `json:"images_per_s"`
	LR          float64 `json:"lr"`
}

// Run loads the data and the model named by cfg and trains it, writing a
// checkpoint after every epoch. It returns the per-epoch results.
func Run(cfg Config) ([]EpochResult, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	trainSet, testSet, err := data.Open(cfg.Data, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	return Fit(cfg, trainSet, testSet)
}

func (c *Config) validate() error {
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("--epochs must be at least 1, got %d", c.Epochs)
	case c.Batch < 1:
		return fmt.Errorf("--batch must be at least 1, got %d", c.Batch)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("--lr must be positive, got %g", c.LR)
	case c.Momentum < 0 || c.Momentum >= 1:
		return fmt.Errorf("--momentum must be in [0, 1), got %g", c.Momentum)
	case c.WD < 0:
		return fmt.Errorf("--wd must not be negative, got %g", c.WD)
	case c.Threads < 0:
		return fmt.Errorf("--threads must not be negative, got %d", c.Threads)
	case c.Out == "":
		return errors.New("--out must name a directory")
	}
	switch c.Opt {
	case "sgd", "adam", "adamw":
	default:
		return fmt.Errorf("unknown optimizer %q (known: sgd, adam, adamw)", c.Opt)
	}
	if _, err := optim.ParseSchedule(c.Schedule, c.LR, c.Epochs); err != nil {
		return err
	}
	if _, err := models.Lookup(c.Model); err != nil {
		return err
	}
	return nil
}

// newOptimizer builds the optimizer of cfg over the model's parameters.
func newOptimizer(cfg Config, params []nn.Param) optim.Optimizer {
	switch cfg.Opt {
	case "adam":
		return optim.NewAdam(params, optim.AdamConfig{LR: cfg.LR, WeightDecay: cfg.WD})
	case "adamw":
		return optim.NewAdamW(params, optim.AdamConfig{LR: cfg.LR, WeightDecay: cfg.WD})
	}
	return optim.NewSGD(params, optim.SGDConfig{LR: cfg.LR, Momentum: cfg.Momentum, Nesterov: cfg.Nesterov, WeightDecay: cfg.WD})
}

// Fit trains on trainSet and evaluates on testSet after every epoch.
func Fit(cfg Config, trainSet, testSet *data.Dataset) ([]EpochResult, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Progress == nil {
		cfg.Progress = os.Stderr
	}
	kernels.SetThreads(cfg.Threads)

	rng := tensor.NewRNG(cfg.Seed)
	model, err := models.New(cfg.Model, rng, models.Options{NumClasses: trainSet.NumClasses, InChannels: trainSet.C})
	if err != nil {
		return nil, err
	}
	opt := newOptimizer(cfg, nn.Parameters(model))
	sched, _ := optim.ParseSchedule(cfg.Schedule, cfg.LR, cfg.Epochs)
	mean, std := float32(trainSet.Mean()), float32(trainSet.Std())

	start := 0 // epochs already done
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create --out directory: %w", err)
	}
	statePath := filepath.Join(cfg.Out, StateFile)
	weightsPath := filepath.Join(cfg.Out, WeightsFile)
	if cfg.Resume {
		start, err = restore(cfg, weightsPath, statePath, model, opt, rng)
		if err != nil {
			return nil, err
		}
		if start >= cfg.Epochs {
			return nil, fmt.Errorf("%s: already trained for %d epochs; raise --epochs to continue", statePath, start)
		}
	} else if _, err := os.Stat(weightsPath); err == nil {
		return nil, fmt.Errorf("%s already holds a checkpoint: use --resume to continue it, or choose another --out", cfg.Out)
	}

	loader := data.NewLoader(trainSet, data.LoaderOptions{Batch: cfg.Batch, Shuffle: true, Mean: mean, Std: std})
	var results []EpochResult
	step := 0
	for epoch := start + 1; epoch <= cfg.Epochs; epoch++ {
		lr := sched.LR(epoch - 1)
		opt.SetLR(lr)
		nn.Train(model)
		bar := newProgress(cfg.Progress, fmt.Sprintf("epoch %d/%d", epoch, cfg.Epochs), loader.NumBatches())
		t0 := time.Now()
		ep := loader.Epoch(rng)
		var lossSum float64
		correct, seen, labelled := 0, 0, 0
		for b := 0; ; b++ {
			batch, ok := ep.Next()
			if !ok {
				break
			}
			step++
			opt.ZeroGrad()
			logits, loss := trainingLoss(model, ops.Const(batch.X), batch.Y)
			lv := float64(loss.Value.Item())
			if math.IsNaN(lv) || math.IsInf(lv, 0) {
				ep.Close()
				bar.done()
				kept := "no checkpoint was written yet"
				if epoch > 1 {
					kept = fmt.Sprintf("the last good checkpoint (epoch %d) is kept in %s", epoch-1, cfg.Out)
				}
				return results, fmt.Errorf("training diverged at step %d (epoch %d, batch %d): loss is %v; stopped, %s", step, epoch, b+1, lv, kept)
			}
			// Count before the backward pass, which frees the graph's
			// values (the logits among them) for the next step to reuse.
			correct += countCorrect(logits.Value, batch.Y, nil)
			loss.BackwardFree()
			opt.Step()
			n := batch.X.Dim(0)
			lossSum += lv * float64(n)
			labelled += len(batch.Y)
			seen += n
			bar.update(b+1, lossSum/float64(seen), float64(seen)/time.Since(t0).Seconds())
		}
		trainTime := time.Since(t0).Seconds()
		bar.done()
		t1 := time.Now()
		tm := Evaluate(model, testSet, 1000, mean, std)
		if bad := nonFiniteParam(model); bad != "" || math.IsNaN(tm.Loss) || math.IsInf(tm.Loss, 0) {
			// The last steps of the epoch broke the weights after the loss
			// was checked: do not save them over the last good checkpoint.
			what := fmt.Sprintf("test loss is %v", tm.Loss)
			if bad != "" {
				what = "parameter " + bad + " is not finite"
			}
			kept := "no checkpoint was written yet"
			if epoch > 1 {
				kept = fmt.Sprintf("the last good checkpoint (epoch %d) is kept in %s", epoch-1, cfg.Out)
			}
			return results, fmt.Errorf("training diverged at step %d (end of epoch %d): %s; stopped, %s", step, epoch, what, kept)
		}
		r := EpochResult{Epoch: epoch, Epochs: cfg.Epochs, TrainLoss: lossSum / float64(seen), TrainAcc: float64(correct) / float64(max(labelled, 1)),
			TestLoss: tm.Loss, TestAcc: tm.Acc, TestMIoU: tm.MeanIoU, Seconds: trainTime, EvalSeconds: time.Since(t1).Seconds(),
			ImagesPerS: float64(seen) / trainTime, LR: lr}
		results = append(results, r)
		if err := save(cfg, weightsPath, statePath, model, opt, rng, epoch, trainSet); err != nil {
			return results, err
		}
		report(cfg, r)
	}
	return results, nil
}

// report prints one epoch's result on cfg.Stdout.
func report(cfg Config, r EpochResult) {
	if cfg.JSON {
		b, _ := json.Marshal(r)
		fmt.Fprintln(cfg.Stdout, string(b))
		return
	}
	miou := ""
	if r.TestMIoU > 0 {
		miou = fmt.Sprintf(" mIoU %.2f%%", 100*r.TestMIoU)
	}
	fmt.Fprintf(cfg.Stdout, "epoch %d/%d  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%%s  %.1f s  %.0f img/s  lr %.3g\n",
		r.Epoch, r.Epochs, r.TrainLoss, 100*r.TrainAcc, r.TestLoss, 100*r.TestAcc, miou, r.Seconds, r.ImagesPerS, r.LR)
}

// AuxWeight is the weight of each auxiliary classifier's loss in training
// (GoogLeNet: 0.3, Szegedy et al. arXiv:1409.4842 §5).
const AuxWeight = 0.3

// auxForwarder is a model with auxiliary classifiers that are active in
// training mode (GoogLeNet).
type auxForwarder interface {
	ForwardAux(x *ops.Var) (*ops.Var, []*ops.Var)
}

// trainingLoss runs the model in training mode and returns the main logits
// and the loss: cross-entropy of the main output plus AuxWeight times each
// auxiliary output's cross-entropy.
func trainingLoss(model nn.Module, x *ops.Var, y []int) (logits, loss *ops.Var) {
	if am, ok := model.(auxForwarder); ok {
		main, aux := am.ForwardAux(x)
		loss = ops.CrossEntropy(main, y, ops.CrossEntropyOptions{})
		for _, a := range aux {
			loss = ops.Add(loss, ops.Scale(ops.CrossEntropy(a, y, ops.CrossEntropyOptions{}), AuxWeight))
		}
		return main, loss
	}
	logits = model.Forward(x)
	return logits, ops.CrossEntropy(logits, y, ops.CrossEntropyOptions{})
}

// countCorrect counts the predictions of logits ([N, K] or per pixel
// [N, K, H, W]) that equal their label, and adds (label, prediction) pairs
// to the confusion matrix conf [K·K] when it is not nil.
func countCorrect(logits *tensor.Tensor, labels []int, conf []int64) int {
	k := logits.Dim(1)
	hw := logits.Len() / (logits.Dim(0) * k) // 1 for classification
	d := logits.Data()
	c := 0
	scores := make([]float32, k)
	for i, y := range labels {
		n, p := i/hw, i%hw
		for j := range scores {
			scores[j] = d[(n*k+j)*hw+p]
		}
		pred := Argmax(scores)
		if pred == y {
			c++
		}
		if conf != nil {
			conf[y*k+pred]++
		}
	}
	return c
}

// Argmax returns the index of the largest value (the first on ties).
func Argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// Metrics are a model's results on a data set.
type Metrics struct {
	Loss    float64 // mean cross-entropy per image (per pixel for segmentation)
	Acc     float64 // fraction of correct labels (pixels for segmentation)
	MeanIoU float64 // segmentation only: mean over classes present of intersection/union
}

// Evaluate returns the metrics of model on ds, in evaluation mode without
// recording gradients, normalising pixels with mean and std.
func Evaluate(model nn.Module, ds *data.Dataset, batch int, mean, std float32) Metrics {
	defer ops.NoGrad()()
	nn.Eval(model)
	l := data.NewLoader(ds, data.LoaderOptions{Batch: batch, Mean: mean, Std: std})
	ep := l.Epoch(nil)
	defer ep.Close()
	var sum float64
	correct, n := 0, 0
	var conf []int64
	if ds.Masks != nil {
		conf = make([]int64, ds.NumClasses*ds.NumClasses)
	}
	for {
		b, ok := ep.Next()
		if !ok {
			break
		}
		logits := model.Forward(ops.Const(b.X))
		sum += float64(ops.CrossEntropy(logits, b.Y, ops.CrossEntropyOptions{Reduction: ops.ReduceSum}).Value.Item())
		correct += countCorrect(logits.Value, b.Y, conf)
		n += len(b.Y)
	}
	m := Metrics{Loss: sum / float64(max(n, 1)), Acc: float64(correct) / float64(max(n, 1))}
	if conf != nil {
		m.MeanIoU = meanIoU(conf, ds.NumClasses)
	}
	return m
}

// meanIoU averages TP/(TP+FP+FN) over the classes that occur in the labels
// or the predictions of the confusion matrix conf [label·k + prediction].
func meanIoU(conf []int64, k int) float64 {
	sum, classes := 0.0, 0
	for c := 0; c < k; c++ {
		tp := conf[c*k+c]
		var fp, fn int64
		for j := 0; j < k; j++ {
			if j != c {
				fn += conf[c*k+j]
				fp += conf[j*k+c]
			}
		}
		if u := tp + fp + fn; u > 0 {
			sum += float64(tp) / float64(u)
			classes++
		}
	}
	return sum / float64(max(classes, 1))
}

// save writes the weights and the training state after epoch, each
// atomically; the state is written last so that it never refers to weights
// that are not on disk.
func save(cfg Config, weightsPath, statePath string, model nn.Module, opt optim.Optimizer, rng *tensor.RNG, epoch int, ds *data.Dataset) error {
	meta := map[string]string{
		"model": cfg.Model, "data": cfg.Data, "epoch": strconv.Itoa(epoch),
		"in_channels": strconv.Itoa(ds.C), "num_classes": strconv.Itoa(ds.NumClasses),
		"mean": strconv.FormatFloat(ds.Mean(), 'g', -1, 64), "std": strconv.FormatFloat(ds.Std(), 'g', -1, 64),
	}
	if err := checkpoint.Save(weightsPath, nn.StateDict(model), meta); err != nil {
		return err
	}
	bufs, ometa := opt.State()
	rs, err := rng.MarshalBinary()
	if err != nil {
		return err
	}
	smeta := map[string]string{"model": cfg.Model, "data": cfg.Data, "opt": cfg.Opt, "epoch": strconv.Itoa(epoch),
		"rng": base64.StdEncoding.EncodeToString(rs)}
	for k, v := range ometa {
		smeta["opt."+k] = v
	}
	for path, g := range moduleRNGs(model) {
		b, err := g.MarshalBinary()
		if err != nil {
			return err
		}
		smeta["rng."+path] = base64.StdEncoding.EncodeToString(b)
	}
	return checkpoint.Save(statePath, bufs, smeta)
}

// restore loads weights and training state for --resume and returns the
// number of epochs already done.
func restore(cfg Config, weightsPath, statePath string, model nn.Module, opt optim.Optimizer, rng *tensor.RNG) (int, error) {
	bufs, smeta, err := checkpoint.Load(statePath)
	if err != nil {
		return 0, fmt.Errorf("--resume: %w", err)
	}
	if smeta["model"] != cfg.Model || smeta["opt"] != cfg.Opt || smeta["data"] != cfg.Data {
		return 0, fmt.Errorf("--resume: %s was written for model %q, data %q, optimizer %q; this run asks for %q, %q, %q",
			statePath, smeta["model"], smeta["data"], smeta["opt"], cfg.Model, cfg.Data, cfg.Opt)
	}
	epoch, err := strconv.Atoi(smeta["epoch"])
	if err != nil || epoch < 0 {
		return 0, fmt.Errorf("--resume: %s: bad epoch %q", statePath, smeta["epoch"])
	}
	rs, err := base64.StdEncoding.DecodeString(smeta["rng"])
	if err != nil {
		return 0, fmt.Errorf("--resume: %s: bad RNG state", statePath)
	}
	_, wmeta, err := checkpoint.ReadHeader(weightsPath)
	if err != nil {
		return 0, fmt.Errorf("--resume: %w", err)
	}
	if wmeta["epoch"] != smeta["epoch"] {
		// The two files are each written atomically but not together: a
		// crash between them leaves weights of one epoch beside the state
		// of another, which cannot resume exactly.
		return 0, fmt.Errorf("--resume: %s is from epoch %q but %s from epoch %q (interrupted while saving?); resume needs both from the same epoch",
			weightsPath, wmeta["epoch"], statePath, smeta["epoch"])
	}
	if err := checkpoint.LoadInto(weightsPath, nn.StateDict(model)); err != nil {
		return 0, fmt.Errorf("--resume: %w", err)
	}
	ometa := map[string]string{}
	for k, v := range smeta {
		if len(k) > 4 && k[:4] == "opt." {
			ometa[k[4:]] = v
		}
	}
	if err := opt.LoadState(bufs, ometa); err != nil {
		return 0, fmt.Errorf("--resume: %s: %w", statePath, err)
	}
	if err := rng.UnmarshalBinary(rs); err != nil {
		return 0, fmt.Errorf("--resume: %s: %w", statePath, err)
	}
	for path, g := range moduleRNGs(model) {
		b, err := base64.StdEncoding.DecodeString(smeta["rng."+path])
		if err != nil || len(b) == 0 {
			return 0, fmt.Errorf("--resume: %s: no random state for module %q", statePath, path)
		}
		if err := g.UnmarshalBinary(b); err != nil {
			return 0, fmt.Errorf("--resume: %s: module %q: %w", statePath, path, err)
		}
	}
	return epoch, nil
}

// nonFiniteParam returns the name of the first parameter holding NaN or
// ±Inf, or "".
func nonFiniteParam(model nn.Module) string {
	for _, p := range nn.Parameters(model) {
		if p.V.Value.HasNaNOrInf() {
			return p.Name
		}
	}
	return ""
}

// moduleRNGs returns the random streams of the model's stochastic modules
// (Dropout), keyed by module path, so that a resumed run draws the same
// masks as an uninterrupted one.
func moduleRNGs(model nn.Module) map[string]*tensor.RNG {
	out := map[string]*tensor.RNG{}
	nn.Walk(model, func(path string, m nn.Module) {
		if s, ok := m.(interface{ RNG() *tensor.RNG }); ok {
			out[path] = s.RNG()
		}
	})
	return out
}
