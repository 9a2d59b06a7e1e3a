package infer

import (
	"fmt"
	"math"
	"testing"

	"convnet/models"
	"convnet/nn"
	"convnet/tensor"
)

// winoZoo are the models whose 3×3 convolutions TestWinogradMatchesForward
// runs through Winograd F(4×4, 3×3), at small inputs.
var winoZoo = []zooCase{
	{"resnet20", []int{2, 3, 32, 32}, models.Options{InChannels: 3}, true},
	{"resnet18", []int{1, 3, 64, 64}, models.Options{}, true},
	{"resnet50", []int{1, 3, 64, 64}, models.Options{}, false},
	{"resnet18", []int{2, 3, 96, 80}, models.Options{}, false},
}

// winogradTol is the tolerance of an engine using Winograd F(4×4, 3×3)
// against the plain forward pass, relative to the output's scale (as the
// other engine tests). Measured max abs errors, as fractions of the output
// scale: resnet20 2e-7, resnet18 9.7e-7, resnet50 1.1e-6, resnet18 at
// 2×3×96×80 8.2e-7; the kernel test against a naive float64 convolution
// measured up to 2.6e-5 on an output scale of 3 (9e-6 of it).
const winogradTol = 1e-4

// TestWinogradMatchesForward checks, with every eligible convolution run by
// Winograd, the output against the plain forward pass, bit-identical
// results at 1 and 3 threads, and that Run does not allocate.
func TestWinogradMatchesForward(t *testing.T) {
	for _, c := range winoZoo {
		t.Run(fmt.Sprintf("%s/%v", c.name, c.shape), func(t *testing.T) {
			if testing.Short() && !c.short {
				t.Skip("-short: large model")
			}
			m := newModel(t, c.name, c.opts)
			var ref *tensor.Tensor
			x := input(c.shape, 3)
			for _, threads := range []int{1, 3} {
				eng, err := Compile(m, c.shape, &Options{Threads: threads, Winograd: WinogradAll})
				if err != nil {
					t.Fatal(err)
				}
				if threads == 1 {
					var ws int
					for _, s := range eng.e.steps {
						if _, ok := s.(*winoStep); ok {
							ws++
						}
					}
					if ws == 0 {
						t.Fatal("no convolution runs by Winograd")
					}
					t.Logf("%d Winograd convolutions", ws)
				}
				got := eng.Run(x)
				want := plain(m, x)
				scale := math.Max(1, want.MaxAbs())
				d := tensor.MaxAbsDiff(got, want)
				if !(d <= winogradTol*scale) {
					t.Fatalf("threads=%d: max abs error %.3g > %g × %.3g", threads, d, winogradTol, scale)
				}
				t.Logf("threads=%d: max abs error %.3g (output scale %.3g, %.2g of it)", threads, d, scale, d/scale)
				if ref == nil {
					ref = got.Clone()
				} else {
					sameBits(t, threads, got, ref)
				}
				if a := testing.AllocsPerRun(3, func() { eng.Run(x) }); a != 0 {
					t.Fatalf("threads=%d: Run allocates %v times per call", threads, a)
				}
				eng.Close()
			}
		})
	}
}

// BenchmarkConv3x3 times one 3×3 stride-1 convolution (with bias and ReLU
// fused) of the shapes of ResNet's stages at 224×224, on one thread, by
// im2col and GEMM and by Winograd; the numbers behind winogradRule.
func BenchmarkConv3x3(b *testing.B) {
	for _, c := range []struct{ batch, ch, hw int }{
		{1, 16, 32}, {1, 32, 16}, {1, 64, 8},
		{1, 64, 56}, {1, 128, 28}, {1, 256, 14}, {1, 512, 7},
		{8, 512, 7}, {1, 64, 4}, {1, 256, 8},
	} {
		conv := nn.NewConv2d(tensor.NewRNG(1), nn.Conv2dConfig{In: c.ch, Out: c.ch, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [4]int{1, 1, 1, 1}})
		m := nn.NewSequential(conv, nn.Activation("relu"))
		shape := []int{c.batch, c.ch, c.hw, c.hw}
		x := input(shape, 1)
		for _, mode := range []WinogradMode{WinogradOff, WinogradAll} {
			name := map[WinogradMode]string{WinogradOff: "gemm", WinogradAll: "winograd"}[mode]
			b.Run(fmt.Sprintf("b%d_c%d_%dx%d/%s", c.batch, c.ch, c.hw, c.hw, name), func(b *testing.B) {
				eng, err := Compile(m, shape, &Options{Threads: 1, NoVerify: true, Winograd: mode})
				if err != nil {
					b.Fatal(err)
				}
				defer eng.Close()
				for b.Loop() {
					eng.Run(x)
				}
				b.ReportMetric(2*9*float64(c.batch*c.ch*c.ch*c.hw*c.hw)/b.Elapsed().Seconds()*float64(b.N)/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkWinogradModels times the engine at batch 1 on one thread with
// Winograd off and by the rule: ResNet-18 and -50 at 224×224, the CIFAR
// ResNet-20 at 32×32.
func BenchmarkWinogradModels(b *testing.B) {
	for _, c := range []struct {
		name  string
		shape []int
		opts  models.Options
	}{
		{"resnet18", []int{1, 3, 224, 224}, models.Options{}},
		{"resnet50", []int{1, 3, 224, 224}, models.Options{}},
		{"resnet20", []int{1, 3, 32, 32}, models.Options{InChannels: 3}},
	} {
		name, shape := c.name, c.shape
		m := newModel(b, name, c.opts)
		x := input(shape, 3)
		for _, mode := range []WinogradMode{WinogradOff, WinogradAuto} {
			eng, err := Compile(m, shape, &Options{Threads: 1, NoVerify: true, Winograd: mode})
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s/%s", name, map[WinogradMode]string{WinogradOff: "gemm", WinogradAuto: "auto"}[mode]), func(b *testing.B) {
				for b.Loop() {
					eng.Run(x)
				}
			})
			eng.Close()
		}
	}
}
