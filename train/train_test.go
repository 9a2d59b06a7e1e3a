package train

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"convnet/checkpoint"
	"convnet/data"
	"convnet/tensor"
)

// synthetic returns a small learnable 10-class data set of 1×28×28 images:
// class k lights up a 4×4 square at a class-specific place, plus noise.
func synthetic(n int, seed uint64) *data.Dataset {
	g := tensor.NewRNG(seed)
	ds := &data.Dataset{Name: "synthetic", N: n, C: 1, H: 28, W: 28, NumClasses: 10,
		Images: make([]uint8, n*28*28), Labels: make([]int, n)}
	for i := 0; i < n; i++ {
		k := g.IntN(10)
		ds.Labels[i] = k
		img := ds.Images[i*784 : (i+1)*784]
		for j := range img {
			img[j] = uint8(g.IntN(60))
		}
		y0, x0 := 2+(k/5)*12, 2+(k%5)*5
		for y := y0; y < y0+4; y++ {
			for x := x0; x < x0+4; x++ {
				img[y*28+x] = 255
			}
		}
	}
	return ds
}

func baseConfig(out string) Config {
	return Config{Model: "lenet5", Data: "mnist", Epochs: 2, Batch: 16, Opt: "sgd", LR: 0.05, Momentum: 0.9,
		Schedule: "cos", Seed: 7, Threads: 1, Out: out, Stdout: io.Discard, Progress: io.Discard}
}

