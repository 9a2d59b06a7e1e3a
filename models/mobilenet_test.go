package models

import (
	"math"
	"testing"

	"convnet/nn"
	"convnet/tensor"
)

// TestMobileNetV1Table checks the paper's numbers: 1.0 MobileNet-224 has
// 569M multiply-adds and 4.2M parameters (Table 1 discussion, Table 6 and
// 7), and the width and resolution multipliers scale them as Tables 6 and 7
// report.
func TestMobileNetV1Table(t *testing.T) {
	for _, c := range []struct {
		alpha       float64
		res         int
		macsM, parM float64 // paper, millions
	}{
		{1, 224, 569, 4.2}, {0.75, 224, 325, 2.6}, {0.5, 224, 149, 1.3}, {0.25, 224, 41, 0.47},
		{1, 192, 418, 4.2}, {1, 160, 290, 4.2}, {1, 128, 186, 4.2},
	} {
		macs := float64(MobileNetV1MACs(c.alpha, c.res, 1000)) / 1e6
		if math.Abs(macs-c.macsM) > 0.01*c.macsM {
			t.Errorf("α=%g ρ=%d: %.1fM mult-adds, paper %gM", c.alpha, c.res, macs, c.macsM)
		}
		m := NewMobileNetV1(tensor.NewRNG(1), MobileNetV1Config{Width: c.alpha})
		// The paper counts conv and fc weights only, not BN's γ and β.
		n := float64(nn.NumParams(m))
		for _, p := range nn.Parameters(m) {
			if p.V.Value.NDim() == 1 && p.Name != "fc.bias" {
				n -= float64(p.V.Value.Len())
			}
		}
		if math.Abs(n/1e6-c.parM) > 0.05*c.parM {
			t.Errorf("α=%g: %.3fM weights, paper %gM", c.alpha, n/1e6, c.parM)
		}
	}
}

// TestZooBTrainsMobileNetV2 uses 64×64 inputs: at 32×32 the last stages are
// 1×1, so training-mode BN sees two values per channel, whose normalised
// outputs are ±1 with a gradient that is zero in exact arithmetic and
// rounding noise times γ/σ in practice. PyTorch's own gradients then reach
// 1e8 (torchvision mobilenet_v2, seed 0) and SGD diverges for some seeds.
func TestZooBTrainsMobileNetV2(t *testing.T) {
	zoobTrain(t, "mobilenet_v2", [3]int{3, 64, 64}, 0.01, 20)
}
