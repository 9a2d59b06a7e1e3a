package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"convnet/models"
	"convnet/nn"
	"convnet/ops"
	"convnet/tensor"
)

// exportCase is a zoo model exported at a small input size.
type exportCase struct {
	name  string
	input []int // C, H, W
}

// Models whose export the tests import back with this package.
var roundTripCases = []exportCase{
	{"lenet5", []int{1, 28, 28}},
	{"lenet5-1998", []int{1, 28, 28}},
	{"resnet20", []int{3, 32, 32}},
	{"resnet20_proj", []int{3, 32, 32}},
	{"mobilenet_v2", []int{3, 64, 64}},
	{"efficientnet_b0", []int{3, 64, 64}},
}

// Models whose export the tests run with ONNX Runtime. U-Net's
// ConvTranspose is not yet imported by this package, so it is checked here
// only.
var ortCases = []exportCase{
	{"lenet5", []int{1, 28, 28}},
	{"resnet20", []int{3, 32, 32}},
	{"mobilenet_v2", []int{3, 64, 64}},
	{"efficientnet_b0", []int{3, 64, 64}},
	{"unet_small", []int{1, 28, 28}},
	{"unet_bilinear", []int{3, 19, 23}}, // Resize to sizes that are not multiples
	{"resnet18", []int{3, 64, 64}},
}

