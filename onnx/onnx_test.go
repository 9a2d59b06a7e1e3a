package onnx

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"convnet/onnx/onnxpb"
	"convnet/tensor"
)

// TestConformance runs every model of shared/conformance (opset 13
// exports of LeNet-5 … ResNet-18 at batch 2) against ONNX Runtime's
// outputs with the whole-model rule.
func TestConformance(t *testing.T) {
	dir := sharedDir(t)
	for _, name := range []string{"lenet5", "resnet20", "squeezenet1_1", "mobilenet_v2", "googlenet", "resnet18"} {
		t.Run(name, func(t *testing.T) {
			tests, err := FindTests(filepath.Join(dir, "conformance", name))
			if err != nil {
				t.Fatal(err)
			}
			if len(tests) != 1 || !tests[0].WholeModel {
				t.Fatalf("FindTests: %+v, want one whole-model test", tests)
			}
			r := RunTest(tests[0])
			if r.Status != "PASS" {
				t.Fatalf("%s: %s: %s", r.Name, r.Status, r.Error)
			}
			t.Logf("%s: max abs error %.3g, relative %.3g, %.2fs", r.Name, r.MaxAbsErr, r.MaxRelErr, r.Seconds)
		})
	}
}

// expectedUnsupported lists the ONNX backend tests that need an operator
// (or a variant of one) that package ops does not have, with the operator
// the importer must name: only 3-D convolution and pooling remain. Every other test must pass; a test
// listed here that starts to pass must be removed from the table.
var expectedUnsupported = map[string]string{
	// 3-D convolution and pooling: ops has 2-D kernels only.
	"pytorch-converted/test_AvgPool3d":                        "AveragePool input rank",
	"pytorch-converted/test_AvgPool3d_stride":                 "AveragePool input rank",
	"pytorch-converted/test_AvgPool3d_stride1_pad0_gpu_input": "AveragePool input rank",
	"pytorch-converted/test_Conv3d":                           "Conv input rank",
	"pytorch-converted/test_Conv3d_dilated":                   "Conv input rank",
	"pytorch-converted/test_Conv3d_dilated_strided":           "Conv input rank",
	"pytorch-converted/test_Conv3d_groups":                    "Conv input rank",
	"pytorch-converted/test_Conv3d_no_bias":                   "Conv input rank",
	"pytorch-converted/test_Conv3d_stride":                    "Conv input rank",
	"pytorch-converted/test_Conv3d_stride_padding":            "Conv input rank",
	"pytorch-converted/test_MaxPool3d":                        "MaxPool input rank",
	"pytorch-converted/test_MaxPool3d_stride":                 "MaxPool input rank",
	"pytorch-converted/test_MaxPool3d_stride_padding":         "MaxPool input rank",
}

// TestBackend runs ONNX's backend tests (pytorch-converted,
// pytorch-operator and the light models): every test passes except those
// in expectedUnsupported, which must be reported UNSUPPORTED naming the
// operator.
func TestBackend(t *testing.T) {
	root := filepath.Join(sharedDir(t), "onnx-backend-tests")
	var tests []TestCase
	for _, d := range []string{"pytorch-converted", "pytorch-operator", "light"} {
		ts, err := FindTests(filepath.Join(root, d))
		if err != nil {
			t.Fatal(err)
		}
		tests = append(tests, ts...)
	}
	if len(tests) < 120 {
		t.Fatalf("found %d backend tests, want about 126", len(tests))
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.Name] = true
		t.Run(tc.Name, func(t *testing.T) {
			if testing.Short() && tc.Name == "light/light_vgg19" {
				t.Skip("VGG-19 at 224×224 takes long; run without -short")
			}
			r := RunTest(tc)
			want, unsupported := expectedUnsupported[tc.Name]
			switch {
			case unsupported && r.Status == "UNSUPPORTED" && r.Op != want:
				t.Errorf("UNSUPPORTED %q, want %q: %s", r.Op, want, r.Error)
			case unsupported && r.Status != "UNSUPPORTED":
				t.Errorf("%s (%s), expected UNSUPPORTED %s: remove it from expectedUnsupported if it passes now", r.Status, r.Error, want)
			case !unsupported && r.Status != "PASS":
				t.Errorf("%s: %s", r.Status, r.Error)
			}
		})
	}
	for name := range expectedUnsupported {
		if !seen[name] {
			t.Errorf("expectedUnsupported lists %s, which is not a test", name)
		}
	}
}

