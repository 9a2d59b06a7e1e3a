package ops

import (
	"fmt"
	"testing"

	"convnet/tensor"
)

// freeNet builds a small network through every op whose output takes a
// pooled buffer (newValue): convolutions on the TabLayout, im2col, 1×1 and
// depthwise routes, the batch norms (plain, + ReLU, + shortcut + ReLU),
// AddReLU, broadcasting and same-shape arithmetic, activations, pooling,
// concatenation and dense layers. Every intermediate holds at least
// gradPoolMin elements where it can, so that its buffer is pooled. It
// returns the parameters, the loss of one forward pass on x and the
// intermediate results in the order they were made.
func freeNet(g *tensor.RNG) (params []*Var, forward func(x *Var) (*Var, []*Var)) {
	p := func(shape ...int) *Var {
		v := Param(tensor.Randn(g, 0, 0.3, shape...))
		params = append(params, v)
		return v
	}
	const c = 8 // channels
	w3, w3s, w1, wd := p(c, c, 3, 3), p(2*c, c, 3, 3), p(c, 2*c, 1, 1), p(c, 1, 3, 3)
	g1, b1, g2, b2, g3, b3 := p(c), p(c), p(c), p(c), p(2*c), p(2*c)
	scale := p(1, c, 1, 1)
	fc, fb, mm := p(10, 3*c*8*8), p(10), p(10, 6)
	rm := func(n int) (*tensor.Tensor, *tensor.Tensor) { return tensor.New(n), tensor.Full(1, n) }
	rm1, rv1 := rm(c)
	rm2, rv2 := rm(c)
	rm3, rv3 := rm(2 * c)
	gy := tensor.Randn(g, 0, 1, 8, 6)
	return params, func(x *Var) (*Var, []*Var) {
		var mid []*Var
		keep := func(v *Var) *Var { mid = append(mid, v); return v }
		pad1 := Conv2dOptions{Padding: SymmetricPadding(1, 1)}
		h := keep(Conv2d(x, w3, nil, pad1))                           // TabLayout route, [4, 8, 16, 16]
		h = keep(BatchNormReLU(h, g1, b1, rm1, rv1, true, 0.1, 1e-5)) //
		s := keep(Conv2d(h, w3s, nil, Conv2dOptions{Padding: SymmetricPadding(1, 1), Dilation: [2]int{1, 1}, Groups: 1}))
		s = keep(BatchNorm(s, g3, b3, rm3, rv3, true, 0.1, 1e-5))                                // [8, 16, 16, 16]
		s = keep(Conv2d(s, w1, nil, Conv2dOptions{}))                                            // 1×1 route
		h = keep(BatchNormAddReLU(s, h, g2, b2, rm2, rv2, true, 0.1, 1e-5))                      //
		d := keep(Conv2d(h, wd, nil, Conv2dOptions{Padding: SymmetricPadding(1, 1), Groups: c})) // depthwise
		d = keep(ReLU6(d))
		h = keep(AddReLU(h, d))
		h = keep(Mul(h, keep(Sigmoid(scale)))) // broadcasting
		h = keep(Add(h, keep(SiLU(h))))        // same shape
		h = keep(Clip(keep(Scale(h, 0.5)), -2, 2))
		a := keep(MaxPool2d(h, Pool2dOptions{Kernel: [2]int{2, 2}})) // [8, 8, 8, 8]
		b := keep(AvgPool2d(h, Pool2dOptions{Kernel: [2]int{2, 2}})) //
		e := keep(AdaptiveAvgPool2d(h, 8, 8))                        //
		h = keep(Concat(1, a, b, e))                                 // [8, 24, 8, 8]
		gap := keep(GlobalAvgPool2d(h))                              // [8, 24, 1, 1]
		y := keep(Linear(Flatten(h), fc, fb))                        // [8, 10]
		y = keep(MatMul(keep(Add(y, Sum(gap))), mm))                 // [8, 6]
		return Sum(Mul(y, Const(gy))), mid
	}
}

