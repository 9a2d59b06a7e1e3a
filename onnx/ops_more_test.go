package onnx

import (
	"math"
	"testing"

	"convnet/onnx/onnxpb"
)

// TestHardSigmoidBitwise checks HardSigmoid against ONNX's definition in
// float32, max(0, min(1, alpha·x + beta)) with the product and the sum
// each rounded, bit for bit.
func TestHardSigmoidBitwise(t *testing.T) {
	x := seq(64, 0.173, -5.3)
	alpha, beta := float32(0.2), float32(0.5)
	m := graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 64)}, []string{"y"}, nil,
		nodeP("HardSigmoid", []string{"x"}, []string{"y"}))
	got := run1(t, m, map[string]*Tensor{"x": ft([]int{64}, x...)})["y"].Data.Data()
	for i, v := range x {
		p := alpha * v
		s := p + beta
		want := max(0, min(1, s))
		if math.Float32bits(got[i]) != math.Float32bits(want) {
			t.Fatalf("HardSigmoid(%v) = %v, want %v", v, got[i], want)
		}
	}
}

// TestMaxMinVariadic checks Max and Min of three broadcasting inputs.
func TestMaxMinVariadic(t *testing.T) {
	m := graphModel(13, []*onnxpb.ValueInfoProto{vinfo("a", Float, 2, 2), vinfo("b", Float, 2), vinfo("c", Float, 1)}, []string{"hi", "lo"}, nil,
		nodeP("Max", []string{"a", "b", "c"}, []string{"hi"}),
		nodeP("Min", []string{"a", "b", "c"}, []string{"lo"}))
	out := run1(t, m, map[string]*Tensor{"a": ft([]int{2, 2}, 1, 5, -3, 0), "b": ft([]int{2}, 2, -1), "c": ft([]int{1}, 0.5)})
	assertClose(t, out["hi"], []int{2, 2}, 2, 5, 2, 0.5)
	assertClose(t, out["lo"], []int{2, 2}, 0.5, -1, -3, -1)
}

// TestGatherAxis1 gathers float data along axis 1 with a 2-D index and a
// scalar index.
func TestGatherAxis1(t *testing.T) {
	m := graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2, 3)}, []string{"g", "s"},
		[]*onnxpb.TensorProto{intTP("i", []int64{2, 1}, 2, -3), intTP("k", nil, 1)},
		nodeP("Gather", []string{"x", "i"}, []string{"g"}, attrI("axis", 1)),
		nodeP("Gather", []string{"x", "k"}, []string{"s"}, attrI("axis", -1)))
	out := run1(t, m, map[string]*Tensor{"x": ft([]int{2, 3}, seq(6, 1, 0)...)})
	assertClose(t, out["g"], []int{2, 2, 1}, 2, 0, 5, 3)
	assertClose(t, out["s"], []int{2}, 1, 4)
}

// TestSliceAndPadByOpset runs Slice and Pad in their attribute (opset 9)
// and input (opset 13) forms, with a negative step and a reflect pad, and
// slices an integer shape exactly.
func TestSliceAndPadByOpset(t *testing.T) {
	x := seq(12, 1, 0) // [3, 4]
	m := graphModel(9, []*onnxpb.ValueInfoProto{vinfo("x", Float, 3, 4)}, []string{"s", "p"}, nil,
		nodeP("Slice", []string{"x"}, []string{"s"}, attrInts("starts", 1, -3), attrInts("ends", 1000, 3), attrInts("axes", 0, 1)),
		nodeP("Pad", []string{"x"}, []string{"p"}, attrS("mode", "reflect"), attrInts("pads", 0, 1, 0, 2)))
	out := run1(t, m, map[string]*Tensor{"x": ft([]int{3, 4}, x...)})
	assertClose(t, out["s"], []int{2, 2}, 5, 6, 9, 10)
	assertClose(t, out["p"], []int{3, 7}, 1, 0, 1, 2, 3, 2, 1)
	m = graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 3, 4)}, []string{"s", "p", "sh"},
		[]*onnxpb.TensorProto{intTP("st", []int64{1}, -1), intTP("en", []int64{1}, math.MinInt64), intTP("ax", []int64{1}, 1), intTP("step", []int64{1}, -2),
			intTP("pads", []int64{4}, 1, 0, 0, 1), floatTP("v", nil, 7),
			intTP("s0", []int64{1}, 1), intTP("s1", []int64{1}, 2)},
		nodeP("Slice", []string{"x", "st", "en", "ax", "step"}, []string{"s"}),
		nodeP("Pad", []string{"x", "pads", "v"}, []string{"p"}),
		nodeP("Shape", []string{"x"}, []string{"shape"}),
		nodeP("Slice", []string{"shape", "s0", "s1"}, []string{"sh"}))
	out = run1(t, m, map[string]*Tensor{"x": ft([]int{3, 4}, x...)})
	assertClose(t, out["s"], []int{3, 2}, 3, 1, 7, 5, 11, 9)
	assertClose(t, out["p"], []int{4, 5}, 7, 7, 7, 7, 7, 0, 1, 2, 3, 7)
	if sh := out["sh"]; sh.DType != Int64 || len(sh.Ints) != 1 || sh.Ints[0] != 4 {
		t.Fatalf("Slice of a shape: %+v, want INT64 [4]", sh)
	}
}