// run1 imports m and runs it on the given inputs.
func run1(t *testing.T, m *onnxpb.ModelProto, in map[string]*Tensor) map[string]*Tensor {
	t.Helper()
	model, err := Import(m, "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := model.RunTensors(in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ft makes a float input tensor.
func ft(shape []int, vals ...float32) *Tensor {
	return &Tensor{DType: Float, Data: tensor.FromSlice(vals, shape...)}
}

// assertClose compares a tensor with a shape and values.
func assertClose(t *testing.T, got *Tensor, shape []int, want ...float32) {
	t.Helper()
	if !tensor.ShapeEqual(got.Data.Shape(), shape) {
		t.Fatalf("shape %v, want %v", got.Data.Shape(), shape)
	}
	for i, w := range want {
		if g := got.Data.Data()[i]; math.Abs(float64(g-w)) > 1e-6*math.Max(1, math.Abs(float64(w))) {
			t.Fatalf("element %d = %v, want %v (all: %v)", i, g, w, got.Data.Data())
		}
	}
}

// seq returns 0, 1, …, n−1 scaled by s and shifted by b.
func seq(n int, s, b float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)*s + b
	}
	return v
}

func TestReshapeZeroAndMinusOne(t *testing.T) {
	m := graphModel(14, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2, 3, 4)}, []string{"y"},
		[]*onnxpb.TensorProto{intTP("s", []int64{2}, 0, -1)}, nodeP("Reshape", []string{"x", "s"}, []string{"y"}))
	out := run1(t, m, map[string]*Tensor{"x": ft([]int{2, 3, 4}, seq(24, 1, 0)...)})
	assertClose(t, out["y"], []int{2, 12}, seq(24, 1, 0)...)
	// allowzero = 1: a 0 is a real zero-sized dimension.
	m = graphModel(14, []*onnxpb.ValueInfoProto{vinfo("x", Float, 0, 3)}, []string{"y"},
		[]*onnxpb.TensorProto{intTP("s", []int64{2}, 3, 0)}, nodeP("Reshape", []string{"x", "s"}, []string{"y"}, attrI("allowzero", 1)))
	out = run1(t, m, map[string]*Tensor{"x": ft([]int{0, 3})})
	assertClose(t, out["y"], []int{3, 0})
	// Two -1 are an error at import.
	m = graphModel(14, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2, 3)}, []string{"y"},
		[]*onnxpb.TensorProto{intTP("s", []int64{2}, -1, -1)}, nodeP("Reshape", []string{"x", "s"}, []string{"y"}))
	if _, err := Import(m, ""); err == nil || !strings.Contains(err.Error(), "more than one -1") {
		t.Fatalf("two -1: %v", err)
	}
}

func TestSoftmaxAxisByOpset(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6}
	for _, tc := range []struct {
		opset int64
		want  func() []float32
	}{
		// Opset 11: coerced to [1, 6], normalised over all six values.
		{11, func() []float32 {
			var s float64
			for _, v := range x {
				s += math.Exp(float64(v))
			}
			out := make([]float32, 6)
			for i, v := range x {
				out[i] = float32(math.Exp(float64(v)) / s)
			}
			return out
		}},
		// Opset 13: along axis 0 only, each column of [2, 3].
		{13, func() []float32 {
			out := make([]float32, 6)
			for c := 0; c < 3; c++ {
				s := math.Exp(float64(x[c])) + math.Exp(float64(x[3+c]))
				out[c] = float32(math.Exp(float64(x[c])) / s)
				out[3+c] = float32(math.Exp(float64(x[3+c])) / s)
			}
			return out
		}},
	} {
		m := graphModel(tc.opset, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2, 3)}, []string{"y"}, nil,
			nodeP("Softmax", []string{"x"}, []string{"y"}, attrI("axis", 0)))
		out := run1(t, m, map[string]*Tensor{"x": ft([]int{2, 3}, x...)})
		assertClose(t, out["y"], []int{2, 3}, tc.want()...)
	}
}

