package models

import (
	"fmt"
	"math"
	"testing"
	"time"

	"convnet/nn"
	"convnet/ops"
	"convnet/optim"
	"convnet/tensor"
)

// TestUNetNamesAndCounts compares the full-size U-Nets with
// milesial/Pytorch-UNet's UNet(n_channels=3, n_classes=2, bilinear) in
// PyTorch 1.13: parameter count, number of parameters and buffers (without
// BatchNorm's num_batches_tracked), and the first and last names.
func TestUNetNamesAndCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 48M parameters")
	}
	for _, c := range []struct {
		name            string
		params, nParams int
		nState          int
		first, last     string
	}{
		{"unet", 31037698, 64, 100, "inc.double_conv.0.weight", "outc.conv.bias"},
		{"unet_bilinear", 17263042, 56, 92, "inc.double_conv.0.weight", "outc.conv.bias"},
	} {
		m, err := New(c.name, tensor.NewRNG(0), Options{})
		if err != nil {
			t.Fatal(err)
		}
		ps := nn.Parameters(m)
		if n := nn.NumParams(m); n != c.params || len(ps) != c.nParams || len(nn.StateDict(m)) != c.nState {
			t.Errorf("%s: %d parameters in %d tensors, %d state entries; PyTorch has %d in %d, %d",
				c.name, n, len(ps), len(nn.StateDict(m)), c.params, c.nParams, c.nState)
		}
		if ps[0].Name != c.first || ps[len(ps)-1].Name != c.last {
			t.Errorf("%s: names %q … %q", c.name, ps[0].Name, ps[len(ps)-1].Name)
		}
	}
	m := NewUNet(tensor.NewRNG(0), UNetConfig{InChannels: 1, NumClasses: 2, Depth: 2, Base: 4})
	want := map[string][]int{
		"down1.maxpool_conv.1.double_conv.0.weight": {8, 4, 3, 3},
		"up1.up.weight":                      {16, 8, 2, 2},
		"up1.conv.double_conv.0.weight":      {8, 16, 3, 3},
		"up2.conv.double_conv.4.running_var": {4},
		"outc.conv.weight":                   {2, 4, 1, 1},
	}
	sd := nn.StateDict(m)
	for k, s := range want {
		if v, ok := sd[k]; !ok || !tensor.ShapeEqual(v.Shape(), s) {
			t.Errorf("%s: missing or wrong shape (want %v)", k, s)
		}
	}
}

// TestUNetKeepsInputSize checks that the output has the input's height and
// width, odd sizes included, for both kinds of up-sampling.
func TestUNetKeepsInputSize(t *testing.T) {
	defer ops.NoGrad()()
	for _, c := range []struct {
		depth    int
		bilinear bool
		h, w     int
	}{
		{2, false, 28, 28}, {2, false, 30, 30}, {2, false, 29, 31}, {2, false, 17, 23}, {2, false, 4, 5},
		{3, false, 30, 30}, {3, false, 33, 27},
		{2, true, 28, 28}, {2, true, 30, 30}, {3, true, 29, 19},
	} {
		t.Run(fmt.Sprintf("d%d_bil%v_%dx%d", c.depth, c.bilinear, c.h, c.w), func(t *testing.T) {
			m := NewUNet(tensor.NewRNG(1), UNetConfig{InChannels: 2, NumClasses: 3, Depth: c.depth, Base: 4, Bilinear: c.bilinear})
			y := m.Forward(ops.Const(tensor.Randn(tensor.NewRNG(2), 0, 1, 2, 2, c.h, c.w)))
			if want := []int{2, 3, c.h, c.w}; !tensor.ShapeEqual(y.Value.Shape(), want) {
				t.Fatalf("output %v, want %v", y.Value.Shape(), want)
			}
			if y.Value.HasNaNOrInf() {
				t.Fatal("non-finite output")
			}
		})
	}
	m, _ := New("unet_small", tensor.NewRNG(0), Options{})
	if y := m.Forward(ops.Const(tensor.New(1, 1, 28, 28))); !tensor.ShapeEqual(y.Value.Shape(), []int{1, 2, 28, 28}) {
		t.Fatalf("unet_small output %v", y.Value.Shape())
	}
}

// TestUNetTrainsOnOneBatch trains unet_small (and its bilinear twin) on one
// fixed batch of two 28×28 images whose per-pixel label is "positive after a
// 3×3 box blur": every parameter gets a finite gradient, and the mean
// per-pixel cross-entropy halves within 20 SGD steps.
func TestUNetTrainsOnOneBatch(t *testing.T) {
	for _, bilinear := range []bool{false, true} {
		t.Run(fmt.Sprintf("bilinear=%v", bilinear), func(t *testing.T) {
			start := time.Now()
			g := tensor.NewRNG(42)
			m := NewUNet(g, UNetConfig{InChannels: 1, NumClasses: 2, Depth: 2, Base: 16, Bilinear: bilinear})
			nn.Train(m)
			const n, h, w = 2, 28, 28
			x := tensor.Randn(g, 0, 1, n, 1, h, w)
			labels := make([]int, n*h*w)
			for i := range n {
				for y := range h {
					for xx := range w {
						s := float32(0)
						for dy := -1; dy <= 1; dy++ {
							for dx := -1; dx <= 1; dx++ {
								if yy, xc := y+dy, xx+dx; yy >= 0 && yy < h && xc >= 0 && xc < w {
									s += x.At(i, 0, yy, xc)
								}
							}
						}
						if s > 0 {
							labels[(i*h+y)*w+xx] = 1
						}
					}
				}
			}
			opt := optim.NewSGD(nn.Parameters(m), optim.SGDConfig{LR: 0.1, Momentum: 0.9})
			var first, last float64
			for step := range 20 {
				opt.ZeroGrad()
				loss := ops.CrossEntropy(m.Forward(ops.Const(x)), labels, ops.CrossEntropyOptions{})
				l := float64(loss.Value.Item())
				if math.IsNaN(l) || math.IsInf(l, 0) {
					t.Fatalf("step %d: loss %v", step, l)
				}
				loss.Backward()
				if step == 0 {
					first = l
					for _, p := range nn.Parameters(m) {
						if p.V.Grad == nil || p.V.Grad.HasNaNOrInf() {
							t.Fatalf("%s: gradient missing or not finite", p.Name)
						}
					}
				}
				last = l
				if l < first/2 {
					t.Logf("loss %.4f → %.4f after %d steps (%v)", first, l, step, time.Since(start))
					return
				}
				opt.Step()
			}
			t.Fatalf("loss %.4f → %.4f after 20 steps: not halved", first, last)
		})
	}
}
