package ops

import (
	"math"
	"testing"

	"convnet/tensor"
)

// poolPadsCases lists pooling configurations with four independent pads
// (top, left, bottom, right): ONNX's asymmetric pads and the SAME_UPPER /
// SAME_LOWER splits, with and without ceil mode.
func poolPadsCases() []struct {
	name string
	o    Pool2dOptions
} {
	return []struct {
		name string
		o    Pool2dOptions
	}{
		{"k3s2p0011", Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pads: [4]int{0, 0, 1, 1}}},
		{"k3s2p1100ceil", Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pads: [4]int{1, 1, 0, 0}, CeilMode: true}},
		{"k2s1p0101", Pool2dOptions{Kernel: [2]int{2, 2}, Stride: [2]int{1, 1}, Pads: [4]int{0, 1, 0, 1}}},
		{"k3x2s1x2p1001", Pool2dOptions{Kernel: [2]int{3, 2}, Stride: [2]int{1, 2}, Pads: [4]int{1, 0, 0, 1}}},
		{"k3s3p0110ceil", Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{3, 3}, Pads: [4]int{0, 1, 1, 0}, CeilMode: true}},
	}
}

// TestPoolPadsGradCheck checks the gradients of MaxPool2d and AvgPool2d
// (count_include_pad off and on) with asymmetric pads by central
// differences.
func TestPoolPadsGradCheck(t *testing.T) {
	for _, c := range poolPadsCases() {
		x := Param(poolDistinct(13, 2, 3, 7, 6))
		if err := CheckGrad(func(in []*Var) *Var { return MaxPool2d(in[0], c.o) }, []*Var{x}, 1e-2, 1e-2); err != nil {
			t.Errorf("max %s: %v", c.name, err)
		}
		for _, incl := range []bool{false, true} {
			o := c.o
			o.CountIncludePad = incl
			x := Param(tensor.Rand(tensor.NewRNG(7), -2, 2, 2, 3, 7, 6))
			if err := CheckGrad(func(in []*Var) *Var { return AvgPool2d(in[0], o) }, []*Var{x}, 1e-2, 1e-2); err != nil {
				t.Errorf("avg %s countIncludePad=%v: %v", c.name, incl, err)
			}
		}
	}
}

// poolNaive is a reference pooling of one [H, W] plane with pads (top,
// left, bottom, right), without ceil mode: the maximum, or the average
// over the taps inside the input (incl false) or over the whole window
// (incl true, the padded input being large enough to hold it).
func poolNaive(x []float32, h, w int, k, s [2]int, p [4]int, isMax, incl bool) ([]float32, int, int) {
	oh := (h+p[0]+p[2]-k[0])/s[0] + 1
	ow := (w+p[1]+p[3]-k[1])/s[1] + 1
	out := make([]float32, oh*ow)
	for oy := range oh {
		for ox := range ow {
			best, sum, n := float32(math.Inf(-1)), float32(0), 0
			for i := range k[0] {
				for j := range k[1] {
					y, xx := oy*s[0]-p[0]+i, ox*s[1]-p[1]+j
					if y < 0 || y >= h || xx < 0 || xx >= w {
						continue
					}
					v := x[y*w+xx]
					best = max(best, v)
					sum += v
					n++
				}
			}
			switch {
			case isMax:
				out[oy*ow+ox] = best
			case incl:
				out[oy*ow+ox] = sum / float32(k[0]*k[1])
			default:
				out[oy*ow+ox] = sum / float32(n)
			}
		}
	}
	return out, oh, ow
}

// TestPoolPadsForward compares asymmetric-pad pooling with a naive loop,
// and checks that Pads with equal opposite sides equals Padding.
func TestPoolPadsForward(t *testing.T) {
	x := poolDistinct(3, 1, 1, 7, 6)
	for _, c := range poolPadsCases() {
		if c.o.CeilMode {
			continue
		}
		for _, mode := range []struct {
			isMax, incl bool
		}{{true, false}, {false, false}, {false, true}} {
			o := c.o
			o.CountIncludePad = mode.incl
			var got *Var
			if mode.isMax {
				got = MaxPool2d(Const(x), o)
			} else {
				got = AvgPool2d(Const(x), o)
			}
			want, oh, ow := poolNaive(x.Data(), 7, 6, o.Kernel, o.Stride, o.Pads, mode.isMax, mode.incl)
			poolExpect(t, c.name, got.Value, []int{1, 1, oh, ow}, want, 1e-6)
		}
	}
	sym := Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, CeilMode: true, CountIncludePad: true}
	four := sym
	four.Padding, four.Pads = [2]int{}, [4]int{1, 1, 1, 1}
	a, b := AvgPool2d(Const(x), sym).Value.Data(), AvgPool2d(Const(x), four).Value.Data()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("Pads {1,1,1,1} differs from Padding {1,1} at %d: %v vs %v", i, b[i], a[i])
		}
	}
}

// TestPoolOutputSizePads checks the output size with unequal pads,
// including a ceil-mode window dropped because it would start in the end
// padding.
func TestPoolOutputSizePads(t *testing.T) {
	for _, tc := range []struct {
		in, k, s, pb, pe int
		ceil             bool
		want             int
	}{
		{6, 3, 2, 0, 1, false, 3},
		{6, 3, 2, 1, 0, false, 3},
		{5, 3, 2, 0, 1, true, 3},
		{4, 2, 3, 0, 1, true, 2},
		{4, 2, 3, 1, 0, true, 2},
		{5, 2, 2, 0, 0, true, 3},
	} {
		if got := PoolOutputSizePads(tc.in, tc.k, tc.s, tc.pb, tc.pe, 1, tc.ceil); got != tc.want {
			t.Errorf("PoolOutputSizePads(%d, k=%d, s=%d, pads %d %d, ceil %v) = %d, want %d", tc.in, tc.k, tc.s, tc.pb, tc.pe, tc.ceil, got, tc.want)
		}
	}
}
