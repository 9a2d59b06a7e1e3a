package onnx

import (
	"path/filepath"
	"testing"

	"convnet/tensor"
)

// BenchmarkResNet18Batch1 runs the imported torchvision ResNet-18 of
// ../shared/conformance on one image: with -cpuprofile it shows how much of
// the run is spent outside the op kernels (the executor's overhead).
func BenchmarkResNet18Batch1(b *testing.B) {
	dir := filepath.Join(sharedDir(b), "conformance", "resnet18")
	m, err := ReadModel(filepath.Join(dir, "model.onnx"))
	if err != nil {
		b.Fatal(err)
	}
	in, err := ReadTensorFile(filepath.Join(dir, "test_data_set_0", "input_0.pb"))
	if err != nil {
		b.Fatal(err)
	}
	x := in.Data.Slice(0, 1) // [1, 3, 224, 224]
	name := m.Inputs[0].Name
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Run(map[string]*tensor.Tensor{name: x}); err != nil {
			b.Fatal(err)
		}
	}
}
