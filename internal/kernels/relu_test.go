package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestReLUMatchesReference checks ReLU and ReLUBackward against their
// reference loops bit for bit, on lengths around the vector width and on
// data with ±0, NaN (both signs) and infinities.
func TestReLUMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	negNaN := math.Float32frombits(0xffc00001)
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), negNaN, float32(math.Inf(1)), float32(math.Inf(-1))}
	gen := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			if rng.IntN(4) == 0 {
				x[i] = special[rng.IntN(len(special))]
			} else {
				x[i] = float32(rng.NormFloat64())
			}
		}
		return x
	}
	for n := 0; n <= 50; n++ {
		x := gen(n)
		got, want := make([]float32, n), make([]float32, n)
		ReLU(got, x)
		reluGo(want, x)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("ReLU n=%d: element %d of %v = %v, want %v", n, i, x[i], got[i], want[i])
			}
		}
		y, g, dx := gen(n), gen(n), gen(n)
		want = append([]float32(nil), dx...)
		ReLUBackward(y, g, dx)
		reluBackwardGo(y, g, want)
		for i := range dx {
			// Which NaN a sum of two NaNs gives depends on the order in
			// which the compiler sets the operands (it differs under
			// -race): any NaN for a NaN, the bits otherwise.
			nan := dx[i] != dx[i] && want[i] != want[i]
			if !nan && math.Float32bits(dx[i]) != math.Float32bits(want[i]) {
				t.Fatalf("ReLUBackward n=%d: element %d = %v, want %v", n, i, dx[i], want[i])
			}
		}
	}
}

// BenchmarkReLU times ReLU and ReLUBackward on LeNet-5's first activation
// at batch 64 (301,056 elements).
func BenchmarkReLU(b *testing.B) {
	n := 64 * 6 * 28 * 28
	x, g, dx := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(i%13) - 6
		g[i] = float32(i % 7)
	}
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			ReLU(dx, x)
		}
	})
	b.Run("backward", func(b *testing.B) {
		for b.Loop() {
			ReLUBackward(x, g, dx)
		}
	})
}
