package main

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"convnet/checkpoint"
	"convnet/onnx/onnxpb"
)

// rawTensor is a FLOAT TensorProto with raw data.
func rawTensor(name string, dims []int64, vals []float32) *onnxpb.TensorProto {
	raw := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return &onnxpb.TensorProto{Name: proto.String(name), Dims: dims, DataType: proto.Int32(1), RawData: raw}
}

// writeProto serializes m to path.
func writeProto(t *testing.T, path string, m proto.Message) {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// tinyONNXTest writes a classifier y = x·Wᵀ + b (x [2, 3], 4 classes) in
// ONNX's test layout and returns its directory; want scales the expected
// output (1 gives the right answer).
func tinyONNXTest(t *testing.T, want float32) string {
	dir := filepath.Join(t.TempDir(), "tiny")
	w := []float32{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1}
	b := []float32{0, 0.5, 0, -1}
	in := &onnxpb.ValueInfoProto{Name: proto.String("x"), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(1)}}}}
	m := &onnxpb.ModelProto{IrVersion: proto.Int64(8),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: proto.Int64(13)}},
		Graph: &onnxpb.GraphProto{
			Node: []*onnxpb.NodeProto{{OpType: proto.String("Gemm"), Input: []string{"x", "fc.weight", "fc.bias"}, Output: []string{"y"},
				Attribute: []*onnxpb.AttributeProto{{Name: proto.String("transB"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)}}}},
			Initializer: []*onnxpb.TensorProto{rawTensor("fc.weight", []int64{4, 3}, w), rawTensor("fc.bias", []int64{4}, b)},
			Input:       []*onnxpb.ValueInfoProto{in},
			Output:      []*onnxpb.ValueInfoProto{{Name: proto.String("y")}},
		}}
	writeProto(t, filepath.Join(dir, "model.onnx"), m)
	x := []float32{1, 2, 3, -1, 0, 4}
	y := make([]float32, 8)
	for i := 0; i < 2; i++ {
		for o := 0; o < 4; o++ {
			s := b[o]
			for f := 0; f < 3; f++ {
				s += x[i*3+f] * w[o*3+f]
			}
			y[i*4+o] = s * want
		}
	}
	writeProto(t, filepath.Join(dir, "test_data_set_0", "input_0.pb"), rawTensor("x", []int64{2, 3}, x))
	writeProto(t, filepath.Join(dir, "test_data_set_0", "output_0.pb"), rawTensor("y", []int64{2, 4}, y))
	return dir
}

func TestONNXTestVerb(t *testing.T) {
	dir := tinyONNXTest(t, 1)
	code, out, errs := runCLI("onnx", "test", dir)
	if code != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if !strings.Contains(out, "PASS") || !strings.Contains(out, "1 tests: 1 PASS, 0 FAIL, 0 UNSUPPORTED") {
		t.Fatalf("stdout %q", out)
	}
	code, out, _ = runCLI("onnx", "test", "--json", dir)
	var row map[string]any
	if code != 0 || json.Unmarshal([]byte(strings.TrimSpace(out)), &row) != nil {
		t.Fatalf("--json: exit %d, %q", code, out)
	}
	for _, k := range []string{"name", "status", "max_abs_err", "max_rel_err"} {
		if _, ok := row[k]; !ok {
			t.Fatalf("--json row %v lacks %s", row, k)
		}
	}
	bad := tinyONNXTest(t, 1.01)
	code, out, errs = runCLI("onnx", "test", dir, bad)
	if code != 1 || !strings.Contains(out, "FAIL") || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "1 of 2 tests failed") {
		t.Fatalf("a wrong expected output: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestONNXWeightsAndRun(t *testing.T) {
	dir := tinyONNXTest(t, 1)
	w := filepath.Join(t.TempDir(), "w.safetensors")
	code, out, errs := runCLI("onnx", "weights", filepath.Join(dir, "model.onnx"), "-o", w)
	if code != 0 || !strings.Contains(out, "wrote 2 tensors (16 parameters)") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	sd, _, err := checkpoint.Load(w)
	if err != nil {
		t.Fatal(err)
	}
	if got := sd["fc.bias"]; got == nil || got.Data()[1] != 0.5 || sd["fc.weight"].Dim(0) != 4 {
		t.Fatalf("state dict %v", sd)
	}
	code, out, errs = runCLI("onnx", "run", filepath.Join(dir, "model.onnx"), "--input", filepath.Join(dir, "test_data_set_0", "input_0.pb"), "--top", "2")
	// Row 0: x = (1, 2, 3) gives (1, 2.5, 3, 5): top-2 classes 3 and 2.
	if code != 0 || !strings.Contains(out, "y [2 4]") || !strings.Contains(out, "[0] top-2: 3 (5) 2 (3)") {
		t.Fatalf("run: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestONNXUserErrors(t *testing.T) {
	dir := tinyONNXTest(t, 1)
	model := filepath.Join(dir, "model.onnx")
	junk := filepath.Join(t.TempDir(), "junk.onnx")
	os.WriteFile(junk, []byte("not a model at all"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"onnx"}, 2, "Usage"},
		{[]string{"onnx", "frob"}, 2, "unknown verb"},
		{[]string{"onnx", "weights", model}, 1, "-o"},
		{[]string{"onnx", "weights", junk, "-o", filepath.Join(t.TempDir(), "w.safetensors")}, 1, "not an ONNX model"},
		{[]string{"onnx", "test"}, 1, "no test directory"},
		{[]string{"onnx", "test", t.TempDir()}, 1, "holds no ONNX test"},
		{[]string{"onnx", "test", "--bogus", dir}, 2, "bogus"},
		{[]string{"onnx", "run", model}, 1, "1 inputs, 0 --input"},
		{[]string{"onnx", "run", junk, "--input", "x.pb"}, 1, "not an ONNX model"},
		{[]string{"onnx", "run", model, "--input", model}, 1, "model.onnx"},
	} {
		code, _, errs := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, errs, tc.code, tc.want)
		}
		if tc.code == 1 && strings.Count(strings.TrimRight(errs, "\n"), "\n") != 0 {
			t.Errorf("%v: error is not one line: %q", tc.args, errs)
		}
	}
	code, _, errs := runCLI("onnx", "test", "-h")
	if code != 0 || !strings.Contains(errs, "Usage: convnet onnx test") {
		t.Fatalf("-h: exit %d, %q", code, errs)
	}
}