// TestSplitForms splits by attribute (opset 11), by input (opset 13) and
// into num_outputs uneven parts (opset 18).
func TestSplitForms(t *testing.T) {
	x := seq(5, 1, 0)
	m := graphModel(11, []*onnxpb.ValueInfoProto{vinfo("x", Float, 5)}, []string{"a", "b"}, nil,
		nodeP("Split", []string{"x"}, []string{"a", "b"}, attrInts("split", 2, 3)))
	out := run1(t, m, map[string]*Tensor{"x": ft([]int{5}, x...)})
	assertClose(t, out["a"], []int{2}, 0, 1)
	assertClose(t, out["b"], []int{3}, 2, 3, 4)
	m = graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 5)}, []string{"a", "b"},
		[]*onnxpb.TensorProto{intTP("sp", []int64{2}, 4, 1)},
		nodeP("Split", []string{"x", "sp"}, []string{"a", "b"}))
	out = run1(t, m, map[string]*Tensor{"x": ft([]int{5}, x...)})
	assertClose(t, out["b"], []int{1}, 4)
	m = graphModel(18, []*onnxpb.ValueInfoProto{vinfo("x", Float, 5)}, []string{"a", "b", "c"}, nil,
		nodeP("Split", []string{"x"}, []string{"a", "b", "c"}, attrI("num_outputs", 3)))
	out = run1(t, m, map[string]*Tensor{"x": ft([]int{5}, x...)})
	assertClose(t, out["c"], []int{1}, 4)
}

// TestReduceForms checks ReduceSum with axes as an input (opset 13),
// noop_with_empty_axes, and ReduceMean with axes as an attribute.
func TestReduceForms(t *testing.T) {
	x := seq(6, 1, 0) // [2, 3]
	m := graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2, 3)}, []string{"s", "n", "m"},
		[]*onnxpb.TensorProto{intTP("ax", []int64{1}, -1)},
		nodeP("ReduceSum", []string{"x", "ax"}, []string{"s"}, attrI("keepdims", 0)),
		nodeP("ReduceSum", []string{"x"}, []string{"n"}, attrI("noop_with_empty_axes", 1)),
		nodeP("ReduceMean", []string{"x"}, []string{"m"}, attrInts("axes", 0)))
	out := run1(t, m, map[string]*Tensor{"x": ft([]int{2, 3}, x...)})
	assertClose(t, out["s"], []int{2}, 3, 12)
	assertClose(t, out["n"], []int{2, 3}, x...)
	assertClose(t, out["m"], []int{1, 3}, 1.5, 2.5, 3.5)
}

// TestDepthToSpaceModes checks DCR and CRD on [1, 4, 1, 1].
func TestDepthToSpaceModes(t *testing.T) {
	m := graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 1, 8, 1, 1)}, []string{"d", "c"}, nil,
		nodeP("DepthToSpace", []string{"x"}, []string{"d"}, attrI("blocksize", 2)),
		nodeP("DepthToSpace", []string{"x"}, []string{"c"}, attrI("blocksize", 2), attrS("mode", "CRD")))
	out := run1(t, m, map[string]*Tensor{"x": ft([]int{1, 8, 1, 1}, seq(8, 1, 0)...)})
	assertClose(t, out["d"], []int{1, 2, 2, 2}, 0, 2, 4, 6, 1, 3, 5, 7)
	assertClose(t, out["c"], []int{1, 2, 2, 2}, seq(8, 1, 0)...)
}