func TestGemmAttributes(t *testing.T) {
	// A [3, 2] with transA; B [3, 2] as [K, N]; C [1, 2]; alpha 2, beta 0.5.
	a := []float32{1, 2, 3, 4, 5, 6} // Aᵀ = [[1 3 5] [2 4 6]]
	b := []float32{1, 0, 0, 1, 1, 1}
	c := []float32{10, 20}
	m := graphModel(13, []*onnxpb.ValueInfoProto{vinfo("a", Float, 3, 2), vinfo("b", Float, 3, 2), vinfo("c", Float, 1, 2)}, []string{"y"}, nil,
		nodeP("Gemm", []string{"a", "b", "c"}, []string{"y"}, attrI("transA", 1), attrF("alpha", 2), attrF("beta", 0.5)))
	out := run1(t, m, map[string]*Tensor{"a": ft([]int{3, 2}, a...), "b": ft([]int{3, 2}, b...), "c": ft([]int{1, 2}, c...)})
	// AᵀB = [[1+5, 3+5] [2+6, 4+6]] = [[6 8] [8 10]].
	assertClose(t, out["y"], []int{2, 2}, 2*6+5, 2*8+10, 2*8+5, 2*10+10)
}

func TestClipAttributesAndInputs(t *testing.T) {
	x := []float32{-3, -0.5, 0, 0.5, 3}
	m := graphModel(6, []*onnxpb.ValueInfoProto{vinfo("x", Float, 5)}, []string{"y"}, nil,
		nodeP("Clip", []string{"x"}, []string{"y"}, attrF("min", -1), attrF("max", 1)))
	assertClose(t, run1(t, m, map[string]*Tensor{"x": ft([]int{5}, x...)})["y"], []int{5}, -1, -0.5, 0, 0.5, 1)
	// Opset 13: bounds are inputs; max absent.
	m = graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 5)}, []string{"y"},
		[]*onnxpb.TensorProto{floatTP("lo", nil, -1)}, nodeP("Clip", []string{"x", "lo"}, []string{"y"}))
	assertClose(t, run1(t, m, map[string]*Tensor{"x": ft([]int{5}, x...)})["y"], []int{5}, -1, -0.5, 0, 0.5, 3)
	// Clip(0, 6) is ReLU6.
	m = graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 3)}, []string{"y"},
		[]*onnxpb.TensorProto{floatTP("lo", nil, 0), floatTP("hi", nil, 6)}, nodeP("Clip", []string{"x", "lo", "hi"}, []string{"y"}))
	assertClose(t, run1(t, m, map[string]*Tensor{"x": ft([]int{3}, -1, 3, 7)})["y"], []int{3}, 0, 3, 6)
}

func TestHardSigmoidDefaults(t *testing.T) {
	m := graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 5)}, []string{"y", "z"}, nil,
		nodeP("HardSigmoid", []string{"x"}, []string{"y"}),
		nodeP("HardSigmoid", []string{"x"}, []string{"z"}, attrF("alpha", float32(1.0/6)), attrF("beta", 0.5)))
	out := run1(t, m, map[string]*Tensor{"x": ft([]int{5}, -5, -1, 0, 1, 5)})
	assertClose(t, out["y"], []int{5}, 0, 0.3, 0.5, 0.7, 1)
	assertClose(t, out["z"], []int{5}, 0, 1.0/3, 0.5, 2.0/3, 1)
}

func TestUnsqueezeSqueezeByOpset(t *testing.T) {
	m := graphModel(11, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2, 3)}, []string{"y", "z"}, nil,
		nodeP("Unsqueeze", []string{"x"}, []string{"y"}, attrInts("axes", 0, 3)),
		nodeP("Squeeze", []string{"y"}, []string{"z"}))
	out := run1(t, m, map[string]*Tensor{"x": ft([]int{2, 3}, seq(6, 1, 0)...)})
	assertClose(t, out["y"], []int{1, 2, 3, 1}, seq(6, 1, 0)...)
	assertClose(t, out["z"], []int{2, 3}, seq(6, 1, 0)...)
	m = graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2, 3)}, []string{"y", "z"},
		[]*onnxpb.TensorProto{intTP("ax", []int64{1}, -1)},
		nodeP("Unsqueeze", []string{"x", "ax"}, []string{"y"}),
		nodeP("Squeeze", []string{"y", "ax"}, []string{"z"}))
	out = run1(t, m, map[string]*Tensor{"x": ft([]int{2, 3}, seq(6, 1, 0)...)})
	assertClose(t, out["y"], []int{2, 3, 1}, seq(6, 1, 0)...)
	assertClose(t, out["z"], []int{2, 3}, seq(6, 1, 0)...)
}

