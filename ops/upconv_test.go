package ops

import (
	"fmt"
	"math"
	"testing"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// Tests of ConvTranspose2d, Upsample2d and LRN: finite-difference gradient
// checks of every variant, independent direct-loop oracles, the adjoint
// identity between Conv2d and ConvTranspose2d, and determinism across
// thread counts. The PyTorch comparisons are in golden_upconv_test.go.

type convTCase struct {
	name string
	x, w []int // [N, CI, H, W], [CI, CO/G, KH, KW]
	bias bool
	o    ConvTranspose2dOptions
	want [2]int // output H, W
}

var convTCases = []convTCase{
	{"k2s2", []int{2, 3, 3, 4}, []int{3, 2, 2, 2}, true, ConvTranspose2dOptions{Stride: [2]int{2, 2}}, [2]int{6, 8}},
	{"k3s2p1op1", []int{2, 2, 3, 3}, []int{2, 3, 3, 3}, true,
		ConvTranspose2dOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, OutputPadding: [2]int{1, 1}}, [2]int{6, 6}},
	{"groups2", []int{2, 4, 3, 3}, []int{4, 3, 3, 3}, true, ConvTranspose2dOptions{Groups: 2, Stride: [2]int{2, 1}}, [2]int{7, 5}},
	{"dilation2", []int{1, 2, 4, 4}, []int{2, 2, 3, 3}, true, ConvTranspose2dOptions{Dilation: [2]int{2, 2}, Padding: [2]int{1, 1}}, [2]int{6, 6}},
	{"dilation2_op1", []int{1, 2, 3, 3}, []int{2, 1, 2, 2}, false, ConvTranspose2dOptions{Dilation: [2]int{2, 2}, OutputPadding: [2]int{1, 0}}, [2]int{6, 5}},
	{"nobias", []int{2, 2, 4, 4}, []int{2, 3, 3, 3}, false, ConvTranspose2dOptions{Padding: [2]int{1, 1}}, [2]int{4, 4}},
	{"rect", []int{1, 2, 3, 4}, []int{2, 2, 3, 2}, true, ConvTranspose2dOptions{Stride: [2]int{2, 3}, Padding: [2]int{1, 0}, OutputPadding: [2]int{0, 2}}, [2]int{5, 13}},
	{"depthwise", []int{2, 3, 3, 3}, []int{3, 1, 3, 3}, true, ConvTranspose2dOptions{Groups: 3, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, [2]int{5, 5}},
	{"batch9_chunks", []int{9, 2, 3, 3}, []int{2, 2, 2, 2}, true, ConvTranspose2dOptions{Stride: [2]int{2, 2}}, [2]int{6, 6}},
}

func convTInputs(c convTCase) []*Var {
	g := tensor.NewRNG(7)
	in := []*Var{randParam(g, c.x...), randParam(g, c.w...)}
	if c.bias {
		in = append(in, randParam(g, c.w[1]*max(c.o.Groups, 1)))
	}
	return in
}

func convTApply(c convTCase) func(v []*Var) *Var {
	return func(v []*Var) *Var {
		var b *Var
		if len(v) == 3 {
			b = v[2]
		}
		return ConvTranspose2d(v[0], v[1], b, c.o)
	}
}

func TestConvTranspose2dGradients(t *testing.T) {
	for _, c := range convTCases {
		t.Run(c.name, func(t *testing.T) {
			in := convTInputs(c)
			f := convTApply(c)
			if got := f(in).Value.Shape(); got[2] != c.want[0] || got[3] != c.want[1] {
				t.Fatalf("output shape %v, want H×W %v", got, c.want)
			}
			if err := CheckGrad(f, in, fdEps, fdTol); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// convTDirect is the definition of a transposed convolution as a scatter:
// every input pixel adds weight·x into the output window it maps to.
func convTDirect(x, w, b *tensor.Tensor, o ConvTranspose2dOptions) *tensor.Tensor {
	s, d, p, op, groups := normPair(o.Stride), normPair(o.Dilation), o.Padding, o.OutputPadding, max(o.Groups, 1)
	n, ci, h, wd := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	cog, kh, kw := w.Dim(1), w.Dim(2), w.Dim(3)
	co, cig := cog*groups, ci/groups
	oh := (h-1)*s[0] - 2*p[0] + d[0]*(kh-1) + op[0] + 1
	ow := (wd-1)*s[1] - 2*p[1] + d[1]*(kw-1) + op[1] + 1
	out := tensor.New(n, co, oh, ow)
	for i := range n {
		for c := range ci {
			gi := c / cig
			for oc := range cog {
				for y := range h {
					for xx := range wd {
						v := x.At(i, c, y, xx)
						for ky := range kh {
							for kx := range kw {
								oy, ox := y*s[0]-p[0]+ky*d[0], xx*s[1]-p[1]+kx*d[1]
								if oy < 0 || oy >= oh || ox < 0 || ox >= ow {
									continue
								}
								o := gi*cog + oc
								out.Set(out.At(i, o, oy, ox)+v*w.At(c, oc, ky, kx), i, o, oy, ox)
							}
						}
					}
				}
			}
		}
	}
	if b != nil {
		for i := range n {
			for c := range co {
				for y := range oh {
					for xx := range ow {
						out.Set(out.At(i, c, y, xx)+b.Data()[c], i, c, y, xx)
					}
				}
			}
		}
	}
	return out
}

func TestConvTranspose2dMatchesDirectLoop(t *testing.T) {
	for _, c := range convTCases {
		t.Run(c.name, func(t *testing.T) {
			in := convTInputs(c)
			var b *tensor.Tensor
			if c.bias {
				b = in[2].Value
			}
			want := convTDirect(in[0].Value, in[1].Value, b, c.o)
			got := convTApply(c)(in).Value
			if !tensor.SameShape(got, want) {
				t.Fatalf("shape %v, want %v", got.Shape(), want.Shape())
			}
			if d := tensor.MaxAbsDiff(got, want); d > 1e-5 {
				t.Fatalf("max abs difference %.3g from the direct loop", d)
			}
		})
	}
}

// TestConvTranspose2dIsAdjointOfConv2d checks ⟨conv(x), y⟩ = ⟨x, convT(y)⟩
// for the same weight, stride, padding, dilation and groups, with the output
// padding that gives convT(y) the shape of x.
func TestConvTranspose2dIsAdjointOfConv2d(t *testing.T) {
	cases := []struct {
		x, w   []int // conv input [N, Cin, H, W] and conv weight [Cout, Cin/G, KH, KW]
		s, p   [2]int
		d      [2]int
		groups int
	}{
		{[]int{2, 3, 7, 7}, []int{4, 3, 3, 3}, [2]int{1, 1}, [2]int{0, 0}, [2]int{1, 1}, 1},
		{[]int{2, 3, 8, 7}, []int{4, 3, 3, 3}, [2]int{2, 2}, [2]int{1, 1}, [2]int{1, 1}, 1},
		{[]int{1, 4, 9, 9}, []int{6, 2, 3, 3}, [2]int{2, 1}, [2]int{1, 0}, [2]int{2, 1}, 2},
		{[]int{2, 2, 6, 6}, []int{3, 2, 2, 2}, [2]int{2, 2}, [2]int{0, 0}, [2]int{1, 1}, 1},
		{[]int{1, 3, 10, 11}, []int{3, 1, 5, 3}, [2]int{3, 2}, [2]int{2, 1}, [2]int{1, 2}, 3},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			g := tensor.NewRNG(uint64(i) + 3)
			x, w := tensor.Rand(g, -1, 1, c.x...), tensor.Rand(g, -1, 1, c.w...)
			co := Conv2dOptions{Stride: c.s, Padding: SymmetricPadding(c.p[0], c.p[1]), Dilation: c.d, Groups: c.groups}
			cx := Conv2d(Const(x), Const(w), nil, co).Value
			y := tensor.Rand(g, -1, 1, cx.Shape()...)
			// output padding = what integer division dropped in the conv
			var op [2]int
			for a := range 2 {
				op[a] = c.x[2+a] - ConvTranspose2dOutputSize(cx.Dim(2+a), c.w[2+a], c.s[a], c.p[a], 0, c.d[a])
			}
			ty := ConvTranspose2d(Const(y), Const(w), nil, ConvTranspose2dOptions{Stride: c.s, Padding: c.p,
				OutputPadding: op, Dilation: c.d, Groups: c.groups}).Value
			if !tensor.ShapeEqual(ty.Shape(), c.x) {
				t.Fatalf("convT(y) shape %v, want %v", ty.Shape(), c.x)
			}
			dot := func(a, b *tensor.Tensor) float64 {
				s := 0.0
				for j, v := range a.Data() {
					s += float64(v) * float64(b.Data()[j])
				}
				return s
			}
			lhs, rhs := dot(cx, y), dot(x, ty)
			if math.Abs(lhs-rhs) > 1e-4*math.Max(1, math.Abs(lhs)) {
				t.Fatalf("⟨conv(x), y⟩ = %.7g, ⟨x, convT(y)⟩ = %.7g", lhs, rhs)
			}
		})
	}
}

// TestUpconvDeterministicAcrossThreads runs forward and backward of every op
// of this family with 1, 2 and 3 threads and wants bit-identical results.
func TestUpconvDeterministicAcrossThreads(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	run := func() []float32 {
		g := tensor.NewRNG(11)
		x, w, b := randParam(g, 9, 4, 5, 5), randParam(g, 4, 3, 3, 3), randParam(g, 3)
		y := ConvTranspose2d(x, w, b, ConvTranspose2dOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, OutputPadding: [2]int{1, 1}})
		y = Upsample2d(y, UpsampleOptions{Mode: "bilinear", Scale: [2]float64{1.5, 1.5}})
		y = LRN(y, 3, 0.5, 0.75, 1)
		r := tensor.Rand(g, -1, 1, y.Value.Shape()...)
		y.BackwardWith(r)
		var all []float32
		for _, v := range []*tensor.Tensor{y.Value, x.Grad, w.Grad, b.Grad} {
			all = append(all, v.Data()...)
		}
		return all
	}
	var ref []float32
	for _, th := range []int{1, 2, 3} {
		kernels.SetThreads(th)
		got := run()
		if ref == nil {
			ref = got
			continue
		}
		for i := range ref {
			if math.Float32bits(got[i]) != math.Float32bits(ref[i]) {
				t.Fatalf("%d threads: element %d is %v, with 1 thread %v", th, i, got[i], ref[i])
			}
		}
	}
}

func TestConvTranspose2dRejectsBadOptions(t *testing.T) {
	x, w := Const(tensor.New(1, 2, 3, 3)), Const(tensor.New(2, 2, 3, 3))
	for name, o := range map[string]ConvTranspose2dOptions{
		"output padding ≥ stride and dilation": {Stride: [2]int{2, 2}, OutputPadding: [2]int{2, 0}},
		"negative padding":                     {Padding: [2]int{-1, 0}},
		"groups do not divide":                 {Groups: 3},
		"empty output":                         {Padding: [2]int{3, 3}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			ConvTranspose2d(x, w, nil, o)
		})
	}
}

var upsCases = []struct {
	name  string
	x     []int
	o     UpsampleOptions
	oh, w int
}{
	{"nearest_x2", []int{2, 2, 3, 4}, UpsampleOptions{Scale: [2]float64{2, 2}}, 6, 8},
	{"nearest_size7x5", []int{1, 2, 4, 3}, UpsampleOptions{Mode: "nearest", Size: [2]int{7, 5}}, 7, 5},
	{"nearest_x1p5", []int{1, 2, 5, 4}, UpsampleOptions{Mode: "nearest", Scale: [2]float64{1.5, 1.5}}, 7, 6},
	{"nearest_down", []int{1, 2, 6, 5}, UpsampleOptions{Mode: "nearest", Size: [2]int{4, 2}}, 4, 2},
	{"bilinear_x2", []int{2, 2, 3, 4}, UpsampleOptions{Mode: "bilinear", Scale: [2]float64{2, 2}}, 6, 8},
	{"bilinear_x2_align", []int{2, 2, 3, 4}, UpsampleOptions{Mode: "bilinear", Scale: [2]float64{2, 2}, AlignCorners: true}, 6, 8},
	{"bilinear_size", []int{1, 2, 4, 5}, UpsampleOptions{Mode: "bilinear", Size: [2]int{7, 3}}, 7, 3},
	{"bilinear_size_align", []int{1, 2, 4, 5}, UpsampleOptions{Mode: "bilinear", Size: [2]int{7, 3}, AlignCorners: true}, 7, 3},
	{"bilinear_x1p5", []int{1, 1, 5, 4}, UpsampleOptions{Mode: "bilinear", Scale: [2]float64{1.5, 2.5}}, 7, 10},
	{"bilinear_to1_align", []int{1, 1, 3, 3}, UpsampleOptions{Mode: "bilinear", Size: [2]int{1, 4}, AlignCorners: true}, 1, 4},
}

func TestUpsample2dGradients(t *testing.T) {
	for _, c := range upsCases {
		t.Run(c.name, func(t *testing.T) {
			in := []*Var{randParam(tensor.NewRNG(5), c.x...)}
			f := func(v []*Var) *Var { return Upsample2d(v[0], c.o) }
			if s := f(in).Value.Shape(); s[2] != c.oh || s[3] != c.w {
				t.Fatalf("output %v, want H×W %d×%d", s, c.oh, c.w)
			}
			if err := CheckGrad(f, in, fdEps, fdTol); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestUpsample2dValues checks hand-computed values: nearest ×2 repeats each
// pixel, bilinear with aligned corners keeps the corners and interpolates
// linearly between them, and half-pixel bilinear ×2 of [0, 1] is
// [0, ¼, ¾, 1] (the clamp at 0 and the edge repeat included).
func TestUpsample2dValues(t *testing.T) {
	x := Const(tensor.FromSlice([]float32{0, 1}, 1, 1, 1, 2))
	check := func(name string, o UpsampleOptions, want []float32) {
		t.Helper()
		got := Upsample2d(x, o).Value.Data()
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-6 {
				t.Errorf("%s: got %v, want %v", name, got, want)
				return
			}
		}
	}
	check("nearest", UpsampleOptions{Scale: [2]float64{1, 2}}, []float32{0, 0, 1, 1})
	check("nearest3", UpsampleOptions{Size: [2]int{1, 3}}, []float32{0, 0, 1})
	check("bilinear", UpsampleOptions{Mode: "bilinear", Scale: [2]float64{1, 2}}, []float32{0, 0.25, 0.75, 1})
	check("align", UpsampleOptions{Mode: "bilinear", Size: [2]int{1, 5}, AlignCorners: true}, []float32{0, 0.25, 0.5, 0.75, 1})
}

func TestUpsample2dRejectsBadOptions(t *testing.T) {
	x := Const(tensor.New(1, 1, 2, 2))
	for name, o := range map[string]UpsampleOptions{
		"no size":       {},
		"both":          {Size: [2]int{3, 3}, Scale: [2]float64{2, 2}},
		"bad mode":      {Mode: "bicubic", Size: [2]int{3, 3}},
		"nearest align": {Size: [2]int{3, 3}, AlignCorners: true},
		"empty":         {Scale: [2]float64{0.1, 1}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			Upsample2d(x, o)
		})
	}
}

// lrnDirect is the definition of LRN computed in float64.
func lrnDirect(x *tensor.Tensor, size int, alpha, beta, k float64) []float64 {
	n, c := x.Dim(0), x.Dim(1)
	s := x.Len() / (n * c)
	out := make([]float64, x.Len())
	for i := range n {
		for ch := range c {
			for p := range s {
				sum := 0.0
				for j := ch - size/2; j <= ch+(size-1)/2; j++ {
					if j >= 0 && j < c {
						v := float64(x.Data()[(i*c+j)*s+p])
						sum += v * v
					}
				}
				o := (i*c+ch)*s + p
				out[o] = float64(x.Data()[o]) / math.Pow(k+alpha/float64(size)*sum, beta)
			}
		}
	}
	return out
}

var lrnCases = []struct {
	name                string
	x                   []int
	size                int
	alpha, beta, k, amp float32
}{
	{"size5_alexnet", []int{2, 7, 3, 3}, 5, 1e-4, 0.75, 2, 1},
	{"size3_alpha", []int{2, 5, 3, 2}, 3, 0.5, 0.75, 1, 2},
	{"size4_even", []int{1, 6, 2, 3}, 4, 0.8, 0.6, 1.5, 2},
	{"size1", []int{1, 3, 2, 2}, 1, 1, 1, 1, 1},
	{"size9_wider_than_c", []int{1, 3, 2, 2}, 9, 2, 0.75, 1, 1},
	{"rank3", []int{2, 4, 5}, 3, 1, 0.75, 1, 1},
	{"big_spatial", []int{1, 3, 40, 40}, 3, 0.3, 0.75, 1, 1},
}

func TestLRNMatchesDefinition(t *testing.T) {
	for _, c := range lrnCases {
		t.Run(c.name, func(t *testing.T) {
			x := tensor.Rand(tensor.NewRNG(9), -c.amp, c.amp, c.x...)
			got := LRN(Const(x), c.size, c.alpha, c.beta, c.k).Value
			want := lrnDirect(x, c.size, float64(c.alpha), float64(c.beta), float64(c.k))
			for i, w := range want {
				if math.Abs(float64(got.Data()[i])-w) > 1e-6*math.Max(1, math.Abs(w)) {
					t.Fatalf("element %d: %v, want %v", i, got.Data()[i], w)
				}
			}
		})
	}
}

func TestLRNGradients(t *testing.T) {
	for _, c := range lrnCases {
		if c.name == "big_spatial" {
			continue // same code path as the others, too slow for finite differences
		}
		t.Run(c.name, func(t *testing.T) {
			in := []*Var{Param(tensor.Rand(tensor.NewRNG(9), -c.amp, c.amp, c.x...))}
			f := func(v []*Var) *Var { return LRN(v[0], c.size, c.alpha, c.beta, c.k) }
			if err := CheckGrad(f, in, fdEps, fdTol); err != nil {
				t.Fatal(err)
			}
		})
	}
	// A spatial size above one block (lrnBlock) checks the block split in
	// the backward pass against a cheap input.
	in := []*Var{Param(tensor.Rand(tensor.NewRNG(2), -1, 1, 1, 2, 33, 33))}
	f := func(v []*Var) *Var { return LRN(v[0], 2, 0.9, 0.75, 1) }
	if err := CheckGrad(f, in, fdEps, fdTol); err != nil {
		t.Fatal(err)
	}
}
