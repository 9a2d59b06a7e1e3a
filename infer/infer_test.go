package infer

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"convnet/internal/kernels"
	"convnet/internal/testutil"
	"convnet/models"
	"convnet/nn"
	"convnet/onnx"
	"convnet/ops"
	"convnet/tensor"
)

// zooCase is one model of the registry compiled for one input shape.
type zooCase struct {
	name  string
	shape []int
	opts  models.Options
	short bool // cheap enough for -short
}

var zoo = []zooCase{
	{"lenet5", []int{2, 1, 28, 28}, models.Options{}, true},
	{"resnet20", []int{2, 3, 32, 32}, models.Options{InChannels: 3}, true},
	{"resnet18", []int{1, 3, 64, 64}, models.Options{}, true},
	{"mobilenet_v2", []int{1, 3, 64, 64}, models.Options{}, true},
	{"efficientnet_b0", []int{1, 3, 64, 64}, models.Options{}, false},
	{"googlenet-noaux", []int{1, 3, 64, 64}, models.Options{}, false},
}

// newModel builds a registry model with random weights and non-trivial
// BatchNorm statistics, so that folding is exercised.
func newModel(t testing.TB, name string, o models.Options) nn.Module {
	t.Helper()
	m, err := models.New(name, tensor.NewRNG(7), o)
	if err != nil {
		t.Fatal(err)
	}
	g := tensor.NewRNG(11)
	for _, b := range nn.Buffers(m) {
		d := b.T.Data()
		for i := range d {
			switch {
			case strings.HasSuffix(b.Name, "running_mean"):
				d[i] = float32(0.1 * g.NormFloat64())
			case strings.HasSuffix(b.Name, "running_var"):
				d[i] = float32(0.5 + g.Float64())
			}
		}
	}
	return m
}

// plain runs the model's ordinary evaluation-mode forward pass.
func plain(m nn.Module, x *tensor.Tensor) *tensor.Tensor {
	defer ops.NoGrad()()
	nn.Eval(m)
	return m.Forward(ops.Const(x)).Value
}

// input returns a deterministic pseudo-random input.
func input(shape []int, seed uint64) *tensor.Tensor {
	x := tensor.New(shape...)
	randomInput(x, seed)
	return x
}

// closeTo fails unless got is within 1e-4 of want's scale.
func closeTo(t *testing.T, got, want *tensor.Tensor) {
	t.Helper()
	if !tensor.ShapeEqual(got.Shape(), want.Shape()) {
		t.Fatalf("output %v, want %v", got.Shape(), want.Shape())
	}
	scale := math.Max(1, want.MaxAbs())
	d := tensor.MaxAbsDiff(got, want)
	if !(d <= 1e-4*scale) {
		t.Fatalf("max abs error %.3g > 1e-4 × %.3g", d, scale)
	}
	t.Logf("max abs error %.3g (output scale %.3g)", d, scale)
}

func TestEngineMatchesForward(t *testing.T) {
	for _, c := range zoo {
		for _, fuse := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/fuse=%v", c.name, fuse), func(t *testing.T) {
				if testing.Short() && !c.short {
					t.Skip("-short: large model")
				}
				m := newModel(t, c.name, c.opts)
				eng, err := Compile(m, c.shape, &Options{NoFuse: !fuse})
				if err != nil {
					t.Fatal(err)
				}
				defer eng.Close()
				t.Logf("ops after passes: %v", eng.Graph().OpCounts())
				planned, unplanned := eng.MemoryFloats()
				t.Logf("activation memory: %d floats planned, %d without reuse", planned, unplanned)
				for seed := uint64(2); seed < 4; seed++ {
					x := input(c.shape, seed)
					closeTo(t, eng.Run(x), plain(m, x))
				}
			})
		}
	}
}

func TestONNXConformance(t *testing.T) {
	root := filepath.Join(testutil.SharedDir(t), "conformance")
	for _, dir := range []string{"resnet18", "mobilenet_v2"} {
		t.Run(dir, func(t *testing.T) {
			om, err := onnx.ReadModel(filepath.Join(root, dir, "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			in, err := onnx.ReadTensorFile(filepath.Join(root, dir, "test_data_set_0", "input_0.pb"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := onnx.ReadTensorFile(filepath.Join(root, dir, "test_data_set_0", "output_0.pb"))
			if err != nil {
				t.Fatal(err)
			}
			eng, err := CompileONNX(om, in.Data.Shape(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			t.Logf("ops after passes: %v", eng.Graph().OpCounts())
			closeTo(t, eng.Run(in.Data), want.Data)
		})
	}
}

// TestRunDoesNotAllocate checks that a warm engine's Run allocates nothing,
// with one goroutine and with several.
func TestRunDoesNotAllocate(t *testing.T) {
	for _, c := range zoo {
		for _, threads := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/threads=%d", c.name, threads), func(t *testing.T) {
				if testing.Short() && !c.short {
					t.Skip("-short: large model")
				}
				m := newModel(t, c.name, c.opts)
				eng, err := Compile(m, c.shape, &Options{Threads: threads})
				if err != nil {
					t.Fatal(err)
				}
				defer eng.Close()
				x := input(c.shape, 5)
				eng.Run(x)
				if a := testing.AllocsPerRun(5, func() { eng.Run(x) }); a != 0 {
					t.Fatalf("Run allocates %v times per call", a)
				}
			})
		}
	}
}

// TestDeterministicAcrossThreads checks that the output is bit-identical
// at every thread count.
func TestDeterministicAcrossThreads(t *testing.T) {
	for _, c := range zoo {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && !c.short {
				t.Skip("-short: large model")
			}
			m := newModel(t, c.name, c.opts)
			checkThreads(t, m, c.shape, input(c.shape, 9), nil, []int{1, 2, 3, 5}, nil)
		})
	}
}