// TestDynamicFlattenChain runs PyTorch's export of x.view(x.size(0), -1):
// Shape → Gather → Unsqueeze → Concat → Reshape with a symbolic batch.
func TestDynamicFlattenChain(t *testing.T) {
	m := graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, -1, 2, 2)}, []string{"y", "n"},
		[]*onnxpb.TensorProto{intTP("zero", nil, 0), intTP("ax0", []int64{1}, 0), intTP("minus1", []int64{1}, -1)},
		nodeP("Shape", []string{"x"}, []string{"s"}),
		nodeP("Gather", []string{"s", "zero"}, []string{"n"}, attrI("axis", 0)),
		nodeP("Unsqueeze", []string{"n", "ax0"}, []string{"n1"}),
		nodeP("Concat", []string{"n1", "minus1"}, []string{"shape"}, attrI("axis", 0)),
		nodeP("Reshape", []string{"x", "shape"}, []string{"y"}))
	model, err := Import(m, "")
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := model.Shape("y"); !ok || len(s) != 2 {
		t.Fatalf("inferred shape of y: %v %v, want rank 2", s, ok)
	}
	out, err := model.RunTensors(map[string]*Tensor{"x": ft([]int{3, 2, 2}, seq(12, 1, 0)...)})
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, out["y"], []int{3, 4}, seq(12, 1, 0)...)
	if out["n"].Ints == nil || out["n"].Ints[0] != 3 || out["n"].DType != Int64 {
		t.Fatalf("n = %+v, want INT64 3", out["n"])
	}
}

func TestCastGatherConstants(t *testing.T) {
	m := graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 3, 2)}, []string{"i", "f", "g", "c", "k"},
		[]*onnxpb.TensorProto{intTP("idx", []int64{2}, -1, 0)},
		nodeP("Cast", []string{"x"}, []string{"i"}, attrI("to", int64(Int64))),
		nodeP("Cast", []string{"i"}, []string{"f"}, attrI("to", int64(Float))),
		nodeP("Gather", []string{"x", "idx"}, []string{"g"}),
		nodeP("Constant", nil, []string{"c"}, attrInts("value_ints", 4, 5)),
		nodeP("ConstantOfShape", []string{"c"}, []string{"k"}, attrT("value", intTP("", []int64{1}, 7))))
	out := run1(t, m, map[string]*Tensor{"x": ft([]int{3, 2}, -1.5, -0.5, 0.5, 1.5, 2.5, 3.7)})
	if got := out["i"].Ints; len(got) != 6 || got[0] != -1 || got[1] != 0 || got[5] != 3 {
		t.Fatalf("Cast to INT64: %v (truncation toward zero)", got)
	}
	assertClose(t, out["f"], []int{3, 2}, -1, 0, 0, 1, 2, 3)
	assertClose(t, out["g"], []int{2, 2}, 2.5, 3.7, -1.5, -0.5)
	if c := out["c"]; c.DType != Int64 || c.Ints[1] != 5 {
		t.Fatalf("Constant value_ints: %+v", c)
	}
	if k := out["k"]; k.DType != Int64 || len(k.Ints) != 20 || k.Ints[19] != 7 {
		t.Fatalf("ConstantOfShape: %+v", k)
	}
}

// naiveConv is a reference 2-D convolution with explicit padding.
func naiveConv(x []float32, n, c, h, w int, wt []float32, m, kh, kw int, s, d [2]int, pad [4]int, groups int) ([]float32, []int) {
	oh := (h+pad[0]+pad[2]-d[0]*(kh-1)-1)/s[0] + 1
	ow := (w+pad[1]+pad[3]-d[1]*(kw-1)-1)/s[1] + 1
	cg, mg := c/groups, m/groups
	out := make([]float32, n*m*oh*ow)
	for b := 0; b < n; b++ {
		for o := 0; o < m; o++ {
			g := o / mg
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					var sum float64
					for ci := 0; ci < cg; ci++ {
						for p := 0; p < kh; p++ {
							for q := 0; q < kw; q++ {
								y, xx := i*s[0]-pad[0]+p*d[0], j*s[1]-pad[1]+q*d[1]
								if y < 0 || y >= h || xx < 0 || xx >= w {
									continue
								}
								sum += float64(x[((b*c+g*cg+ci)*h+y)*w+xx]) * float64(wt[((o*cg+ci)*kh+p)*kw+q])
							}
						}
					}
					out[((b*m+o)*oh+i)*ow+j] = float32(sum)
				}
			}
		}
	}
	return out, []int{n, m, oh, ow}
}

