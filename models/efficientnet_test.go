package models

import (
	"math"
	"testing"

	"convnet/nn"
	"convnet/tensor"
)

// TestEfficientNetStructure checks what the parameter counts cannot see:
// BN eps and momentum (PyTorch's defaults for B0 … B4, 1e-3 and 0.01 for
// B5 … B7), the stochastic-depth probabilities (0.2·k/blocks for the k-th
// block, k = 0 …), the SE squeeze width max(1, in/4) and the number of
// blocks ⌈depth·layers⌉.
func TestEfficientNetStructure(t *testing.T) {
	for _, c := range []struct {
		b        int
		eps, mom float64
		blocks   int
	}{{0, 1e-5, 0.1, 16}, {5, 1e-3, 0.01, 39}} {
		m := NewEfficientNet(tensor.NewRNG(1), EfficientNetB(c.b, 3, 1000))
		var probs []float32
		nn.Walk(m, func(path string, mod nn.Module) {
			switch v := mod.(type) {
			case *nn.BatchNorm:
				if v.Eps != c.eps || v.Momentum != c.mom {
					t.Fatalf("b%d %s: eps %g momentum %g", c.b, path, v.Eps, v.Momentum)
				}
			case *EfficientNetMBConv:
				probs = append(probs, v.StochasticDepth.P)
			}
		})
		if len(probs) != c.blocks {
			t.Fatalf("b%d: %d MBConv blocks, want %d", c.b, len(probs), c.blocks)
		}
		for k, p := range probs {
			if want := 0.2 * float32(k) / float32(c.blocks); math.Abs(float64(p-want)) > 1e-7 {
				t.Fatalf("b%d block %d: drop probability %g, want %g", c.b, k, p, want)
			}
		}
	}
	m := NewEfficientNet(tensor.NewRNG(1), EfficientNetB(0, 3, 1000))
	// features.2.0: in 16, expanded 96, squeeze max(1, 16/4) = 4.
	se := m.Features.Layers[2].(*nn.Sequential).Layers[0].(*EfficientNetMBConv).Block.Layers[2].(*nn.SE)
	if se.Config.Channels != 96 || se.Config.Squeeze != 4 || se.Config.Activation != "silu" {
		t.Fatalf("features.2.0 SE config %+v", se.Config)
	}
	if r := m.Features.Layers[1].(*nn.Sequential).Layers[0].(*EfficientNetMBConv).Residual; r {
		t.Fatal("features.1.0 (32→16) has a residual")
	}
}

// TestZooBTrainsEfficientNetB0 uses 64×64 inputs for the reason given at
// TestZooBTrainsMobileNetV2; dropout and stochastic depth stay on.
func TestZooBTrainsEfficientNetB0(t *testing.T) {
	zoobTrain(t, "efficientnet_b0", [3]int{3, 64, 64}, 0.05, 20)
}
