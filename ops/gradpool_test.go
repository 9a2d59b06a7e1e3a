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

// TestGradPoolBudget checks that the pool's budget follows the high-water
// mark of live buffers within its bounds, and that put keeps a buffer only
// within the budget.
func TestGradPoolBudget(t *testing.T) {
	p := bufPool{free: map[int][][]float32{}}
	if got := p.budget(); got != gradPoolMinBytes {
		t.Fatalf("empty pool: budget %d, want the minimum %d", got, gradPoolMinBytes)
	}
	a, _ := p.getDirty(gradPoolMin)
	b, _ := p.getDirty(2 * gradPoolMin)
	if p.live != 12*gradPoolMin || p.highWater != p.live {
		t.Fatalf("after two gets: live %d, high water %d, want %d", p.live, p.highWater, 12*gradPoolMin)
	}
	p.put(a)
	p.put(b)
	if p.live != 0 || p.bytes != 12*gradPoolMin || len(p.free[gradPoolMin]) != 1 {
		t.Fatalf("after two puts: live %d, held %d bytes", p.live, p.bytes)
	}
	if r, recycled := p.getDirty(gradPoolMin); !recycled || &r[0] != &a[0] {
		t.Fatal("getDirty did not recycle the buffer put back")
	}
	p.highWater = 300 << 20
	if got, want := p.budget(), gradPoolBudgetFactor*(300<<20); got != want {
		t.Fatalf("high water 300 MiB: budget %d, want %d", got, want)
	}
	p.highWater = 10 << 30
	if got := p.budget(); got != gradPoolMaxBytes {
		t.Fatalf("high water 10 GiB: budget %d, want the maximum %d", got, gradPoolMaxBytes)
	}
	// A buffer that would take the pool past its budget is dropped.
	p.bytes = p.budget() - 4*gradPoolMin + 1
	held := p.bytes
	p.put(make([]float32, gradPoolMin))
	if p.bytes != held || len(p.free[gradPoolMin]) != 0 {
		t.Fatalf("put past the budget was kept (held %d bytes, want %d)", p.bytes, held)
	}
}
