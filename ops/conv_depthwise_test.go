package ops

import (
	"fmt"
	"testing"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// depthwiseCase is one depthwise convolution: input [N, C, H, W], channel
// multiplier M, square kernel K and options.
type depthwiseCase struct {
	n, c, h, w, m, k int
	o                Conv2dOptions
	bias             bool
}

func (c depthwiseCase) String() string {
	return fmt.Sprintf("n%d_c%d_%dx%d_m%d_k%d_s%v_p%v_d%v_b%v", c.n, c.c, c.h, c.w, c.m, c.k,
		c.o.Stride, c.o.Padding, c.o.Dilation, c.bias)
}

// depthwiseCases covers kernels 1, 3, 5, 7, strides 1 and 2, paddings 0…3
// (symmetric and not), dilations 1 and 2, multipliers 1 and 2, odd sizes
// and batches 1 and 3, skipping shapes with an empty output.
func depthwiseCases() []depthwiseCase {
	var cs []depthwiseCase
	sizes := [][2]int{{7, 9}, {12, 5}, {17, 23}}
	pads := [][4]int{{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 0, 1, 3}, {3, 3, 3, 3}, {0, 2, 3, 1}}
	i := 0
	for _, k := range []int{1, 3, 5, 7} {
		for _, s := range []int{1, 2} {
			for _, p := range pads {
				for _, d := range []int{1, 2} {
					i++
					hw := sizes[i%len(sizes)]
					c := depthwiseCase{n: 1 + 2*(i%2), c: 2 + i%3, h: hw[0], w: hw[1], m: []int{1, 2, 6}[(i/2)%3], k: k,
						o:    Conv2dOptions{Stride: [2]int{s, s}, Padding: p, Dilation: [2]int{d, d}},
						bias: i%3 != 0}
					c.o.Groups = c.c
					if ConvOutputSize(c.h, k, s, p[0], p[2], d) <= 0 || ConvOutputSize(c.w, k, s, p[1], p[3], d) <= 0 {
						continue
					}
					cs = append(cs, c)
				}
			}
		}
	}
	// A wide plane that exercises the vector kernels' full blocks and tails.
	cs = append(cs,
		depthwiseCase{n: 2, c: 3, h: 9, w: 131, m: 1, k: 3, o: Conv2dOptions{Padding: SymmetricPadding(1, 1), Groups: 3}, bias: true},
		depthwiseCase{n: 1, c: 2, h: 8, w: 133, m: 2, k: 3, o: Conv2dOptions{Stride: [2]int{2, 2}, Padding: [4]int{0, 0, 1, 1}, Groups: 2}, bias: true},
		depthwiseCase{n: 1, c: 2, h: 6, w: 70, m: 1, k: 5, o: Conv2dOptions{Stride: [2]int{1, 2}, Padding: SymmetricPadding(2, 2), Groups: 2}, bias: false},
	)
	return cs
}

// depthwiseRun runs a depthwise case forward and backward (seeded with a
// fixed random output gradient) with the direct kernels or, when direct is
// false, the im2col + SGEMM path, and returns y, dx, dw and db (nil without
// bias).
func depthwiseRun(c depthwiseCase, direct bool) []*tensor.Tensor {
	defer func(old bool) { depthwiseDirect = old }(depthwiseDirect)
	depthwiseDirect = direct
	g := tensor.NewRNG(7)
	x := Param(tensor.Randn(g, 0, 1, c.n, c.c, c.h, c.w))
	w := Param(tensor.Randn(g, 0, 1, c.c*c.m, 1, c.k, c.k))
	var b *Var
	if c.bias {
		b = Param(tensor.Randn(g, 0, 1, c.c*c.m))
	}
	y := Conv2d(x, w, b, c.o)
	y.BackwardWith(tensor.Randn(g, 0, 1, y.Value.Shape()...))
	res := []*tensor.Tensor{y.Value, x.Grad, w.Grad}
	if b != nil {
		res = append(res, b.Grad)
	}
	return res
}

// relDiff returns max |a − b| / (1 + max |b|).
func relDiff(a, b *tensor.Tensor) float64 {
	scale := maxAbs(b.Data())
	return tensor.MaxAbsDiff(a, b) / (1 + scale)
}

// TestConv2dDepthwiseMatchesGEMM checks the direct depthwise kernels
// against the im2col + SGEMM path, forward and every gradient.
func TestConv2dDepthwiseMatchesGEMM(t *testing.T) {
	names := []string{"y", "dx", "dw", "db"}
	for _, c := range depthwiseCases() {
		t.Run(c.String(), func(t *testing.T) {
			got, want := depthwiseRun(c, true), depthwiseRun(c, false)
			if got[0].Dim(1) != c.c*c.m {
				t.Fatalf("output shape %v", got[0].Shape())
			}
			for i := range want {
				if d := relDiff(got[i], want[i]); d > 1e-5 {
					t.Errorf("%s: relative max diff %g", names[i], d)
				}
			}
		})
	}
}

// TestConv2dDepthwiseMatchesDirectLoop checks the forward pass against the
// naive loop directConv.
func TestConv2dDepthwiseMatchesDirectLoop(t *testing.T) {
	g := tensor.NewRNG(3)
	for _, c := range depthwiseCases() {
		x := tensor.Randn(g, 0, 1, c.n, c.c, c.h, c.w)
		w := tensor.Randn(g, 0, 1, c.c*c.m, 1, c.k, c.k)
		var b, bt *tensor.Tensor
		var bv *Var
		if c.bias {
			b = tensor.Randn(g, 0, 1, c.c*c.m)
			bt, bv = b, Const(b)
		}
		got := Conv2d(Const(x), Const(w), bv, c.o).Value
		if d := relDiff(got, directConv(x, w, bt, c.o)); d > 1e-5 {
			t.Errorf("%v: relative max diff %g", c, d)
		}
	}
}

// TestConv2dDepthwiseDeterministicAcrossThreads checks that the direct
// kernels give bit-identical outputs and gradients on 1, 2 and 3 threads.
func TestConv2dDepthwiseDeterministicAcrossThreads(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	for _, c := range []depthwiseCase{
		{n: 3, c: 5, h: 17, w: 23, m: 2, k: 3, o: Conv2dOptions{Padding: SymmetricPadding(1, 1), Groups: 5}, bias: true},
		{n: 3, c: 4, h: 15, w: 40, m: 1, k: 5, o: Conv2dOptions{Stride: [2]int{2, 2}, Padding: [4]int{2, 1, 2, 3}, Groups: 4}, bias: true},
		// LeNet-5's first layer (C = 1, m = 6: the SGEMM weight gradient),
		// with more images than gradient chunks.
		{n: 11, c: 1, h: 28, w: 28, m: 6, k: 5, o: Conv2dOptions{Padding: SymmetricPadding(2, 2), Groups: 1}, bias: true},
	} {
		var ref []*tensor.Tensor
		for _, th := range []int{1, 2, 3} {
			kernels.SetThreads(th)
			got := depthwiseRun(c, true)
			if ref == nil {
				ref = got
				continue
			}
			for i := range ref {
				if !equalBits(got[i], ref[i]) {
					t.Errorf("%v: result %d on %d threads differs from 1 thread", c, i, th)
				}
			}
		}
	}
}

// equalBits reports whether a and b hold the same float32 bit patterns.
func equalBits(a, b *tensor.Tensor) bool {
	ad, bd := a.Data(), b.Data()
	return len(ad) == len(bd) && firstDiff(ad, bd) < 0
}

// TestConv2dDepthwiseCheckGrad compares the direct kernels' gradients with
// finite differences.
func TestConv2dDepthwiseCheckGrad(t *testing.T) {
	for _, c := range []depthwiseCase{
		{n: 2, c: 3, h: 6, w: 7, m: 2, k: 3, o: Conv2dOptions{Padding: [4]int{1, 0, 2, 1}, Groups: 3}, bias: true},
		{n: 1, c: 2, h: 9, w: 8, m: 1, k: 3, o: Conv2dOptions{Stride: [2]int{2, 2}, Dilation: [2]int{2, 1}, Padding: SymmetricPadding(1, 2), Groups: 2}, bias: true},
		{n: 2, c: 2, h: 7, w: 6, m: 5, k: 3, o: Conv2dOptions{Stride: [2]int{1, 2}, Padding: SymmetricPadding(1, 1), Groups: 2}, bias: true},
	} {
		t.Run(c.String(), func(t *testing.T) {
			g := tensor.NewRNG(1)
			in := []*Var{randParam(g, c.n, c.c, c.h, c.w), randParam(g, c.c*c.m, 1, c.k, c.k), randParam(g, c.c*c.m)}
			f := func(v []*Var) *Var { return Conv2d(v[0], v[1], v[2], c.o) }
			if err := CheckGrad(f, in, fdEps, fdTol); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// BenchmarkConv2dDepthwise times MobileNet-v2's depthwise layers (3×3, pad
// 1) at batch 1, inference only, on the direct kernels (impl=direct) and on
// im2col + SGEMM (impl=gemm). Compare with benchstat -col /impl.
func BenchmarkConv2dDepthwise(b *testing.B) {
	defer NoGrad()()
	for _, l := range []struct{ c, hw, s int }{
		{32, 112, 1}, {96, 112, 2}, {144, 56, 1}, {144, 56, 2}, {192, 28, 1}, {384, 14, 1}, {576, 14, 1}, {576, 14, 2}, {960, 7, 1},
	} {
		g := tensor.NewRNG(1)
		x := Const(tensor.Randn(g, 0, 1, 1, l.c, l.hw, l.hw))
		w := Const(tensor.Randn(g, 0, 1, l.c, 1, 3, 3))
		bias := Const(tensor.Randn(g, 0, 1, l.c))
		o := Conv2dOptions{Stride: [2]int{l.s, l.s}, Padding: SymmetricPadding(1, 1), Groups: l.c}
		for _, impl := range []string{"gemm", "direct"} {
			b.Run(fmt.Sprintf("layer=%dx%dx%d_s%d/impl=%s", l.c, l.hw, l.hw, l.s, impl), func(b *testing.B) {
				defer func(old bool) { depthwiseDirect = old }(depthwiseDirect)
				depthwiseDirect = impl == "direct"
				for b.Loop() {
					Conv2d(x, w, bias, o)
				}
			})
		}
	}
}

// BenchmarkConv2dDepthwiseTrain times forward and backward of 3×3
// depthwise layers on both paths: at batch 8, and at MobileNet-v2's
// training shapes at batch 16 (direct only: the im2col buffers of the
// SGEMM path are large there).
func BenchmarkConv2dDepthwiseTrain(b *testing.B) {
	for _, l := range []struct {
		n, c, hw, s int
		gemm        bool
	}{
		{8, 96, 56, 1, true}, {16, 144, 56, 1, false}, {16, 96, 112, 2, false}, {16, 576, 14, 1, false}, {16, 960, 7, 1, false},
	} {
		g := tensor.NewRNG(1)
		x := Param(tensor.Randn(g, 0, 1, l.n, l.c, l.hw, l.hw))
		w := Param(tensor.Randn(g, 0, 1, l.c, 1, 3, 3))
		bias := Param(tensor.Randn(g, 0, 1, l.c))
		o := Conv2dOptions{Stride: [2]int{l.s, l.s}, Padding: SymmetricPadding(1, 1), Groups: l.c}
		ohw := (l.hw-1)/l.s + 1
		gy := tensor.Randn(g, 0, 1, l.n, l.c, ohw, ohw)
		impls := []string{"direct"}
		if l.gemm {
			impls = []string{"gemm", "direct"}
		}
		for _, impl := range impls {
			b.Run(fmt.Sprintf("layer=%dx%dx%dx%d_s%d/impl=%s", l.n, l.c, l.hw, l.hw, l.s, impl), func(b *testing.B) {
				defer func(old bool) { depthwiseDirect = old }(depthwiseDirect)
				depthwiseDirect = impl == "direct"
				for b.Loop() {
					x.Grad, w.Grad, bias.Grad = nil, nil, nil
					Conv2d(x, w, bias, o).BackwardWith(gy)
				}
			})
		}
	}
}
