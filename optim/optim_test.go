package optim

import (
	"math"
	"testing"

	"convnet/internal/kernels"
	"convnet/nn"
	"convnet/ops"
	"convnet/tensor"
)

func oneParam(v, g float32) []nn.Param {
	p := ops.Param(tensor.FromSlice([]float32{v}, 1))
	p.Grad = tensor.FromSlice([]float32{g}, 1)
	return []nn.Param{{Name: "p", V: p}}
}

func TestSGDHandComputed(t *testing.T) {
	ps := oneParam(1, 0.5)
	o := NewSGD(ps, SGDConfig{LR: 0.1, Momentum: 0.9, WeightDecay: 0.1})
	o.Step() // g = 0.5+0.1 = 0.6, buf = 0.6, p = 1 - 0.06 = 0.94
	if got := ps[0].V.Value.Data()[0]; math.Abs(float64(got)-0.94) > 1e-6 {
		t.Fatalf("step 1: %v", got)
	}
	o.Step() // g = 0.5+0.094 = 0.594, buf = 0.54+0.594 = 1.134, p = 0.94-0.1134
	if got := ps[0].V.Value.Data()[0]; math.Abs(float64(got)-0.8266) > 1e-6 {
		t.Fatalf("step 2: %v", got)
	}
}

func TestAdamFirstStepIsLR(t *testing.T) {
	// After one step Adam moves every coordinate by ≈ lr·sign(g).
	ps := oneParam(1, -3)
	NewAdam(ps, AdamConfig{LR: 0.01}).Step()
	if got := ps[0].V.Value.Data()[0]; math.Abs(float64(got)-1.01) > 1e-6 {
		t.Fatalf("adam step: %v", got)
	}
	ps = oneParam(1, 0)
	NewAdamW(ps, AdamConfig{LR: 0.1, WeightDecay: 0.5}).Step()
	if got := ps[0].V.Value.Data()[0]; math.Abs(float64(got)-0.95) > 1e-6 {
		t.Fatalf("adamw decay: %v", got)
	}
}

func TestStateRoundTrip(t *testing.T) {
	ps := oneParam(1, 0.5)
	o := NewSGD(ps, SGDConfig{LR: 0.1, Momentum: 0.9})
	o.Step()
	bufs, meta := o.State()
	q := NewSGD(oneParam(1, 0.5), SGDConfig{LR: 0.5, Momentum: 0.9})
	if err := q.LoadState(bufs, meta); err != nil {
		t.Fatal(err)
	}
	if q.LR() != 0.1 || q.bufs["momentum_buffer/p"].Data()[0] != 0.5 {
		t.Fatalf("restored lr %v bufs %v", q.LR(), q.bufs)
	}
	if err := q.LoadState(map[string]*tensor.Tensor{"momentum_buffer/p": tensor.New(3)}, meta); err == nil {
		t.Fatal("shape mismatch accepted")
	}
	if err := q.LoadState(map[string]*tensor.Tensor{"momentum_buffer/zz": tensor.New(1)}, meta); err == nil {
		t.Fatal("unknown parameter accepted")
	}
}

func TestSchedules(t *testing.T) {
	s, err := ParseSchedule("step:2:0.1", 0.1, 8)
	if err != nil || math.Abs(s.LR(5)-0.001) > 1e-12 {
		t.Fatalf("step: %v %v", s, err)
	}
	c, _ := ParseSchedule("cos", 1, 4)
	if math.Abs(c.LR(2)-0.5) > 1e-12 || math.Abs(c.LR(4)) > 1e-12 {
		t.Fatalf("cos: %v %v", c.LR(2), c.LR(4))
	}
	for _, bad := range []string{"step", "step:0:0.1", "cos:x", "warp", "multistep:a:1"} {
		if _, err := ParseSchedule(bad, 0.1, 5); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestSGDLargeParamThreads checks that SGD's update of a parameter large
// enough to be split over the threads gives the same bits on 1 and 2
// threads, with momentum, Nesterov and weight decay, over three steps.
func TestSGDLargeParamThreads(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	g := tensor.NewRNG(4)
	n := 3*stepParallelMin + 5
	w0, gr := tensor.Randn(g, 0, 1, n), tensor.Randn(g, 0, 1, n)
	run := func(threads int) []float32 {
		kernels.SetThreads(threads)
		p := ops.Param(w0.Clone())
		opt := NewSGD([]nn.Param{{Name: "w", V: p}}, SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4})
		for range 3 {
			p.Grad = gr.Clone()
			opt.Step()
		}
		return p.Value.Data()
	}
	one, two := run(1), run(2)
	for i := range one {
		if math.Float32bits(one[i]) != math.Float32bits(two[i]) {
			t.Fatalf("element %d: %v on 1 thread, %v on 2", i, one[i], two[i])
		}
	}
}

// TestSGDMatchesLoop holds SGD's steps (the vector kernels of momentum and
// of plain SGD, split over threads for a large parameter) to the update
// written out element by element, bit for bit, over three steps.
func TestSGDMatchesLoop(t *testing.T) {
	defer kernels.SetThreads(kernels.Threads())
	kernels.SetThreads(2)
	g := tensor.NewRNG(9)
	for _, c := range []SGDConfig{
		{LR: 0.05, Momentum: 0.9},
		{LR: 0.05, Momentum: 0.8, Dampening: 0.25},
		{LR: 0.3},
		{LR: 0.05, Momentum: 0.9, WeightDecay: 1e-3},
		{LR: 0.05, Momentum: 0.9, Dampening: 0.1, WeightDecay: 5e-4},
		{LR: 0.2, WeightDecay: 1e-2},
		{LR: 0.05, Momentum: 0.9, Nesterov: true},
	} {
		for _, n := range []int{37, 2*stepParallelMin + 3} {
			w0 := tensor.Randn(g, 0, 1, n)
			grads := []*tensor.Tensor{tensor.Randn(g, 0, 1, n), tensor.Randn(g, 0, 1, n), tensor.Randn(g, 0, 1, n)}
			p := ops.Param(w0.Clone())
			opt := NewSGD([]nn.Param{{Name: "w", V: p}}, c)
			want := append([]float32(nil), w0.Data()...)
			buf := make([]float32, n)
			mom, damp, wd, negLR := float32(c.Momentum), float32(1-c.Dampening), float32(c.WeightDecay), float32(-c.LR)
			for step, gr := range grads {
				p.Grad = gr.Clone()
				opt.Step()
				for i, gi := range gr.Data() {
					gv := gi
					if wd != 0 {
						gv += float32(wd * want[i])
					}
					if mom != 0 {
						if step == 0 {
							buf[i] = gv
						} else {
							buf[i] = float32(buf[i]*mom) + float32(damp*gv)
						}
						if c.Nesterov {
							gv += float32(mom * buf[i])
						} else {
							gv = buf[i]
						}
					}
					want[i] += float32(negLR * gv)
				}
				for i, v := range p.Value.Data() {
					if math.Float32bits(v) != math.Float32bits(want[i]) {
						t.Fatalf("%+v, n=%d, step %d: w[%d] = %v, want %v", c, n, step+1, i, v, want[i])
					}
				}
			}
		}
	}
}
