package infer

import (
	"testing"

	"convnet/nn"
	"convnet/tensor"
)

// TestSEBlock checks a squeeze-and-excitation block with 1×1-convolution
// FCs (as in EfficientNet) on a batch of three: its FCs become linear nodes,
// the engine matches the plain forward pass, and its output has the same
// bits at one and at three threads.
func TestSEBlock(t *testing.T) {
	m := nn.NewSE(tensor.NewRNG(5), nn.SEConfig{Channels: 40, Squeeze: 10, Activation: "silu"})
	shape := []int{3, 40, 7, 9}
	x := input(shape, 2)
	want := plain(m, x)
	var first *tensor.Tensor
	for _, threads := range []int{1, 3} {
		eng, err := Compile(m, shape, &Options{Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		if c := eng.Graph().OpCounts(); c["linear"] != 2 || c["conv2d"] != 0 {
			t.Errorf("ops after passes %v, want the two FCs as linear nodes:\n%s", c, eng.Graph())
		}
		got := eng.Run(x).Clone()
		eng.Close()
		closeTo(t, got, want)
		sameAsFirst(t, threads, got, &first)
	}
}
