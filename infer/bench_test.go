package infer

import (
	"fmt"
	"path/filepath"
	"testing"

	"convnet/internal/kernels"
	"convnet/internal/testutil"
	"convnet/onnx"
	"convnet/tensor"
)

// BenchmarkForward compares, at batch 1 and 224×224 on one thread, the
// plain evaluation-mode forward pass of a model with its compiled engine.
// Run with -bench Forward -count N and compare the medians (benchstat).
func BenchmarkForward(b *testing.B) {
	defer kernels.SetThreads(kernels.Threads())
	kernels.SetThreads(1)
	b.Logf("SGEMM micro-kernel %s", kernels.GemmKernel())
	shape := []int{1, 3, 224, 224}
	for _, name := range []string{"resnet18", "resnet50", "mobilenet_v2"} {
		m := newModel(b, name, zooCase{}.opts)
		x := input(shape, 3)
		eng, err := Compile(m, shape, &Options{Threads: 1, NoVerify: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s/plain", name), func(b *testing.B) {
			for b.Loop() {
				plain(m, x)
			}
		})
		b.Run(fmt.Sprintf("%s/engine", name), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				eng.Run(x)
			}
		})
		eng.Close()
		unfused, err := Compile(m, shape, &Options{Threads: 1, NoVerify: true, NoFuse: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s/engine-nofuse", name), func(b *testing.B) {
			for b.Loop() {
				unfused.Run(x)
			}
		})
		unfused.Close()
	}
}

// BenchmarkONNXResNet18Engine runs the imported torchvision ResNet-18 of
// ../shared/conformance compiled by CompileONNX on one image: with
// -cpuprofile it shows the executor's share of the run next to
// onnx.BenchmarkResNet18Batch1's interpreted import.
func BenchmarkONNXResNet18Engine(b *testing.B) {
	dir := filepath.Join(testutil.SharedDir(b), "conformance", "resnet18")
	m, err := onnx.ReadModel(filepath.Join(dir, "model.onnx"))
	if err != nil {
		b.Fatal(err)
	}
	eng, err := CompileONNX(m, []int{1, 3, 224, 224}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	x := tensor.Randn(tensor.NewRNG(1), 0, 1, 1, 3, 224, 224)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		eng.Run(x)
	}
}