func TestConvAutoPad(t *testing.T) {
	x := seq(2*4*5*5, 0.01, -1)
	wt := seq(4*2*3*2, 0.1, -0.5)
	for _, tc := range []struct {
		name  string
		attrs []*onnxpb.AttributeProto
		s, d  [2]int
		pad   [4]int
	}{
		{"same_upper", []*onnxpb.AttributeProto{attrS("auto_pad", "SAME_UPPER"), attrInts("strides", 2, 2)}, [2]int{2, 2}, [2]int{1, 1}, [4]int{1, 0, 1, 1}},
		{"same_lower", []*onnxpb.AttributeProto{attrS("auto_pad", "SAME_LOWER"), attrInts("strides", 2, 2)}, [2]int{2, 2}, [2]int{1, 1}, [4]int{1, 1, 1, 0}},
		{"valid", []*onnxpb.AttributeProto{attrS("auto_pad", "VALID")}, [2]int{1, 1}, [2]int{1, 1}, [4]int{}},
		{"pads_dilated", []*onnxpb.AttributeProto{attrInts("pads", 0, 2, 1, 0), attrInts("dilations", 2, 1)}, [2]int{1, 1}, [2]int{2, 1}, [4]int{0, 2, 1, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attrs := append([]*onnxpb.AttributeProto{attrI("group", 2), attrInts("kernel_shape", 3, 2)}, tc.attrs...)
			m := graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2, 4, 5, 5)}, []string{"y"},
				[]*onnxpb.TensorProto{rawFloatTP("w", []int64{4, 2, 3, 2}, wt...)},
				nodeP("Conv", []string{"x", "w"}, []string{"y"}, attrs...))
			out := run1(t, m, map[string]*Tensor{"x": ft([]int{2, 4, 5, 5}, x...)})
			want, shape := naiveConv(x, 2, 4, 5, 5, wt, 4, 3, 2, tc.s, tc.d, tc.pad, 2)
			assertClose(t, out["y"], shape, want...)
		})
	}
}

func TestAveragePoolCountIncludePad(t *testing.T) {
	ones := seq(9, 0, 1)
	for _, tc := range []struct {
		incl   int64
		corner float32
	}{{0, 1}, {1, 4.0 / 9}} {
		m := graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 1, 1, 3, 3)}, []string{"y"}, nil,
			nodeP("AveragePool", []string{"x"}, []string{"y"}, attrInts("kernel_shape", 3, 3), attrInts("pads", 1, 1, 1, 1), attrI("count_include_pad", tc.incl)))
		out := run1(t, m, map[string]*Tensor{"x": ft([]int{1, 1, 3, 3}, ones...)})
		assertClose(t, out["y"], []int{1, 1, 3, 3}, tc.corner)
	}
}

func TestLegacyBroadcastAndMatMul(t *testing.T) {
	// Opset 6: Add(A [2, 3, 2], B [3], broadcast = 1, axis = 1).
	m := graphModel(6, []*onnxpb.ValueInfoProto{vinfo("a", Float, 2, 3, 2)}, []string{"y"},
		[]*onnxpb.TensorProto{floatTP("b", []int64{3}, 10, 20, 30)},
		nodeP("Add", []string{"a", "b"}, []string{"y"}, attrI("broadcast", 1), attrI("axis", 1)))
	out := run1(t, m, map[string]*Tensor{"a": ft([]int{2, 3, 2}, seq(12, 0, 0)...)})
	assertClose(t, out["y"], []int{2, 3, 2}, 10, 10, 20, 20, 30, 30, 10, 10, 20, 20, 30, 30)
	// Batched MatMul [2, 2, 3] × [2, 3, 1] and [2, 3] × [3].
	m = graphModel(13, []*onnxpb.ValueInfoProto{vinfo("a", Float, 2, 2, 3), vinfo("b", Float, 2, 3, 1), vinfo("v", Float, 3)}, []string{"y", "z"}, nil,
		nodeP("MatMul", []string{"a", "b"}, []string{"y"}),
		nodeP("MatMul", []string{"a", "v"}, []string{"z"}))
	out = run1(t, m, map[string]*Tensor{"a": ft([]int{2, 2, 3}, seq(12, 1, 0)...), "b": ft([]int{2, 3, 1}, 1, 1, 1, 1, 0, -1), "v": ft([]int{3}, 1, 0, 0)})
	assertClose(t, out["y"], []int{2, 2, 1}, 0+1+2, 3+4+5, 6-8, 9-11)
	assertClose(t, out["z"], []int{2, 2}, 0, 3, 6, 9)
}

