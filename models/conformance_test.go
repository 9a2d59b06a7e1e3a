package models_test

import (
	"math"
	"path/filepath"
	"testing"

	"convnet/internal/testutil"
	"convnet/models"
	"convnet/nn"
	"convnet/onnx"
	"convnet/ops"
	"convnet/tensor"
)

// TestGoModelsMatchConformanceExports builds each zoo model in Go, takes its
// weights by parameter name from the PyTorch export in
// ../shared/conformance/NAME/model.onnx (initializer names are PyTorch's
// state_dict keys), runs the stored input and compares with ONNX Runtime's
// output within 1e-4 of the output's scale.
func TestGoModelsMatchConformanceExports(t *testing.T) {
	cases := []struct {
		dir, model string
		classes    int
		short      bool // cheap enough for -short
	}{
		{"lenet5", "lenet5", 10, true},
		{"resnet20", "resnet20_proj", 10, true},
		{"squeezenet1_1", "squeezenet1_1", 1000, false},
		{"mobilenet_v2", "mobilenet_v2", 1000, false},
		{"googlenet", "googlenet-noaux", 1000, false},
		{"resnet18", "resnet18", 1000, false},
	}
	root := filepath.Join(testutil.SharedDir(t), "conformance")
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			if testing.Short() && !c.short {
				t.Skip("-short: large model")
			}
			dir := filepath.Join(root, c.dir)
			om, err := onnx.ReadModel(filepath.Join(dir, "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			in, err := onnx.ReadTensorFile(filepath.Join(dir, "test_data_set_0", "input_0.pb"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := onnx.ReadTensorFile(filepath.Join(dir, "test_data_set_0", "output_0.pb"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := models.New(c.model, nil, models.Options{NumClasses: c.classes, InChannels: in.Data.Dim(1)})
			if err != nil {
				t.Fatal(err)
			}
			sd, weights := nn.StateDict(m), om.Weights()
			src := map[string]*tensor.Tensor{}
			for k := range sd {
				w, ok := weights[k]
				if !ok {
					t.Fatalf("the export has no weight %q", k)
				}
				src[k] = w
			}
			if err := nn.LoadStateDict(m, src); err != nil {
				t.Fatal(err)
			}
			nn.Eval(m)
			restore := ops.NoGrad()
			got := m.Forward(ops.Const(in.Data)).Value
			restore()
			scale := math.Max(1, want.Data.MaxAbs())
			if !tensor.ShapeEqual(got.Shape(), want.Data.Shape()) {
				t.Fatalf("output %v, want %v", got.Shape(), want.Data.Shape())
			}
			if d := tensor.MaxAbsDiff(got, want.Data); d > 1e-4*scale {
				t.Fatalf("max abs error %.3g > 1e-4 × %.3g", d, scale)
			} else {
				t.Logf("max abs error %.3g (output scale %.3g)", d, scale)
			}
		})
	}
}