// testModel builds a zoo model with random weights and random BatchNorm
// statistics and affine parameters, so that evaluation mode is not the
// identity that fresh statistics would make it.
func testModel(t *testing.T, name string) nn.Module {
	t.Helper()
	g := tensor.NewRNG(7)
	m, err := models.New(name, g, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range nn.Buffers(m) {
		switch {
		case strings.HasSuffix(b.Name, "running_mean"):
			b.T.FillUniform(g, -0.2, 0.2)
		case strings.HasSuffix(b.Name, "running_var"):
			b.T.FillUniform(g, 0.5, 1.5)
		}
	}
	for _, p := range nn.Parameters(m) {
		if p.V.Value.NDim() != 1 {
			continue
		}
		if strings.HasSuffix(p.Name, "weight") {
			p.V.Value.FillUniform(g, 0.5, 1.5)
		} else {
			p.V.Value.FillUniform(g, -0.2, 0.2)
		}
	}
	nn.Eval(m)
	return m
}

// goForward computes m's output on x in evaluation mode.
func goForward(m nn.Module, x *tensor.Tensor) *tensor.Tensor {
	defer ops.NoGrad()()
	return m.Forward(ops.Const(x)).Value
}

// exportBytes exports m and encodes the model.
func exportBytes(t *testing.T, m nn.Module, input []int) []byte {
	t.Helper()
	mp, err := Export(m, ExportOptions{Input: input})
	if err != nil {
		t.Fatal(err)
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// diffStats compares got with want: the largest absolute difference, and
// that difference relative to the largest output magnitude (the scale of
// the output; element-wise relative errors of logits near zero would
// measure float32 cancellation, not the export).
func diffStats(got, want *tensor.Tensor) (maxAbs, rel float64) {
	wd := want.Data()
	for i, g := range got.Data() {
		d := math.Abs(float64(g) - float64(wd[i]))
		if math.IsNaN(d) {
			return math.Inf(1), math.Inf(1)
		}
		maxAbs = max(maxAbs, d)
	}
	return maxAbs, maxAbs / max(want.MaxAbs(), 1e-30)
}

func TestExportRoundTrip(t *testing.T) {
	for _, c := range roundTripCases {
		t.Run(c.name, func(t *testing.T) {
			m := testModel(t, c.name)
			b := exportBytes(t, m, c.input)
			// A batch of 3 checks that the batch dimension is dynamic (the
			// trace used 2).
			x := tensor.Rand(tensor.NewRNG(3), -1, 1, append([]int{3}, c.input...)...)
			want := goForward(m, x)
			im, err := ParseModel(b, "")
			if err != nil {
				t.Fatalf("importing the export: %v", err)
			}
			if len(im.Inputs) != 1 || im.Inputs[0].Shape[0] != -1 || len(im.Outputs) != 1 || im.Outputs[0].Shape[0] != -1 {
				t.Fatalf("inputs %+v, outputs %+v: want one of each with a symbolic batch", im.Inputs, im.Outputs)
			}
			outs, err := im.Run(map[string]*tensor.Tensor{ExportInputName: x})
			if err != nil {
				t.Fatal(err)
			}
			got := outs[ExportOutputName]
			if got == nil || !tensor.SameShape(got, want) {
				t.Fatalf("output %v, want shape %v", got, want.Shape())
			}
			maxAbs, maxRel := diffStats(got, want)
			t.Logf("%s: %d nodes, max |Δ| %.3g (max|y| %.3g), relative %.3g", c.name, im.NumNodes(), maxAbs, want.MaxAbs(), maxRel)
			if maxAbs > 1e-6*max(1, want.MaxAbs()) {
				t.Errorf("imported export differs from the Go model: max |Δ| %g", maxAbs)
			}
			// Every parameter and buffer is an initializer under its
			// state-dict key.
			sd := im.StateDict()
			for k, v := range nn.StateDict(m) {
				if w, ok := sd[k]; !ok || tensor.MaxAbsDiff(v, w) != 0 {
					t.Errorf("initializer %q missing or different", k)
				}
			}
		})
	}
}

// ortDir is the directory of the ONNX Runtime helper (tools/ort).
const ortDir = "../tools/ort"

// requireORT fails the test unless node and onnxruntime-node are installed.
func requireORT(t *testing.T) {
	t.Helper()
	const how = "test.sh installs it; by hand: cd tools/ort && npm ci --ignore-scripts (needs node and npm)"
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not installed (%v); the ONNX Runtime check needs node and onnxruntime-node: %s", err, how)
	}
	if _, err := os.Stat(filepath.Join(ortDir, "node_modules", "onnxruntime-node", "package.json")); err != nil {
		t.Fatalf("onnxruntime-node is missing (%v): %s", err, how)
	}
}

// writeRaw writes t as raw little-endian float32.
func writeRaw(path string, t *tensor.Tensor) error {
	b := make([]byte, 4*t.Len())
	for i, v := range t.Data() {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return os.WriteFile(path, b, 0o644)
}

// runORT runs model on x with tools/ort/run.js and returns the output,
// shaped like want.
func runORT(t *testing.T, model []byte, x *tensor.Tensor, shape []int) *tensor.Tensor {
	t.Helper()
	dir := t.TempDir()
	mp, in, out := filepath.Join(dir, "model.onnx"), filepath.Join(dir, "in.bin"), filepath.Join(dir, "out.bin")
	if err := os.WriteFile(mp, model, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeRaw(in, x); err != nil {
		t.Fatal(err)
	}
	dims := make([]string, x.NDim())
	for i, d := range x.Shape() {
		dims[i] = fmt.Sprint(d)
	}
	cmd := exec.Command("node", filepath.Join(ortDir, "run.js"), mp, in, strings.Join(dims, ","), out)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ONNX Runtime: %v: %s", err, msg)
	}
	t.Logf("run.js: %s", strings.TrimSpace(string(msg)))
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	y := tensor.New(shape...)
	if len(b) != 4*y.Len() {
		t.Fatalf("ONNX Runtime wrote %d bytes, want %d for %v", len(b), 4*y.Len(), shape)
	}
	for i := range y.Data() {
		y.Data()[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return y
}

func TestExportONNXRuntime(t *testing.T) {
	requireORT(t)
	for _, c := range ortCases {
		t.Run(c.name, func(t *testing.T) {
			m := testModel(t, c.name)
			b := exportBytes(t, m, c.input)
			x := tensor.Rand(tensor.NewRNG(5), -1, 1, append([]int{3}, c.input...)...)
			want := goForward(m, x)
			got := runORT(t, b, x, want.Shape())
			maxAbs, maxRel := diffStats(got, want)
			t.Logf("%s: ONNX Runtime vs Go: max |Δ| %.3g (max|y| %.3g), relative %.3g", c.name, maxAbs, want.MaxAbs(), maxRel)
			if maxRel > 1e-5 {
				t.Errorf("ONNX Runtime differs from the Go model: relative error %g (max |Δ| %g)", maxRel, maxAbs)
			}
		})
	}
}

// mixedModule runs, on [N, 3, 12, 12], the ops that the zoo models do not
// use, with options the zoo leaves at their defaults: ceil-mode max pooling
// with padding, average pooling counting the padding, LRN (when lrn is
// set: this package does not import it yet), LeakyReLU, HardSigmoid, Clip,
// Scale, Sub, Div, divisible adaptive pooling, a 3-D Reshape, Softmax on
// the last axis, MatMul and Tanh, and dropout (off in evaluation mode).
type mixedModule struct {
	nn.Base
	conv *nn.Conv2d
	fc   *nn.Linear
	w    *ops.Var // [5, 3] for the MatMul
	drop *nn.Dropout
	lrn  bool
}

func newMixedModule(lrn bool) *mixedModule {
	g := tensor.NewRNG(11)
	return &mixedModule{
		conv: nn.NewConv2d(g, nn.Conv2dConfig{In: 3, Out: 4, Kernel: [2]int{3, 3}, Padding: ops.SymmetricPadding(1, 1), Dilation: [2]int{1, 1}}),
		fc:   nn.NewLinear(g, 64, 5, true),
		w:    ops.Param(tensor.Rand(g, -1, 1, 5, 3)),
		drop: nn.NewDropout(g, 0.5),
		lrn:  lrn,
	}
}

func (m *mixedModule) Forward(x *ops.Var) *ops.Var {
	y := ops.HardSwish(ops.LeakyReLU(m.conv.Forward(x), 0.1)) // [N, 4, 12, 12]
	y = ops.MaxPool2d(y, ops.Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, CeilMode: true})
	y = ops.AvgPool2d(y, ops.Pool2dOptions{Kernel: [2]int{2, 2}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}, CountIncludePad: true})
	if m.lrn {
		y = ops.LRN(y, 3, 1e-2, 0.75, 1)
	}
	y = ops.Scale(ops.HardSigmoid(y), 2)               // [N, 4, 8, 8]
	y = ops.Sub(y, ops.Scale(y, 0.25))                 // 0.75·y
	y = ops.Div(y, ops.Clip(y, 1, 1.25))               // y / clip(y, 1, 1.25)
	y = m.drop.Forward(ops.AdaptiveAvgPool2d(y, 4, 4)) // [N, 4, 4, 4]
	s := y.Shape()
	y = ops.Softmax(ops.Reshape(y, s[0], 4, 16), -1) // [N, 4, 16]
	y = ops.Tanh(m.fc.Forward(ops.Flatten(y)))       // [N, 5]
	return ops.MatMul(y, m.w)                        // [N, 3]
}

func (m *mixedModule) Children() []nn.Child {
	return []nn.Child{{Name: "conv", Module: m.conv}, {Name: "fc", Module: m.fc}, {Name: "drop", Module: m.drop}}
}

func (m *mixedModule) LocalParams() []nn.Param { return []nn.Param{{Name: "w", V: m.w}} }

func TestExportMixedOps(t *testing.T) {
	input := []int{3, 12, 12}
	x := tensor.Rand(tensor.NewRNG(2), -2, 2, append([]int{3}, input...)...)
	t.Run("import", func(t *testing.T) {
		m := newMixedModule(false)
		b := exportBytes(t, m, input)
		want := goForward(m, x)
		im, err := ParseModel(b, "")
		if err != nil {
			t.Fatal(err)
		}
		outs, err := im.Run(map[string]*tensor.Tensor{ExportInputName: x})
		if err != nil {
			t.Fatal(err)
		}
		maxAbs, _ := diffStats(outs[ExportOutputName], want)
		if maxAbs > 1e-6*max(1, want.MaxAbs()) {
			t.Errorf("imported export differs from the Go module: max |Δ| %g", maxAbs)
		}
	})
	t.Run("onnxruntime", func(t *testing.T) {
		requireORT(t)
		m := newMixedModule(true)
		b := exportBytes(t, m, input)
		want := goForward(m, x)
		got := runORT(t, b, x, want.Shape())
		maxAbs, rel := diffStats(got, want)
		t.Logf("ONNX Runtime vs Go: max |Δ| %.3g, relative %.3g", maxAbs, rel)
		if rel > 1e-5 {
			t.Errorf("ONNX Runtime differs from the Go module: relative error %g", rel)
		}
	})
}

// expModule calls an op without an ONNX export mapping.
type expModule struct{ nn.Base }

func (expModule) Forward(x *ops.Var) *ops.Var { return ops.Exp(ops.ReLU(x)) }

func TestExportErrors(t *testing.T) {
	var ee *ExportError
	_, err := Export(&expModule{}, ExportOptions{Input: []int{2, 3}})
	if !errors.As(err, &ee) || ee.Op != "exp" || !strings.Contains(err.Error(), `"exp"`) {
		t.Errorf("op without mapping: got %v, want an ExportError naming exp", err)
	}

	lenet := testModel(t, "lenet5")
	if _, err := Export(lenet, ExportOptions{Input: []int{1, 20, 20}}); err == nil || !strings.Contains(err.Error(), "forward pass") {
		t.Errorf("input the model rejects: got %v", err)
	}
	if _, err := Export(lenet, ExportOptions{}); err == nil {
		t.Error("no input shape: no error")
	}
	if _, err := Export(lenet, ExportOptions{Input: []int{1, 0, 28}}); err == nil {
		t.Error("zero dimension: no error")
	}
	if _, err := Export(lenet, ExportOptions{Input: []int{1, 28, 28}, Batch: 1}); err == nil {
		t.Error("batch 1: no error")
	}
	// The recorder is released after a failed trace: a later export works.
	if _, err := Export(lenet, ExportOptions{Input: []int{1, 28, 28}}); err != nil {
		t.Errorf("export after failures: %v", err)
	}
}

func TestWriteModelFile(t *testing.T) {
	mp, err := Export(testModel(t, "lenet5"), ExportOptions{Input: []int{1, 28, 28}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "lenet.onnx")
	if err := WriteModelFile(mp, path); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadModel(path); err != nil {
		t.Fatal(err)
	}
	if err := WriteModelFile(mp, filepath.Join(dir, "missing", "x.onnx")); err == nil {
		t.Error("write into a missing directory: no error")
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("directory holds %d entries, want only the model (no temporary files)", len(es))
	}
}