func TestDropoutAndFlatten(t *testing.T) {
	m := graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2, 3)}, []string{"y", "mask", "f"}, nil,
		nodeP("Dropout", []string{"x"}, []string{"y", "mask"}),
		nodeP("Flatten", []string{"x"}, []string{"f"}, attrI("axis", 0)))
	out := run1(t, m, map[string]*Tensor{"x": ft([]int{2, 3}, seq(6, 1, 0)...)})
	assertClose(t, out["y"], []int{2, 3}, seq(6, 1, 0)...)
	assertClose(t, out["mask"], []int{2, 3}, 1, 1, 1, 1, 1, 1)
	assertClose(t, out["f"], []int{1, 6}, seq(6, 1, 0)...)
}

func TestTensorDTypes(t *testing.T) {
	mk := func(dt DataType, dims []int64) *onnxpb.TensorProto {
		return &onnxpb.TensorProto{Dims: dims, DataType: ptr(int32(dt))}
	}
	cases := []struct {
		name string
		tp   *onnxpb.TensorProto
		want []float32
		ints bool
	}{
		{"float raw", rawFloatTP("", []int64{2}, 1.5, -2), []float32{1.5, -2}, false},
		{"double field", func() *onnxpb.TensorProto { p := mk(Double, []int64{2}); p.DoubleData = []float64{0.25, 3}; return p }(), []float32{0.25, 3}, false},
		{"double raw", func() *onnxpb.TensorProto {
			p := mk(Double, []int64{1})
			p.RawData = []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}
			return p
		}(), []float32{1}, false},
		{"float16 raw", func() *onnxpb.TensorProto {
			p := mk(Float16, []int64{3})
			p.RawData = []byte{0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00}
			return p
		}(), []float32{1, -2, float32(math.Ldexp(1, -24))}, false},
		{"float16 field", func() *onnxpb.TensorProto { p := mk(Float16, []int64{1}); p.Int32Data = []int32{0x3800}; return p }(), []float32{0.5}, false},
		{"int64 raw", func() *onnxpb.TensorProto {
			p := mk(Int64, []int64{1})
			p.RawData = []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
			return p
		}(), []float32{-2}, true},
		{"int32 field", func() *onnxpb.TensorProto { p := mk(Int32, []int64{2}); p.Int32Data = []int32{7, -8}; return p }(), []float32{7, -8}, true},
		{"int8 raw", func() *onnxpb.TensorProto { p := mk(Int8, []int64{2}); p.RawData = []byte{0xff, 5}; return p }(), []float32{-1, 5}, true},
		{"uint8 raw", func() *onnxpb.TensorProto { p := mk(Uint8, []int64{2}); p.RawData = []byte{0xff, 5}; return p }(), []float32{255, 5}, true},
		{"bool field", func() *onnxpb.TensorProto { p := mk(Bool, []int64{2}); p.Int32Data = []int32{1, 0}; return p }(), []float32{1, 0}, true},
		{"scalar", floatTP("", nil, 4), []float32{4}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTensor(encode(t, tc.tp), "")
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tc.want {
				if got.Data.Data()[i] != w {
					t.Fatalf("values %v, want %v", got.Data.Data(), tc.want)
				}
			}
			if (got.Ints != nil) != tc.ints {
				t.Fatalf("Ints = %v, want ints %v", got.Ints, tc.ints)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestSupportedList checks the operator table holds the list.
func TestSupportedList(t *testing.T) {
	want := strings.Fields(`Conv BatchNormalization Relu LeakyRelu Sigmoid HardSigmoid HardSwish Tanh Clip
		Add Sub Mul Div Sum Concat Flatten Reshape Identity Dropout MaxPool AveragePool GlobalAveragePool
		Gemm MatMul Softmax LogSoftmax Constant Shape Gather Unsqueeze Squeeze Cast
		PRelu Elu Selu Softplus Softsign Exp Sqrt Pow Max Min Split Slice Transpose Pad ReduceMean ReduceSum
		InstanceNormalization GlobalMaxPool LRN DepthToSpace ConvTranspose Resize Upsample`)
	have := map[string]bool{}
	for _, s := range Supported() {
		have[s] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("operator %s is not supported", w)
		}
	}
}

// isUnsupported reports whether err is an *UnsupportedError.
func isUnsupported(err error) bool {
	var u *UnsupportedError
	return errors.As(err, &u)
}
