package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"convnet/checkpoint"
	"convnet/models"
	"convnet/nn"
	"convnet/onnx"
	"convnet/ops"
	"convnet/tensor"
)

// lenetWeights saves a LeNet-5 state dict with classes outputs and returns
// the file and the model.
func lenetWeights(t *testing.T, classes int) (string, nn.Module) {
	t.Helper()
	m, err := models.New("lenet5", tensor.NewRNG(42), models.Options{NumClasses: classes})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "lenet.safetensors")
	if err := checkpoint.Save(path, nn.StateDict(m), nil); err != nil {
		t.Fatal(err)
	}
	return path, m
}

func TestONNXExportVerb(t *testing.T) {
	w, m := lenetWeights(t, 10)
	out := filepath.Join(t.TempDir(), "lenet.onnx")
	code, stdout, errs := runCLI("onnx", "export", "--model", "lenet5", "--weights", w, "-o", out)
	if code != 0 || !strings.Contains(stdout, "wrote "+out) {
		t.Fatalf("export: exit %d, stdout %q, stderr %q", code, stdout, errs)
	}
	im, err := onnx.ReadModel(out)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.Rand(tensor.NewRNG(1), 0, 1, 4, 1, 28, 28)
	got, err := im.Run(map[string]*tensor.Tensor{onnx.ExportInputName: x})
	if err != nil {
		t.Fatal(err)
	}
	nn.Eval(m)
	restore := ops.NoGrad()
	want := m.Forward(ops.Const(x)).Value
	restore()
	if d := tensor.MaxAbsDiff(got[onnx.ExportOutputName], want); d > 1e-6 {
		t.Errorf("exported LeNet-5 with loaded weights differs from the model by %g", d)
	}
}

func TestONNXExportUserErrors(t *testing.T) {
	w, _ := lenetWeights(t, 10)
	dir := t.TempDir()
	out := filepath.Join(dir, "x.onnx")
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"onnx", "export", "--model", "lenet5"}, 1, []string{"-o"}},
		{[]string{"onnx", "export", "-o", out}, 1, []string{"--model"}},
		{[]string{"onnx", "export", "--model", "lenet7", "-o", out}, 1, []string{"unknown model", "lenet7"}},
		// Weights of a 10-class LeNet into a 7-class one: the key and both shapes.
		{[]string{"onnx", "export", "--model", "lenet5", "--classes", "7", "--weights", w, "-o", out}, 1,
			[]string{"fc3.bias", "[7]", "[10]"}},
		{[]string{"onnx", "export", "--model", "resnet20", "--weights", w, "-o", out}, 1, []string{w}},
		{[]string{"onnx", "export", "--model", "lenet5", "--weights", filepath.Join(dir, "none.safetensors"), "-o", out}, 1,
			[]string{"none.safetensors"}},
		{[]string{"onnx", "export", "--model", "lenet5", "--input", "1x28", "-o", out}, 1, []string{"--input", "1x28"}},
		{[]string{"onnx", "export", "--model", "lenet5", "--input", "1x20x20", "-o", out}, 1, []string{"forward pass", "[2 1 20 20]"}},
		{[]string{"onnx", "export", "--model", "lenet5", "-o", filepath.Join(dir, "no", "such", "dir.onnx")}, 1, []string{"dir.onnx"}},
		{[]string{"onnx", "export", "--model", "lenet5", "stray", "-o", out}, 2, []string{"unexpected argument"}},
	} {
		code, _, errs := runCLI(tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d, stderr %q; want exit %d", tc.args, code, errs, tc.code)
			continue
		}
		for _, s := range tc.want {
			if !strings.Contains(errs, s) {
				t.Errorf("%v: stderr %q lacks %q", tc.args, errs, s)
			}
		}
		if strings.Count(strings.TrimRight(errs, "\n"), "\n") != 0 {
			t.Errorf("%v: error is not one line: %q", tc.args, errs)
		}
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Errorf("failed exports left files behind: %v", es)
	}
	code, _, errs := runCLI("onnx", "export", "-h")
	if code != 0 || !strings.Contains(errs, "Usage: convnet onnx export") {
		t.Fatalf("-h: exit %d, %q", code, errs)
	}
}