// weights loads a run's saved state dict.
func weights(t *testing.T, dir string) map[string]*tensor.Tensor {
	t.Helper()
	w, _, err := checkpoint.Load(filepath.Join(dir, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func sameWeights(t *testing.T, a, b map[string]*tensor.Tensor, what string) {
	t.Helper()
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%s: %d vs %d tensors", what, len(a), len(b))
	}
	for k, v := range a {
		if d := tensor.MaxAbsDiff(v, b[k]); d != 0 {
			t.Fatalf("%s: %s differs by %g", what, k, d)
		}
	}
}

func TestFitLearnsAndReports(t *testing.T) {
	trainSet, testSet := synthetic(256, 1), synthetic(64, 2)
	var out bytes.Buffer
	cfg := baseConfig(t.TempDir())
	cfg.Epochs, cfg.JSON, cfg.Stdout = 3, true, &out
	res, err := Fit(cfg, trainSet, testSet)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[2].TestAcc < 0.9 {
		t.Fatalf("results %+v", res)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 JSON lines, got %q", out.String())
	}
	for _, key := range []string{`"epoch":3`, `"train_loss"`, `"train_acc"`, `"test_loss"`, `"test_acc"`, `"seconds"`, `"images_per_s"`} {
		if !strings.Contains(lines[2], key) {
			t.Errorf("JSON line lacks %s: %s", key, lines[2])
		}
	}
}

func TestDeterministicAcrossThreads(t *testing.T) {
	trainSet, testSet := synthetic(96, 3), synthetic(32, 4)
	var runs []map[string]*tensor.Tensor
	for _, th := range []int{1, 2} {
		cfg := baseConfig(t.TempDir())
		cfg.Epochs, cfg.Threads = 1, th
		if _, err := Fit(cfg, trainSet, testSet); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, weights(t, cfg.Out))
	}
	sameWeights(t, runs[0], runs[1], "threads 1 vs 2")
}

func TestResumeContinuesExactly(t *testing.T) {
	trainSet, testSet := synthetic(96, 5), synthetic(32, 6)
	for _, opt := range []string{"sgd", "adam"} {
		full := baseConfig(t.TempDir())
		full.Opt, full.Epochs = opt, 3
		if opt == "adam" {
			full.LR = 1e-3
		}
		if _, err := Fit(full, trainSet, testSet); err != nil {
			t.Fatal(err)
		}
		part := full
		part.Out, part.Epochs = t.TempDir(), 1
		if _, err := Fit(part, trainSet, testSet); err != nil {
			t.Fatal(err)
		}
		part.Epochs, part.Resume = 3, true
		res, err := Fit(part, trainSet, testSet)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 2 || res[0].Epoch != 2 {
			t.Fatalf("%s: resumed epochs %+v", opt, res)
		}
		sameWeights(t, weights(t, full.Out), weights(t, part.Out), opt+": resumed vs uninterrupted")
	}
}

func TestNaNStopsAndKeepsCheckpoint(t *testing.T) {
	trainSet, testSet := synthetic(96, 7), synthetic(32, 8)
	cfg := baseConfig(t.TempDir())
	cfg.Epochs = 1
	if _, err := Fit(cfg, trainSet, testSet); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(cfg.Out, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Epochs, cfg.Resume, cfg.LR, cfg.Schedule = 4, true, 1e12, "const"
	_, err = Fit(cfg, trainSet, testSet)
	if err == nil || !strings.Contains(err.Error(), "diverged at step") || !strings.Contains(err.Error(), "epoch 1") {
		t.Fatalf("want a divergence error naming the step and the kept epoch, got %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(cfg.Out, WeightsFile))
	if !bytes.Equal(before, after) {
		t.Fatal("the last good checkpoint was overwritten")
	}
}

func TestBadRunsLoseNothing(t *testing.T) {
	trainSet, testSet := synthetic(32, 9), synthetic(16, 10)
	cfg := baseConfig(t.TempDir())
	cfg.Epochs = 1
	if _, err := Fit(cfg, trainSet, testSet); err != nil {
		t.Fatal(err)
	}
	saved, _ := os.ReadFile(filepath.Join(cfg.Out, WeightsFile))
	expect := func(name string, c Config, want ...string) {
		t.Helper()
		_, err := Fit(c, trainSet, testSet)
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") {
			t.Errorf("%s: error is not one line: %q", name, msg)
		}
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: error %q lacks %q", name, msg, w)
			}
		}
		if now, _ := os.ReadFile(filepath.Join(cfg.Out, WeightsFile)); !bytes.Equal(saved, now) {
			t.Fatalf("%s: the saved checkpoint changed", name)
		}
	}
	c := cfg
	expect("no resume over a checkpoint", c, "--resume")
	c = cfg
	c.Resume, c.Model = true, "lenet5-1998"
	expect("resume with another model", c, "lenet5-1998", "lenet5")
	c = cfg
	c.Model = "resnet9000"
	expect("unknown model", c, "unknown model", "resnet9000")
	c = cfg
	c.Opt = "rmsprop"
	expect("unknown optimizer", c, "rmsprop")
	c = cfg
	c.Resume, c.Epochs = true, 1
	expect("nothing left to train", c, "already trained")

	// Weights whose shapes do not match the model.
	other := t.TempDir()
	bad := map[string]*tensor.Tensor{}
	for k, v := range weights(t, cfg.Out) {
		bad[k] = v
	}
	bad["fc3.weight"] = tensor.New(5, 84)
	_, meta, err := checkpoint.Load(filepath.Join(cfg.Out, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.Save(filepath.Join(other, WeightsFile), bad, meta); err != nil {
		t.Fatal(err)
	}
	st, _ := os.ReadFile(filepath.Join(cfg.Out, StateFile))
	if err := os.WriteFile(filepath.Join(other, StateFile), st, 0o644); err != nil {
		t.Fatal(err)
	}
	c = cfg
	c.Out, c.Resume, c.Epochs = other, true, 2
	expect("mismatched checkpoint shapes", c, "fc3.weight", "[10 84]", "[5 84]")

	// A corrupt training-state file.
	if err := os.WriteFile(filepath.Join(other, StateFile), []byte("not safetensors"), 0o644); err != nil {
		t.Fatal(err)
	}
	expect("corrupt state", c, StateFile)
}

func TestMeanIoU(t *testing.T) {
	// labels×predictions: class 0: tp 3, fn 1 (predicted 1), fp 0; class 1: tp 2, fp 1, fn 0.
	conf := []int64{3, 1, 0, 2}
	want := (3.0/4 + 2.0/3) / 2
	if got := meanIoU(conf, 2); got < want-1e-12 || got > want+1e-12 {
		t.Fatalf("mean IoU %v, want %v", got, want)
	}
	// A class that never occurs is left out of the mean.
	if got := meanIoU([]int64{5, 0, 0, 0}, 2); got != 1 {
		t.Fatalf("mean IoU %v, want 1", got)
	}
}

func TestSegmentationRun(t *testing.T) {
	trainSet, testSet := data.Segmentation(synthetic(48, 11), 200), data.Segmentation(synthetic(16, 12), 200)
	cfg := baseConfig(t.TempDir())
	cfg.Model, cfg.Data, cfg.Epochs, cfg.Batch = "unet_small", "mnist-seg", 2, 8
	res, err := Fit(cfg, trainSet, testSet)
	if err != nil {
		t.Fatal(err)
	}
	r := res[len(res)-1]
	if r.TestMIoU <= 0 || r.TestMIoU > 1 || r.TestAcc < 0.5 || r.TrainAcc > 1 {
		t.Fatalf("segmentation metrics %+v", r)
	}
}

func TestDivergenceAtTheEndOfAnEpochKeepsCheckpoint(t *testing.T) {
	// One batch per epoch: the first epoch's only step already breaks the
	// weights after its (finite) loss was checked.
	trainSet, testSet := synthetic(16, 13), synthetic(16, 14)
	cfg := baseConfig(t.TempDir())
	cfg.Epochs, cfg.Batch = 1, 16
	if _, err := Fit(cfg, trainSet, testSet); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(cfg.Out, WeightsFile))
	cfg.Epochs, cfg.Resume, cfg.LR, cfg.Schedule = 2, true, 1e38, "const"
	_, err := Fit(cfg, trainSet, testSet)
	if err == nil || !strings.Contains(err.Error(), "diverged") || !strings.Contains(err.Error(), "epoch 1") {
		t.Fatalf("want a divergence error keeping epoch 1, got %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(cfg.Out, WeightsFile)); !bytes.Equal(before, after) {
		t.Fatal("broken weights were saved over the last good checkpoint")
	}
}

func TestResumeRefusesWeightsAndStateOfDifferentEpochs(t *testing.T) {
	trainSet, testSet := synthetic(32, 15), synthetic(16, 16)
	one, two := baseConfig(t.TempDir()), baseConfig(t.TempDir())
	one.Epochs, two.Epochs = 1, 2
	for _, c := range []Config{one, two} {
		if _, err := Fit(c, trainSet, testSet); err != nil {
			t.Fatal(err)
		}
	}
	// A crash between the two writes: epoch-2 weights beside epoch-1 state.
	w, _ := os.ReadFile(filepath.Join(two.Out, WeightsFile))
	if err := os.WriteFile(filepath.Join(one.Out, WeightsFile), w, 0o644); err != nil {
		t.Fatal(err)
	}
	one.Resume, one.Epochs = true, 3
	_, err := Fit(one, trainSet, testSet)
	if err == nil || !strings.Contains(err.Error(), "same epoch") {
		t.Fatalf("want an error about mixed epochs, got %v", err)
	}
}