// TestPassesFoldAndFuse checks that in ResNet-18 and MobileNet v2 every
// BatchNorm folds into its convolution and every activation and residual
// add fuses into a convolution epilogue.
func TestPassesFoldAndFuse(t *testing.T) {
	for _, name := range []string{"resnet18", "mobilenet_v2"} {
		m := newModel(t, name, models.Options{})
		eng, err := Compile(m, []int{1, 3, 64, 64}, &Options{NoVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range []string{"BatchNorm", "affine", "act", "add", "relu", "relu6"} {
			if c := eng.Graph().OpCounts()[op]; c != 0 {
				t.Errorf("%s: %d %s nodes left after the passes:\n%s", name, c, op, eng.Graph())
			}
		}
		eng.Close()
	}
}

// TestUnsupportedOpIsNamed checks that an op without an executor is an
// error naming it (the 1998 LeNet-5 uses tanh).
func TestUnsupportedOpIsNamed(t *testing.T) {
	m := newModel(t, "lenet5-1998", models.Options{})
	_, err := Compile(m, []int{1, 1, 28, 28}, nil)
	if err == nil || !strings.Contains(err.Error(), `"tanh"`) {
		t.Fatalf("got error %v, want one naming tanh", err)
	}
}

// TestRunRejectsOtherShapes checks the panic message of a wrong input.
func TestRunRejectsOtherShapes(t *testing.T) {
	m := newModel(t, "lenet5", models.Options{})
	eng, err := Compile(m, []int{1, 1, 28, 28}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "[2 1 28 28]") {
			t.Fatalf("panic %v, want one naming the shape", r)
		}
	}()
	eng.Run(tensor.New(2, 1, 28, 28))
}

// TestLinearPaths checks LeNet-5 (whose classifier is three linear layers)
// at batches on both sides of kernels.EngLinearMaxBatch(), where the
// linear steps switch from matrix-vector products to the packed GEMM:
// against the plain forward pass, and bit for bit across thread counts.
func TestLinearPaths(t *testing.T) {
	m := newModel(t, "lenet5", models.Options{})
	for _, b := range []int{1, 3, kernels.EngLinearMaxBatch(), kernels.EngLinearMaxBatch() + 1} {
		t.Run(fmt.Sprintf("batch=%d", b), func(t *testing.T) {
			shape := []int{b, 1, 28, 28}
			x := input(shape, 13)
			checkThreads(t, m, shape, x, plain(m, x), []int{1, 2, 3}, nil)
		})
	}
}

// TestConvByImage checks the batch split of the convolutions (whole images
// per goroutine, convStep.byImage; whole groups of images per goroutine
// for Winograd, winoStep.byGroup) on batches of 4 to 8: row-chunked
// stems, 1×1 and strided convolutions, residual and activation
// epilogues; against the plain forward pass and bit for bit across 1, 2
// and 3 threads (batch 4 on 3 threads keeps the shared split).
func TestConvByImage(t *testing.T) {
	for _, c := range []zooCase{
		{"resnet18", []int{4, 3, 64, 64}, models.Options{}, true},
		{"resnet20", []int{8, 3, 32, 32}, models.Options{InChannels: 3}, true},
		{"mobilenet_v2", []int{6, 3, 48, 48}, models.Options{}, true},
		{"squeezenet1_1", []int{4, 3, 64, 64}, models.Options{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && !c.short {
				t.Skip("-short: large model")
			}
			m := newModel(t, c.name, c.opts)
			x := input(c.shape, 21)
			checkThreads(t, m, c.shape, x, plain(m, x), []int{1, 2, 3}, func(threads int, eng *Engine) {
				split, wino := 0, 0
				for _, s := range eng.e.steps {
					if cs, ok := s.(*convStep); ok && cs.byImage {
						split++
					}
					if ws, ok := s.(*winoStep); ok && ws.byGroup {
						wino++
					}
				}
				if threads == 2 && split == 0 {
					t.Fatalf("2 threads, batch %d: no convolution splits the batch", c.shape[0])
				}
				if threads == 2 && c.name == "resnet20" && wino == 0 {
					t.Fatalf("2 threads, batch %d: no Winograd convolution splits the batch", c.shape[0])
				}
			})
		})
	}
}

// checkThreads compiles m for shape on each of the thread counts (the
// first taken as the reference), calls inspect (when not nil) with each
// engine, and runs it on x: the first output must be close to want (when
// not nil), every later one bit for bit the first.
func checkThreads(t *testing.T, m nn.Module, shape []int, x, want *tensor.Tensor, threads []int, inspect func(threads int, eng *Engine)) {
	t.Helper()
	var ref *tensor.Tensor
	for _, th := range threads {
		eng, err := Compile(m, shape, &Options{Threads: th, NoVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		if inspect != nil {
			inspect(th, eng)
		}
		got := eng.Run(x).Clone()
		eng.Close()
		if ref == nil {
			if want != nil {
				closeTo(t, got, want)
			}
			ref = got
			continue
		}
		sameBits(t, th, got, ref)
	}
}

// sameBits fails unless got, computed on the given number of threads, is
// bit for bit the one-thread output ref.
func sameBits(t *testing.T, threads int, got, ref *tensor.Tensor) {
	t.Helper()
	for i, v := range got.Data() {
		if math.Float32bits(v) != math.Float32bits(ref.Data()[i]) {
			t.Fatalf("threads=%d: output[%d] = %g, with one thread %g", threads, i, v, ref.Data()[i])
		}
	}
}