// TestBackwardFree checks BackwardFree against Backward: over several
// steps, with every recycled buffer filled with NaN before an op gets it
// (so an op that leaves part of its output unwritten shows), the
// parameter gradients and running statistics keep Backward's bits; the
// graph's intermediate values are gone afterwards while the leaves and the
// loss keep theirs; and the pool's count of buffers out on loan returns to
// where it was after either pass (Backward forgets the values it leaves
// to the collector).
func TestBackwardFree(t *testing.T) {
	defer func(p bool) { poisonRecycled = p }(poisonRecycled)
	poisonRecycled = true
	run := func(free bool) ([]*tensor.Tensor, []*tensor.Tensor) {
		g := tensor.NewRNG(3)
		params, forward := freeNet(g)
		x := Const(tensor.Randn(g, 0, 1, 8, 8, 16, 16))
		xBits := x.Value.Clone()
		var grads []*tensor.Tensor
		for step := 0; step < 3; step++ {
			live := gradPool.live
			for _, p := range params {
				p.ZeroGrad()
			}
			loss, mid := forward(x)
			var small []string
			for _, m := range mid {
				if !m.pooled {
					small = append(small, m.Op())
				}
			}
			// The channel scale, the pooled vector and the dense layers'
			// outputs are below gradPoolMin.
			if fmt.Sprint(small) != "[sigmoid global_avg_pool2d linear add matmul]" {
				t.Fatalf("results without pooled buffers: %v", small)
			}
			lossValue := loss.Value.Item()
			if free {
				loss.BackwardFree()
			} else {
				kept := mid[5].Value.Clone()
				loss.Backward()
				if !equalBits(mid[5].Value, kept) {
					t.Fatal("Backward changed an intermediate value")
				}
			}
			for i, m := range mid {
				if (m.Value == nil) != free {
					t.Fatalf("free=%v: intermediate %d (%s) has value %v after the backward pass", free, i, m.Op(), m.Value != nil)
				}
				if m.pooled {
					t.Fatalf("intermediate %d (%s) still marked pooled", i, m.Op())
				}
			}
			if loss.Value == nil || loss.Value.Item() != lossValue || !equalBits(x.Value, xBits) {
				t.Fatal("the loss or the input lost its value")
			}
			if gradPool.live != live {
				t.Fatalf("free=%v step %d: %d bytes on loan after the step, %d before", free, step, gradPool.live, live)
			}
		}
		for _, p := range params {
			grads = append(grads, p.Grad.Clone())
		}
		return grads, nil
	}
	want, _ := run(false)
	got, _ := run(true)
	for i := range want {
		if d := firstDiff(got[i].Data(), want[i].Data()); d >= 0 {
			t.Errorf("parameter %d: gradient element %d is %g with BackwardFree, %g with Backward", i, d, got[i].Data()[d], want[i].Data()[d])
		}
	}
}

// TestBackwardFreeMessages checks that a freed graph reads as such: a
// second backward pass through it panics with a message naming the freed
// value, and the loss must be a scalar.
func TestBackwardFreeMessages(t *testing.T) {
	g := tensor.NewRNG(5)
	w := Param(tensor.Randn(g, 0, 1, 64, 64))
	x := Const(tensor.Randn(g, 0, 1, 64, 64))
	h := MatMul(x, w)
	Sum(h).BackwardFree()
	if h.Value != nil {
		t.Fatal("BackwardFree kept the intermediate's value")
	}
	msg := func(f func()) (s string) {
		defer func() { s = fmt.Sprint(recover()) }()
		f()
		return ""
	}
	if m := msg(func() { Sum(Scale(h, 1)) }); m == "" {
		t.Error("an op on a freed value did not panic")
	}
	if m := msg(func() { MatMul(x, w).BackwardFree() }); m != "ops: BackwardFree on a non-scalar of shape [64 64]" {
		t.Errorf("non-scalar: %q", m)
	}
	if s := h.String(); s != `Var(op="matmul", value freed by BackwardFree, requiresGrad=true)` {
		t.Errorf("String of a freed value: %s", s)
	}
}
