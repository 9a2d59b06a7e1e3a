package models

import (
	"math"
	"testing"

	"convnet/nn"
)

// TestMACsMatchTorchvision checks Summarize's multiply-accumulate totals at
// 224×224 against torchvision 0.14's published "GFLOPS" column (which
// counts multiply-adds): within 1 %.
func TestMACsMatchTorchvision(t *testing.T) {
	for _, c := range []struct {
		name  string
		gmacs float64
	}{
		{"alexnet", 0.714}, {"vgg16", 15.47}, {"googlenet", 1.50}, {"resnet18", 1.81},
		{"resnet50", 4.09}, {"mobilenet_v2", 0.30}, {"efficientnet_b0", 0.386},
	} {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && c.name == "vgg16" {
				t.Skip("-short: vgg16 forward")
			}
			m, err := New(c.name, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s, err := nn.Summarize(m, []int{3, 224, 224})
			if err != nil {
				t.Fatal(err)
			}
			got := float64(s.MACs) / 1e9
			// torchvision rounds to 2-3 significant digits: allow 1 % plus half
			// a unit of the last published digit.
			tol := 0.01*c.gmacs + 0.0005
			if c.gmacs < 1 && c.gmacs*100 == math.Round(c.gmacs*100) {
				tol = 0.01*c.gmacs + 0.005
			}
			if math.Abs(got-c.gmacs) > tol {
				t.Errorf("%s: %.4f GMACs, torchvision %.3f", c.name, got, c.gmacs)
			}
			t.Logf("%s: %.4f GMACs (torchvision %.3f), %d params", c.name, got, c.gmacs, s.Params)
		})
	}
}

// TestLeNet5OverfitsOneBatch: every parameter gets a finite gradient and
// the loss on one fixed batch halves within 20 SGD steps.
func TestLeNet5OverfitsOneBatch(t *testing.T) {
	for _, name := range []string{"lenet5", "lenet5-1998"} {
		t.Run(name, func(t *testing.T) {
			zoobTrain(t, name, [3]int{1, 28, 28}, 0.1, 20)
		})
	}
}
