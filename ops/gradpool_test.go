package ops

import (
	"math"

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

// TestGradSetMatchesAccumulate checks the backward passes that write a
// fresh, unzeroed input-gradient buffer (gradDst) instead of accumulating
// into a zeroed one: BatchNorm in both modes, convolutions on the im2col,
// 1×1 and grouped paths, and depthwise ones on each kernel path. The input
// gradient reached through Scale(x, 1) (an intermediate, so set) must have
// the bits of the one accumulated into a leaf's zeroed buffer, with the pool
// holding NaN-filled buffers of the input's length; and so must the sum
// with a second contribution (Sum(h)) accumulated into the same buffer.
func TestGradSetMatchesAccumulate(t *testing.T) {
	defer func(c int) { dwClearChunk = c }(dwClearChunk)
	dwClearChunk = 300 // several runs of images in depthwiseBackwardInput
	g := tensor.NewRNG(11)
	bn := func(training bool) func(h *Var) *Var {
		w, b := Param(tensor.Randn(g, 1, 0.5, 6)), Param(tensor.Randn(g, 0, 1, 6))
		rm, rv := tensor.Randn(g, 0, 1, 6), tensor.Full(2, 6)
		return func(h *Var) *Var { return BatchNorm(h, w, b, rm.Clone(), rv.Clone(), training, 0.1, 1e-5) }
	}
	conv := func(cout, cg, k int, o Conv2dOptions) func(h *Var) *Var {
		w := Param(tensor.Randn(g, 0, 1, cout, cg, k, k))
		return func(h *Var) *Var { return Conv2d(h, w, nil, o) }
	}
	cases := []struct {
		name string
		op   func(h *Var) *Var
	}{
		{"batchnorm train", bn(true)},
		{"batchnorm eval", bn(false)},
		{"conv 3x3", conv(5, 6, 3, Conv2dOptions{Padding: SymmetricPadding(1, 1)})},
		{"conv 3x3 stride 2", conv(5, 6, 3, Conv2dOptions{Stride: [2]int{2, 2}})},
		{"conv 1x1", conv(7, 6, 1, Conv2dOptions{})},
		{"conv groups 2", conv(4, 3, 3, Conv2dOptions{Padding: SymmetricPadding(1, 1), Groups: 2})},
		{"depthwise", conv(6, 1, 3, Conv2dOptions{Padding: SymmetricPadding(1, 1), Groups: 6})},
		{"depthwise m=2 stride 2", conv(12, 1, 3, Conv2dOptions{Padding: SymmetricPadding(1, 1), Stride: [2]int{2, 2}, Groups: 6})},
		{"depthwise dilated stride 2", conv(6, 1, 3, Conv2dOptions{Padding: SymmetricPadding(2, 2), Stride: [2]int{2, 2}, Dilation: [2]int{2, 2}, Groups: 6})},
	}
	xt := tensor.Randn(g, 0, 1, 5, 6, 13, 13)
	nan := float32(math.NaN())
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gy := tensor.Randn(g, 0, 1, c.op(Const(xt)).Shape()...)
			// run returns x's gradient; through marks the set path, also
			// the second contribution.
			run := func(through, also bool) *tensor.Tensor {
				for range 3 {
					junk := make([]float32, xt.Len())
					for i := range junk {
						junk[i] = nan
					}
					gradPool.put(junk)
				}
				x := Param(xt.Clone())
				h := x
				if through {
					h = Scale(x, 1)
				}
				loss := Sum(Mul(c.op(h), Const(gy)))
				if also {
					loss = Add(loss, Sum(h))
				}
				loss.Backward()
				return x.Grad
			}
			for _, also := range []bool{false, true} {
				if set, acc := run(true, also), run(false, also); !equalBits(set, acc) {
					t.Errorf("second contribution %v: set gradient differs from the accumulated one (max |diff| %g)", also, tensor.MaxAbsDiff(set, acc))
				}
			}
		})
	}
}

// TestZeroGradReusesLeafGradient checks that a parameter's gradient
// dropped by ZeroGrad reads as nil, and that the next backward pass
// accumulates into the same tensor cleared first (large enough to be
// cleared in parallel ranges): the same gradient as the first pass, in the
// same memory. A parameter reshaped in between gets a fresh tensor.
func TestZeroGradReusesLeafGradient(t *testing.T) {
	g := tensor.NewRNG(3)
	n := 3*gradPoolClearGrain + 5
	x := Const(tensor.Randn(g, 0, 1, n))
	w := Param(tensor.Randn(g, 0, 1, n))
	pass := func() *tensor.Tensor {
		Sum(Mul(x, w)).Backward()
		return w.Grad
	}
	first := pass()
	want := first.Clone()
	w.ZeroGrad()
	if w.Grad != nil {
		t.Fatal("Grad is not nil after ZeroGrad")
	}
	if got := pass(); got != first || !equalBits(got, want) {
		t.Fatalf("second pass: same tensor %v, same bits %v; want both", got == first, equalBits(got, want))
	}
	w.ZeroGrad()
	w.Value = tensor.Randn(g, 0, 1, n+1)
	x = Const(tensor.Randn(g, 0, 1, n+1))
	if got := pass(); got == first || got.Len() != n+1 {
		t.Fatalf("after a reshape: reused %v, length %d", got == first, got.Len())
	}
}

// TestMaxPoolIndicesGivenBack checks that MaxPool2d's pooled index buffer
// goes back to gradPool when the backward closure runs, also when the
// input stopped needing a gradient in between (frozen after the forward
// pass), so that the pool does not count it as live for ever.
func TestMaxPoolIndicesGivenBack(t *testing.T) {
	g := tensor.NewRNG(5)
	for _, freeze := range []bool{false, true} {
		x := Param(tensor.Randn(g, 0, 1, 2, 8, 64, 64))
		y := MaxPool2d(x, Pool2dOptions{Kernel: [2]int{2, 2}}) // 2·8·32·32 indices
		gradPool.mu.Lock()
		live := gradPool.live
		gradPool.mu.Unlock()
		if freeze {
			x.SetRequiresGrad(false)
		}
		y.BackwardWith(tensor.Full(1, 2, 8, 32, 32))
		gradPool.mu.Lock()
		after := gradPool.live
		gradPool.mu.Unlock()
		// The backward pass stops counting y's value (forget) and gives
		// the indices back: two buffers of y's length.
		if want := live - 2*4*y.Value.Len(); after > want {
			t.Errorf("frozen %v: %d bytes live after the backward pass, want at most %d", freeze, after, want)
		}
	}
}
