package onnx

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"convnet/onnx/onnxpb"
)

// assertOneLineErr checks err is non-nil, one line, and mentions every
// fragment.
func assertOneLineErr(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", fragments)
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r") {
		t.Fatalf("error is not one line: %q", msg)
	}
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			t.Fatalf("error %q does not mention %q", msg, f)
		}
	}
}

// reluModel is x [N, 3] → Relu → y, with optional initializers.
func reluModel(inits ...*onnxpb.TensorProto) *onnxpb.ModelProto {
	return graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, -1, 3)}, []string{"y"}, inits,
		nodeP("Relu", []string{"x"}, []string{"y"}))
}

func TestBadModels(t *testing.T) {
	dir := t.TempDir()
	good := encode(t, graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, -1, 2, 4, 4)}, []string{"y"},
		[]*onnxpb.TensorProto{rawFloatTP("w", []int64{3, 2, 3, 3}, seq(54, 0.01, 0)...)},
		nodeP("Conv", []string{"x", "w"}, []string{"h"}, attrInts("pads", 1, 1, 1, 1)),
		nodeP("Relu", []string{"h"}, []string{"y"})))
	if _, err := ParseModel(good, ""); err != nil {
		t.Fatalf("the unmodified model: %v", err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	external := func(loc string, extra ...*onnxpb.StringStringEntryProto) *onnxpb.TensorProto {
		return &onnxpb.TensorProto{Name: proto.String("w"), Dims: []int64{3}, DataType: proto.Int32(int32(Float)),
			DataLocation: onnxpb.TensorProto_EXTERNAL.Enum(),
			ExternalData: append([]*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String(loc)}}, extra...)}
	}
	os.WriteFile(filepath.Join(dir, "short.bin"), make([]byte, 8), 0o644)
	cases := []struct {
		name      string
		b         []byte
		fragments []string
	}{
		{"empty", nil, []string{"no graph"}},
		{"truncated", good[:len(good)/2], []string{"not an ONNX model"}},
		{"random bytes", random, []string{"not an ONNX model"}},
		{"cycle", encode(t, graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2)}, []string{"b"}, nil,
			nodeP("Add", []string{"x", "b"}, []string{"a"}),
			nodeP("Relu", []string{"a"}, []string{"b"}))), []string{"cycle", "Add"}},
		{"missing input", encode(t, graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2)}, []string{"y"}, nil,
			nodeP("Add", []string{"x", "nowhere"}, []string{"y"}))), []string{`"nowhere"`, "not produced"}},
		{"missing output", encode(t, graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2)}, []string{"z"}, nil,
			nodeP("Relu", []string{"x"}, []string{"y"}))), []string{`"z"`}},
		{"unsupported op", encode(t, graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2)}, []string{"y"}, nil,
			nodeP("Frobnicate", []string{"x"}, []string{"y"}))), []string{"Frobnicate_y", "unsupported operator Frobnicate"}},
		{"unsupported attribute value", encode(t, graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 1, 1, 4, 4)}, []string{"y"}, nil,
			nodeP("MaxPool", []string{"x"}, []string{"y"}, attrInts("kernel_shape", 2, 2), attrI("storage_order", 1)))), []string{"MaxPool", "storage_order"}},
		{"unknown attribute", encode(t, graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2)}, []string{"y"}, nil,
			nodeP("Relu", []string{"x"}, []string{"y"}, attrI("frob", 1)))), []string{"Relu", "frob"}},
		{"unsupported cast", encode(t, graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2)}, []string{"y"}, nil,
			nodeP("Cast", []string{"x"}, []string{"y"}, attrI("to", 10)))), []string{"Cast", "attribute to", "FLOAT16"}},
		{"other domain", encode(t, func() *onnxpb.ModelProto {
			m := reluModel()
			m.Graph.Node[0].Domain = proto.String("com.microsoft")
			return m
		}()), []string{"com.microsoft.Relu"}},
		{"no opset", encode(t, func() *onnxpb.ModelProto { m := reluModel(); m.OpsetImport = nil; return m }()), []string{"operator set"}},
		{"shape does not fit", encode(t, graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 1, 3, 4, 4)}, []string{"y"},
			[]*onnxpb.TensorProto{rawFloatTP("w", []int64{3, 2, 3, 3}, seq(54, 0.01, 0)...)},
			nodeP("Conv", []string{"x", "w"}, []string{"y"}))), []string{"Conv", "channels"}},
		{"size exceeds bytes", encode(t, reluModel(&onnxpb.TensorProto{Name: proto.String("w"), Dims: []int64{4, 4},
			DataType: proto.Int32(int32(Float)), RawData: make([]byte, 12)})), []string{`"w"`, "12 bytes", "want 64"}},
		{"absurd dims", encode(t, reluModel(&onnxpb.TensorProto{Name: proto.String("w"), Dims: []int64{1 << 40, 1 << 40},
			DataType: proto.Int32(int32(Float)), RawData: make([]byte, 4)})), []string{`"w"`, "more than"}},
		{"absurd ConstantOfShape", encode(t, graphModel(13, nil, []string{"y"}, []*onnxpb.TensorProto{intTP("s", []int64{2}, 1<<40, 1<<40)},
			nodeP("ConstantOfShape", []string{"s"}, []string{"y"}))), []string{"ConstantOfShape", "more than"}},
		{"negative dims", encode(t, reluModel(&onnxpb.TensorProto{Name: proto.String("w"), Dims: []int64{-1},
			DataType: proto.Int32(int32(Float))})), []string{"negative"}},
		{"too few values", encode(t, reluModel(floatTP("w", []int64{3}, 1, 2))), []string{"2 values", "want 3"}},
		{"string tensor", encode(t, reluModel(&onnxpb.TensorProto{Name: proto.String("w"), Dims: []int64{1},
			DataType: proto.Int32(8), StringData: [][]byte{[]byte("a")}})), []string{"STRING"}},
		{"missing external file", encode(t, reluModel(external("nothere.bin"))), []string{"nothere.bin"}},
		{"external file too short", encode(t, reluModel(external("short.bin"))), []string{"short.bin", "holds 8 bytes"}},
		{"external offset past end", encode(t, reluModel(external("short.bin", &onnxpb.StringStringEntryProto{Key: proto.String("offset"), Value: proto.String("6")},
			&onnxpb.StringStringEntryProto{Key: proto.String("length"), Value: proto.String("12")}))), []string{"short.bin"}},
		{"external outside dir", encode(t, reluModel(external("../etc/passwd"))), []string{"outside"}},
		{"external absolute", encode(t, reluModel(external("/etc/passwd"))), []string{"outside"}},
		{"bad reshape", encode(t, graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2, 3)}, []string{"y"},
			[]*onnxpb.TensorProto{intTP("s", []int64{1}, 7)}, nodeP("Reshape", []string{"x", "s"}, []string{"y"}))), []string{"Reshape", "cannot reshape"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseModel(tc.b, dir)
			assertOneLineErr(t, err, tc.fragments...)
		})
	}
}