// TestConvTransposePads compares ConvTranspose with asymmetric pads,
// output_shape and auto_pad against a naive transposed convolution (the
// full output cropped).
func TestConvTransposePads(t *testing.T) {
	x := seq(2*2*3*3, 0.1, -1)
	wt := seq(2*3*2*3, 0.05, -0.4) // [2, 3, 2, 3]
	bias := []float32{0.5, -1, 2}
	// full transposed convolution, stride 2: [1, 3, 6, 7] per image.
	full := func(b int) []float32 {
		fh, fw := (3-1)*2+2, (3-1)*2+3
		out := make([]float32, 3*fh*fw)
		for ci := range 2 {
			for i := range 3 {
				for j := range 3 {
					v := x[((b*2+ci)*3+i)*3+j]
					for co := range 3 {
						for p := range 2 {
							for q := range 3 {
								out[(co*fh+i*2+p)*fw+j*2+q] += v * wt[((ci*3+co)*2+p)*3+q]
							}
						}
					}
				}
			}
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		attrs []*onnxpb.AttributeProto
		pads  [4]int // top, left, bottom, right of the full output
		oh    int
		ow    int
	}{
		{"asym", []*onnxpb.AttributeProto{attrInts("pads", 0, 1, 1, 0)}, [4]int{0, 1, 1, 0}, 5, 6},
		{"end_bigger", []*onnxpb.AttributeProto{attrInts("pads", 0, 0, 2, 1), attrInts("output_padding", 1, 0)}, [4]int{0, 0, 2, 1}, 5, 6},
		{"output_shape", []*onnxpb.AttributeProto{attrInts("output_shape", 5, 5)}, [4]int{1, 1, 0, 1}, 5, 5},
		{"same_upper", []*onnxpb.AttributeProto{attrS("auto_pad", "SAME_UPPER")}, [4]int{0, 0, 0, 1}, 6, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attrs := append([]*onnxpb.AttributeProto{attrInts("strides", 2, 2)}, tc.attrs...)
			m := graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 2, 2, 3, 3)}, []string{"y"},
				[]*onnxpb.TensorProto{rawFloatTP("w", []int64{2, 3, 2, 3}, wt...), floatTP("b", []int64{3}, bias...)},
				nodeP("ConvTranspose", []string{"x", "w", "b"}, []string{"y"}, attrs...))
			out := run1(t, m, map[string]*Tensor{"x": ft([]int{2, 2, 3, 3}, x...)})
			var want []float32
			for b := range 2 {
				f := full(b)
				for co := range 3 {
					for i := range tc.oh {
						for j := range tc.ow {
							v := bias[co]
							if y, xx := i+tc.pads[0], j+tc.pads[1]; y < 6 && xx < 7 {
								v += f[(co*6+y)*7+xx]
							}
							want = append(want, v)
						}
					}
				}
			}
			assertClose(t, out["y"], []int{2, 3, tc.oh, tc.ow}, want...)
		})
	}
}

