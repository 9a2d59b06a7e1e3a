package nn

import (
	"math"
	"testing"

	"convnet/ops"
	"convnet/tensor"
)

func TestStochasticDepthRows(t *testing.T) {
	g := tensor.NewRNG(3)
	sd := NewStochasticDepth(g, 0.25)
	x := ops.Param(tensor.Randn(g, 0, 1, 4000, 2, 3, 1))
	if y := sd.Forward(x); y != x {
		t.Fatal("evaluation mode is not the identity")
	}
	sd.SetTraining(true)
	state, _ := sd.RNG().MarshalBinary()
	y := sd.Forward(x)
	ops.Sum(y).Backward()
	dropped := 0
	for i := 0; i < 4000; i++ {
		row, in, grad := y.Value.Index(i).Data(), x.Value.Index(i).Data(), x.Grad.Index(i).Data()
		var scale float32 = 1 / 0.75
		if row[0] == 0 && in[0] != 0 {
			scale = 0
			dropped++
		}
		for j := range row {
			if row[j] != in[j]*scale || grad[j] != scale {
				t.Fatalf("row %d element %d: y %v grad %v for x %v, scale %v", i, j, row[j], grad[j], in[j], scale)
			}
		}
	}
	if f := float64(dropped) / 4000; math.Abs(f-0.25) > 0.03 {
		t.Fatalf("dropped %.3f of the rows, want 0.25", f)
	}
	// Restoring the stream repeats the mask (what checkpoints rely on).
	if err := sd.RNG().UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	if d := tensor.MaxAbsDiff(sd.Forward(x).Value, y.Value); d != 0 {
		t.Fatalf("restored stream gives a different mask (diff %g)", d)
	}
	sd.P = 1
	if sd.Forward(x).Value.MaxAbs() != 0 {
		t.Fatal("p = 1 does not drop everything")
	}
	sd.P = 0
	if sd.Forward(x) != x {
		t.Fatal("p = 0 is not the identity")
	}
}
