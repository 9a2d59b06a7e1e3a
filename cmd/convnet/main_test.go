package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"convnet/checkpoint"
	"convnet/data"
	"convnet/tensor"
)

// runCLI runs a command line in-process and returns the exit status and
// outputs.
func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// writeIDX writes a gzipped IDX file of unsigned bytes.
func writeIDX(t *testing.T, path string, dims []int, payload []byte) {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(zw, binary.BigEndian, uint32(d))
	}
	zw.Write(payload)
	zw.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tinyMNIST writes a small MNIST-shaped data set (train 64, test 32) into a
// new directory.
func tinyMNIST(t *testing.T) string {
	dir := t.TempDir()
	g := tensor.NewRNG(1)
	for _, s := range []struct {
		img, lbl string
		n        int
	}{{data.TrainImagesFile, data.TrainLabelsFile, 64}, {data.TestImagesFile, data.TestLabelsFile, 32}} {
		px := make([]byte, s.n*784)
		lb := make([]byte, s.n)
		for i := range lb {
			lb[i] = byte(g.IntN(10))
			for j := 0; j < 40; j++ {
				px[i*784+int(lb[i])*70+j] = 255
			}
		}
		writeIDX(t, filepath.Join(dir, s.img), []int{s.n, 28, 28}, px)
		writeIDX(t, filepath.Join(dir, s.lbl), []int{s.n}, lb)
	}
	return dir
}

func TestHelpOnEveryVerb(t *testing.T) {
	for _, v := range verbs {
		code, _, errOut := runCLI(v.name, "-h")
		if code != 0 || !strings.Contains(errOut, "Usage: convnet "+v.name) {
			t.Errorf("%s -h: exit %d, output %q", v.name, code, errOut)
		}
	}
	if code, out, _ := runCLI("help"); code != 0 || !strings.Contains(out, "train") {
		t.Errorf("help: exit %d, %q", code, out)
	}
}

// expectError checks a failing command: non-zero exit, one line on stderr
// containing every wanted fragment.
func expectError(t *testing.T, want []string, args ...string) {
	t.Helper()
	code, _, errOut := runCLI(args...)
	if code == 0 {
		t.Fatalf("%v: exit 0", args)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	last := lines[len(lines)-1]
	for _, w := range want {
		if !strings.Contains(last, w) {
			t.Errorf("%v: error %q lacks %q", args, last, w)
		}
	}
}

func TestUserErrors(t *testing.T) {
	dir := t.TempDir()
	expectError(t, []string{"unknown verb", "frobnicate"}, "frobnicate")
	expectError(t, []string{"unknown model", "lenet7"}, "train", "--model", "lenet7", "--out", dir)
	expectError(t, []string{"unknown data set", "cifar99"}, "train", "--data", "cifar99", "--out", dir)
	expectError(t, []string{filepath.Join(dir, "nope")}, "train", "--data-dir", filepath.Join(dir, "nope"), "--out", dir)
	expectError(t, []string{"--epochs"}, "train", "--epochs", "0", "--out", dir)
	expectError(t, []string{"bad schedule"}, "train", "--schedule", "warp", "--out", dir)
	expectError(t, []string{"epochs"}, "train", "--epochs", "many")
	expectError(t, []string{"--weights is required"}, "eval")
	corrupt := filepath.Join(dir, "corrupt.safetensors")
	os.WriteFile(corrupt, []byte("\x10\x00\x00\x00\x00\x00\x00\x00{not json}      "), 0o644)
	expectError(t, []string{corrupt}, "eval", "--weights", corrupt)
	expectError(t, []string{filepath.Join(dir, "missing.safetensors")}, "eval", "--weights", filepath.Join(dir, "missing.safetensors"))
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("failed commands left files behind: %v", entries)
	}
}

func TestTrainThenEval(t *testing.T) {
	dataDir, out := tinyMNIST(t), filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := runCLI("train", "--data-dir", dataDir, "--out", out, "--epochs", "2", "--batch", "16", "--json", "--threads", "1")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON lines, got %q", stdout)
	}
	var last map[string]float64
	if err := json.Unmarshal([]byte(lines[1]), &last); err != nil {
		t.Fatal(err)
	}
	if last["epoch"] != 2 || last["test_acc"] < 0 || last["test_acc"] > 1 {
		t.Fatalf("epoch line %v", last)
	}
	if !strings.Contains(stderr, "epoch 1/2 [") {
		t.Errorf("no progress bar on stderr: %q", stderr)
	}
	code, stdout, stderr = runCLI("eval", "--weights", filepath.Join(out, "model.safetensors"), "--data-dir", dataDir, "--json")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(stdout), &ev); err != nil {
		t.Fatal(err)
	}
	if ev["test_acc"].(float64) != last["test_acc"] {
		t.Errorf("eval accuracy %v differs from training's last test accuracy %v", ev["test_acc"], last["test_acc"])
	}
	// Training again into the same directory without --resume refuses.
	expectError(t, []string{"--resume"}, "train", "--data-dir", dataDir, "--out", out, "--epochs", "1")
}

func TestEvalStrictAndNonStrictLoads(t *testing.T) {
	dataDir, out := tinyMNIST(t), filepath.Join(t.TempDir(), "run")
	if code, _, stderr := runCLI("train", "--data-dir", dataDir, "--out", out, "--epochs", "1", "--batch", "32"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	// The same weights with a 5-class head and an extra tensor.
	sd, meta, err := checkpoint.Load(filepath.Join(out, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	sd["fc3.weight"], sd["extra.weight"] = tensor.New(5, 84), tensor.New(2)
	w := filepath.Join(t.TempDir(), "odd.safetensors")
	if err := checkpoint.Save(w, sd, meta); err != nil {
		t.Fatal(err)
	}
	expectError(t, []string{"fc3.weight", "[10 84]", "[5 84]"}, "eval", "--weights", w, "--data-dir", dataDir)
	code, stdout, stderr := runCLI("eval", "--weights", w, "--data-dir", dataDir, "--strict=false")
	if code != 0 || !strings.Contains(stderr, "loaded 9 tensors") || !strings.Contains(stderr, "fc3.weight: model [10 84], file [5 84]") ||
		!strings.Contains(stderr, "not in the model (extra.weight)") || !strings.Contains(stdout, "accuracy") {
		t.Fatalf("non-strict eval: exit %d, stderr %q, stdout %q", code, stderr, stdout)
	}
}
