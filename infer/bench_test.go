package infer

import (
	"fmt"
	"path/filepath"
	"testing"

	"convnet/internal/kernels"
	"convnet/internal/testutil"
	"convnet/nn"
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

// convLayer is one convolution shape of a benchmark: channels in and out,
// square kernel, stride, input side and groups (0: 1), with padding
// k/2 as in the models.
type convLayer struct{ in, out, k, s, hw, g int }

// resnet50Convs and mobilenetV2Convs are the distinct convolution shapes
// of ResNet-50 and MobileNet-v2 at 224×224.
var (
	resnet50Convs = []convLayer{
		{3, 64, 7, 2, 224, 0},
		{64, 64, 1, 1, 56, 0}, {64, 64, 3, 1, 56, 0}, {64, 256, 1, 1, 56, 0}, {256, 64, 1, 1, 56, 0},
		{256, 128, 1, 1, 56, 0}, {128, 128, 3, 2, 56, 0}, {256, 512, 1, 2, 56, 0}, {128, 512, 1, 1, 28, 0},
		{512, 128, 1, 1, 28, 0}, {128, 128, 3, 1, 28, 0},
		{512, 256, 1, 1, 28, 0}, {256, 256, 3, 2, 28, 0}, {512, 1024, 1, 2, 28, 0}, {256, 1024, 1, 1, 14, 0},
		{1024, 256, 1, 1, 14, 0}, {256, 256, 3, 1, 14, 0},
		{1024, 512, 1, 1, 14, 0}, {512, 512, 3, 2, 14, 0}, {1024, 2048, 1, 2, 14, 0}, {512, 2048, 1, 1, 7, 0},
		{2048, 512, 1, 1, 7, 0}, {512, 512, 3, 1, 7, 0},
	}
	mobilenetV2Convs = []convLayer{
		{3, 32, 3, 2, 224, 0}, {32, 32, 3, 1, 112, 32}, {32, 16, 1, 1, 112, 0}, {16, 96, 1, 1, 112, 0},
		{96, 96, 3, 2, 112, 96}, {96, 24, 1, 1, 56, 0}, {24, 144, 1, 1, 56, 0}, {144, 144, 3, 1, 56, 144},
		{144, 24, 1, 1, 56, 0}, {144, 144, 3, 2, 56, 144}, {144, 32, 1, 1, 28, 0}, {32, 192, 1, 1, 28, 0},
		{192, 192, 3, 1, 28, 192}, {192, 32, 1, 1, 28, 0}, {192, 192, 3, 2, 28, 192}, {192, 64, 1, 1, 14, 0},
		{64, 384, 1, 1, 14, 0}, {384, 384, 3, 1, 14, 384}, {384, 64, 1, 1, 14, 0}, {384, 96, 1, 1, 14, 0},
		{96, 576, 1, 1, 14, 0}, {576, 576, 3, 1, 14, 576}, {576, 96, 1, 1, 14, 0}, {576, 576, 3, 2, 14, 576},
		{576, 160, 1, 1, 7, 0}, {160, 960, 1, 1, 7, 0}, {960, 960, 3, 1, 7, 960}, {960, 160, 1, 1, 7, 0},
		{960, 320, 1, 1, 7, 0}, {320, 1280, 1, 1, 7, 0},
	}
)

// BenchmarkConvLayers times each distinct convolution layer of ResNet-50
// and MobileNet-v2 at 224×224, batch 1, one thread, compiled by the engine
// as the models run it (bias and ReLU fused; the engine's own choice of
// direct 1×1, im2col, Winograd or depthwise kernel), and reports GFLOP/s
// (two per multiply-add). Compare runs with benchstat:
//
//	go test ./infer -run XXX -bench ConvLayers -count 8 > new.txt
func BenchmarkConvLayers(b *testing.B) {
	defer kernels.SetThreads(kernels.Threads())
	kernels.SetThreads(1)
	for _, set := range []struct {
		model  string
		layers []convLayer
	}{{"resnet50", resnet50Convs}, {"mobilenet_v2", mobilenetV2Convs}} {
		for _, l := range set.layers {
			g := max(l.g, 1)
			p := l.k / 2
			conv := nn.NewConv2d(tensor.NewRNG(1), nn.Conv2dConfig{In: l.in, Out: l.out, Kernel: [2]int{l.k, l.k},
				Stride: [2]int{l.s, l.s}, Padding: [4]int{p, p, p, p}, Groups: g})
			m := nn.NewSequential(conv, nn.Activation("relu"))
			shape := []int{1, l.in, l.hw, l.hw}
			oh := (l.hw+2*p-l.k)/l.s + 1
			macs := float64(l.out*(l.in/g)*l.k*l.k) * float64(oh*oh)
			kind := "conv"
			if g > 1 {
				kind = "dw"
			}
			name := fmt.Sprintf("%s/%s%dx%d_s%d_%dto%d_%d", set.model, kind, l.k, l.k, l.s, l.in, l.out, l.hw)
			b.Run(name, func(b *testing.B) {
				eng, err := Compile(m, shape, &Options{Threads: 1, NoVerify: true})
				if err != nil {
					b.Fatal(err)
				}
				defer eng.Close()
				x := input(shape, 1)
				for b.Loop() {
					eng.Run(x)
				}
				b.ReportMetric(2*macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
