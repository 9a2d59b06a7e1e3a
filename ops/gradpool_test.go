package ops

import (
	"testing"

	"convnet/tensor"
)

// TestGradPoolReuse checks that recycled gradient buffers come back zeroed:
// repeated backward passes through the same shapes (which reuse the pooled
// buffers of the previous pass) give bit-identical parameter gradients.
func TestGradPoolReuse(t *testing.T) {
	g := tensor.NewRNG(7)
	x := Const(tensor.Randn(g, 0, 1, 4, 3, 20, 20))
	w := Param(tensor.Randn(g, 0, 1, 8, 3, 3, 3))
	step := func() *tensor.Tensor {
		w.ZeroGrad()
		y := ReLU(Conv2d(x, w, nil, Conv2dOptions{Padding: SymmetricPadding(1, 1)}))
		MaxPool2d(y, Pool2dOptions{Kernel: [2]int{2, 2}}).BackwardWith(tensor.Full(1, 4, 8, 10, 10))
		return w.Grad.Clone()
	}
	first := step()
	for i := 0; i < 3; i++ {
		if !equalBits(step(), first) {
			t.Fatalf("pass %d: gradient differs from the first pass", i+2)
		}
	}
	if b := gradPool.get(gradPoolMin); len(b) != gradPoolMin {
		t.Fatalf("get(%d) returned %d elements", gradPoolMin, len(b))
	} else {
		for i, v := range b {
			if v != 0 {
				t.Fatalf("recycled buffer element %d = %g, want 0", i, v)
			}
		}
	}
}