func TestUnsupportedErrorType(t *testing.T) {
	_, err := Import(graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2)}, []string{"y"}, nil,
		nodeP("Einsum", []string{"x"}, []string{"y"}, attrS("equation", "i->i"))), "")
	if !isUnsupported(err) {
		t.Fatalf("%v is not an *UnsupportedError", err)
	}
}

func TestBadRunInputs(t *testing.T) {
	m, err := Import(graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, -1, 2, 4, 4)}, []string{"y"},
		[]*onnxpb.TensorProto{rawFloatTP("w", []int64{3, 2, 3, 3}, seq(54, 0.01, 0)...)},
		nodeP("Conv", []string{"x", "w"}, []string{"y"})), "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.RunTensors(map[string]*Tensor{})
	assertOneLineErr(t, err, `missing input "x"`)
	_, err = m.RunTensors(map[string]*Tensor{"x": ft([]int{1, 3, 4, 4}, seq(48, 0, 0)...)})
	assertOneLineErr(t, err, "x", "[1 3 4 4]", "[?, 2, 4, 4]")
	_, err = m.RunTensors(map[string]*Tensor{"x": ft([]int{1, 2, 4, 4}, seq(32, 0, 0)...), "z": ft([]int{1}, 0)})
	assertOneLineErr(t, err, `"z" is not an input`)
	// A symbolic dimension lets a wrong size through the declaration; the
	// kernel's inference stops it before the op would panic.
	m, err = Import(graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, -1, -1, -1, -1)}, []string{"y"},
		[]*onnxpb.TensorProto{rawFloatTP("w", []int64{3, 2, 3, 3}, seq(54, 0.01, 0)...)},
		nodeP("Conv", []string{"x", "w"}, []string{"y"})), "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.RunTensors(map[string]*Tensor{"x": ft([]int{1, 5, 4, 4}, seq(80, 0, 0)...)})
	assertOneLineErr(t, err, "Conv", "channels")
	_, err = m.RunTensors(map[string]*Tensor{"x": ft([]int{1, 2, 2, 2}, seq(8, 0, 0)...)})
	assertOneLineErr(t, err, "Conv", "too small")
}

func TestReadTensorFileErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "t.pb")
	os.WriteFile(p, []byte{0xff, 0xff, 0xff}, 0o644)
	_, err := ReadTensorFile(p)
	assertOneLineErr(t, err, "t.pb", "TensorProto")
	_, err = ReadTensorFile(filepath.Join(dir, "none.pb"))
	assertOneLineErr(t, err, "none.pb")
	_, err = ReadTensorFile(dir)
	assertOneLineErr(t, err, "not a regular file")
}

// TestExternalData reads initializers stored beside the model at offsets.
func TestExternalData(t *testing.T) {
	dir := t.TempDir()
	blob := make([]byte, 16+12)
	for i, v := range []float32{0.5, -1, 2} {
		binary.LittleEndian.PutUint32(blob[16+4*i:], math.Float32bits(v))
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "data", "w.bin"), blob, 0o644)
	w := &onnxpb.TensorProto{Name: proto.String("w"), Dims: []int64{3}, DataType: proto.Int32(int32(Float)),
		DataLocation: onnxpb.TensorProto_EXTERNAL.Enum(), ExternalData: []*onnxpb.StringStringEntryProto{
			{Key: proto.String("location"), Value: proto.String("data/w.bin")},
			{Key: proto.String("offset"), Value: proto.String("16")},
			{Key: proto.String("length"), Value: proto.String("12")}}}
	path := writeModel(t, dir, graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 3)}, []string{"y"},
		[]*onnxpb.TensorProto{w}, nodeP("Mul", []string{"x", "w"}, []string{"y"})))
	m, err := ReadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	sd := m.StateDict()
	if got := sd["w"].Data(); got[0] != 0.5 || got[2] != 2 {
		t.Fatalf("state dict w = %v", got)
	}
	out, err := m.RunTensors(map[string]*Tensor{"x": ft([]int{3}, 2, 2, 2)})
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, out["y"], []int{3}, 1, -2, 4)
	init, err := ReadInitializers(path)
	if err != nil || len(init) != 1 {
		t.Fatalf("ReadInitializers: %v %v", init, err)
	}
}

// FuzzParse feeds arbitrary bytes to ParseModel and runs what imports:
// nothing may panic, and every error is one line.
func FuzzParse(f *testing.F) {
	f.Add(encode(f, reluModel()))
	f.Add(encode(f, graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 1, 2, 4, 4)}, []string{"y"},
		[]*onnxpb.TensorProto{rawFloatTP("w", []int64{3, 2, 3, 3}, seq(54, 0.01, 0)...), floatTP("b", []int64{3}, 1, 2, 3)},
		nodeP("Conv", []string{"x", "w", "b"}, []string{"h"}, attrInts("pads", 1, 1, 1, 1), attrInts("strides", 2, 2)),
		nodeP("MaxPool", []string{"h"}, []string{"p"}, attrInts("kernel_shape", 2, 2)),
		nodeP("Flatten", []string{"p"}, []string{"f"}),
		nodeP("Softmax", []string{"f"}, []string{"y"}))))
	f.Add(encode(f, graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2, 3)}, []string{"y"},
		[]*onnxpb.TensorProto{intTP("zero", nil, 0), intTP("ax0", []int64{1}, 0), intTP("minus1", []int64{1}, -1)},
		nodeP("Shape", []string{"x"}, []string{"s"}),
		nodeP("Gather", []string{"s", "zero"}, []string{"n"}),
		nodeP("Unsqueeze", []string{"n", "ax0"}, []string{"n1"}),
		nodeP("Concat", []string{"n1", "minus1"}, []string{"shape"}, attrI("axis", 0)),
		nodeP("Reshape", []string{"x", "shape"}, []string{"y"}))))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseModel(b, "")
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		in := map[string]*Tensor{}
		for _, d := range m.Inputs {
			if d.Shape == nil {
				return
			}
			shape := make([]int, len(d.Shape))
			total := 1
			for i, s := range d.Shape {
				shape[i] = max(s, 1)
				total *= shape[i]
				if total > 1<<12 {
					return
				}
			}
			in[d.Name] = ft(shape, make([]float32, total)...)
			if d.DType.isInt() {
				in[d.Name].Ints = make([]int64, total)
				in[d.Name].DType = d.DType
			}
		}
		if _, err := m.RunTensors(in); err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("multi-line error %q", err)
		}
	})
}
