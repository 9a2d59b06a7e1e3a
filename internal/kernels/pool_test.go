package kernels

import (
	"math"
	"testing"
)

// TestMaxPool2dEmptyWindow checks a window with no tap inside the input (a
// 1-wide plane, kernel 2, dilation 2, padding 1: taps at columns −1 and 1):
// the output is −Inf, argmax is −1 and the backward pass skips it. (PyTorch
// 1.13 also gives −Inf but then indexes outside the plane.)
func TestMaxPool2dEmptyWindow(t *testing.T) {
	g := &ConvGeom{C: 2, H: 1, W: 1, KH: 1, KW: 2, SH: 1, SW: 1, PadL: 1, DH: 1, DW: 2, OH: 1, OW: 1}
	x := []float32{3, 4}
	y := make([]float32, 2)
	am := make([]int32, 2)
	MaxPool2d(g, x, y, am)
	for c := range 2 {
		if !math.IsInf(float64(y[c]), -1) || am[c] != -1 {
			t.Errorf("plane %d: y = %v, argmax = %d, want -Inf and -1", c, y[c], am[c])
		}
	}
	dx := []float32{1, 1}
	MaxPool2dBackward(g, am, []float32{5, 6}, dx)
	if dx[0] != 1 || dx[1] != 1 {
		t.Errorf("backward of an empty window changed dx to %v", dx)
	}
}

// TestMaxPool2dNilArgmax checks that argmax may be omitted.
func TestMaxPool2dNilArgmax(t *testing.T) {
	g := &ConvGeom{C: 1, H: 2, W: 2, KH: 2, KW: 2, SH: 2, SW: 2, DH: 1, DW: 1, OH: 1, OW: 1}
	y := make([]float32, 1)
	MaxPool2d(g, []float32{1, 4, 2, 3}, y, nil)
	if y[0] != 4 {
		t.Errorf("max = %v, want 4", y[0])
	}
}

// TestAdaptiveRange checks PyTorch's adaptive window bounds for 5 inputs
// pooled to 3 outputs and 2 inputs stretched to 3 outputs.
func TestAdaptiveRange(t *testing.T) {
	for _, tc := range []struct {
		in, out int
		want    [][2]int
	}{
		{5, 3, [][2]int{{0, 2}, {1, 4}, {3, 5}}},
		{2, 3, [][2]int{{0, 1}, {0, 2}, {1, 2}}},
	} {
		for i, w := range tc.want {
			if s, e := poolAdaptiveRange(i, tc.in, tc.out); s != w[0] || e != w[1] {
				t.Errorf("in %d out %d index %d: [%d, %d), want [%d, %d)", tc.in, tc.out, i, s, e, w[0], w[1])
			}
		}
	}
}