// TestResizeModes checks nearest resizing with several coordinate and
// rounding modes, linear resizing mapped onto ops.Upsample2d and the
// separable fallback (asymmetric), and Upsample's opset-7 and opset-9
// forms, against ONNX's formulas worked by hand on a 1-D ramp.
func TestResizeModes(t *testing.T) {
	x := []float32{0, 10, 20, 30}
	run := func(opset int64, op string, inputs []string, inits []*onnxpb.TensorProto, attrs ...*onnxpb.AttributeProto) *Tensor {
		t.Helper()
		m := graphModel(opset, []*onnxpb.ValueInfoProto{vinfo("x", Float, 1, 1, 1, 4)}, []string{"y"}, inits,
			nodeP(op, append([]string{"x"}, inputs...), []string{"y"}, attrs...))
		return run1(t, m, map[string]*Tensor{"x": ft([]int{1, 1, 1, 4}, x...)})["y"]
	}
	up2 := floatTP("sc", []int64{4}, 1, 1, 1, 2)
	// asymmetric + floor: source ⌊o/2⌋.
	assertClose(t, run(13, "Resize", []string{"", "sc"}, []*onnxpb.TensorProto{up2}, attrS("mode", "nearest"),
		attrS("coordinate_transformation_mode", "asymmetric"), attrS("nearest_mode", "floor")),
		[]int{1, 1, 1, 8}, 0, 0, 10, 10, 20, 20, 30, 30)
	// half_pixel + round_prefer_floor: source (o+0.5)/2 − 0.5 = −0.25, 0.25, 0.75, …
	assertClose(t, run(13, "Resize", []string{"", "sc"}, []*onnxpb.TensorProto{up2}, attrS("mode", "nearest")),
		[]int{1, 1, 1, 8}, 0, 0, 10, 10, 20, 20, 30, 30)
	// Downsampling 4 → 3 by sizes, half_pixel + round_prefer_ceil:
	// sources (o+0.5)·4/3 − 0.5 = 0.1667, 1.5, 2.8333 → 0, 2, 3.
	sz := intTP("sz", []int64{4}, 1, 1, 1, 3)
	assertClose(t, run(13, "Resize", []string{"", "", "sz"}, []*onnxpb.TensorProto{sz}, attrS("mode", "nearest"), attrS("nearest_mode", "round_prefer_ceil")),
		[]int{1, 1, 1, 3}, 0, 20, 30)
	// Linear, half_pixel (ops.Upsample2d): sources −0.25→0, 0.25, 0.75, …, 3.25→3.
	assertClose(t, run(13, "Resize", []string{"", "sc"}, []*onnxpb.TensorProto{up2}, attrS("mode", "linear")),
		[]int{1, 1, 1, 8}, 0, 2.5, 7.5, 12.5, 17.5, 22.5, 27.5, 30)
	// Linear, align_corners with sizes 7: sources o·3/6 = o/2.
	sz7 := intTP("sz", []int64{4}, 1, 1, 1, 7)
	assertClose(t, run(13, "Resize", []string{"", "", "sz"}, []*onnxpb.TensorProto{sz7}, attrS("mode", "linear"), attrS("coordinate_transformation_mode", "align_corners")),
		[]int{1, 1, 1, 7}, 0, 5, 10, 15, 20, 25, 30)
	// Linear, asymmetric (the separable fallback): sources o/2, clamped at 3.
	assertClose(t, run(13, "Resize", []string{"", "sc"}, []*onnxpb.TensorProto{up2}, attrS("mode", "linear"), attrS("coordinate_transformation_mode", "asymmetric")),
		[]int{1, 1, 1, 8}, 0, 5, 10, 15, 20, 25, 30, 30)
	// Upsample opset 7 (scales attribute) and opset 9 (scales input), Resize 10.
	assertClose(t, run(7, "Upsample", nil, nil, attrS("mode", "nearest"), &onnxpb.AttributeProto{Name: ptr("scales"), Type: onnxpb.AttributeProto_FLOATS.Enum(), Floats: []float32{1, 1, 1, 2}}),
		[]int{1, 1, 1, 8}, 0, 0, 10, 10, 20, 20, 30, 30)
	assertClose(t, run(9, "Upsample", []string{"sc"}, []*onnxpb.TensorProto{up2}, attrS("mode", "linear")),
		[]int{1, 1, 1, 8}, 0, 5, 10, 15, 20, 25, 30, 30)
	assertClose(t, run(10, "Resize", []string{"sc"}, []*onnxpb.TensorProto{up2}),
		[]int{1, 1, 1, 8}, 0, 0, 10, 10, 20, 20, 30, 30)
}

// TestPoolSameAutoPad checks MaxPool with auto_pad SAME_UPPER and
// SAME_LOWER (asymmetric pads) and AveragePool with explicit asymmetric
// pads and count_include_pad.
func TestPoolSameAutoPad(t *testing.T) {
	x := seq(16, 1, 0) // [1, 1, 4, 4]
	run := func(op string, attrs ...*onnxpb.AttributeProto) *Tensor {
		m := graphModel(13, []*onnxpb.ValueInfoProto{vinfo("x", Float, 1, 1, 4, 4)}, []string{"y"}, nil,
			nodeP(op, []string{"x"}, []string{"y"}, append([]*onnxpb.AttributeProto{attrInts("kernel_shape", 2, 2)}, attrs...)...))
		return run1(t, m, map[string]*Tensor{"x": ft([]int{1, 1, 4, 4}, x...)})["y"]
	}
	// SAME_UPPER, stride 1: one row/column of padding at the end.
	assertClose(t, run("MaxPool", attrS("auto_pad", "SAME_UPPER")), []int{1, 1, 4, 4},
		5, 6, 7, 7, 9, 10, 11, 11, 13, 14, 15, 15, 13, 14, 15, 15)
	// SAME_LOWER: at the start.
	assertClose(t, run("MaxPool", attrS("auto_pad", "SAME_LOWER")), []int{1, 1, 4, 4},
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
	// pads (0, 0, 1, 1) and count_include_pad: with stride 2 every window
	// lies inside; with stride 3 the windows over the end padding divide
	// by the full 2×2 window (3+7 over 4, 12+13 over 4, 15 over 4).
	assertClose(t, run("AveragePool", attrInts("strides", 2, 2), attrInts("pads", 0, 0, 1, 1), attrI("count_include_pad", 1)), []int{1, 1, 2, 2},
		2.5, 4.5, 10.5, 12.5)
	assertClose(t, run("AveragePool", attrInts("strides", 3, 3), attrInts("pads", 0, 0, 1, 1), attrI("count_include_pad", 1)), []int{1, 1, 2, 2},
		2.5, 2.5, 6.25, 3.75)
}
