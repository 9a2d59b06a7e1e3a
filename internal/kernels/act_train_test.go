package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// actTrainData returns n values, a quarter of them special (±0, NaN of
// both signs, ±Inf, and the bounds lo and hi themselves), the rest normal
// with standard deviation 4 so that both bounds of [0, 6] are crossed.
func actTrainData(rng *rand.Rand, n int, lo, hi float32) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()),
		math.Float32frombits(0xffc00001), float32(math.Inf(1)), float32(math.Inf(-1)), lo, hi}
	x := make([]float32, n)
	for i := range x {
		if rng.IntN(4) == 0 {
			x[i] = special[rng.IntN(len(special))]
		} else {
			x[i] = float32(4 * rng.NormFloat64())
		}
	}
	return x
}

// actSameBits reports the first index where got and want differ in their
// bits, or -1.
func actSameBits(got, want []float32) int {
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			return i
		}
	}
	return -1
}

// TestClampMaskedGradMatchReference checks Clamp and MaskedGrad (every mask,
// accumulate and set) against their reference loops bit for bit, on
// lengths around the vector width, for the bounds of relu6, of a clip
// with an infinite side and of a clip with lo > hi.
func TestClampMaskedGradMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	bounds := [][2]float32{{0, 6}, {-1, 1}, {float32(math.Inf(-1)), 2}, {3, -3}}
	for _, b := range bounds {
		lo, hi := b[0], b[1]
		for n := 0; n <= 50; n++ {
			x := actTrainData(rng, n, lo, hi)
			got, want := make([]float32, n), make([]float32, n)
			Clamp(got, x, lo, hi)
			clampGo(want, x, lo, hi)
			if i := actSameBits(got, want); i >= 0 {
				t.Fatalf("Clamp [%v, %v] n=%d: element %d of %v = %v, want %v", lo, hi, n, i, x[i], got[i], want[i])
			}
			for _, m := range []GradMask{MaskOpen, MaskClosed, MaskNonZero} {
				for _, set := range []bool{false, true} {
					g, dx := actTrainData(rng, n, lo, hi), actTrainData(rng, n, lo, hi)
					want := append([]float32(nil), dx...)
					MaskedGrad(m, lo, hi, x, g, dx, set)
					maskedGradGo(m, lo, hi, x, g, want, set)
					if i := actSameBits(dx, want); i >= 0 {
						t.Fatalf("MaskedGrad mask %d [%v, %v] set=%v n=%d: element %d (s %v, g %v) = %v, want %v",
							m, lo, hi, set, n, i, x[i], g[i], dx[i], want[i])
					}
				}
			}
		}
	}
}

// TestMaskedGradSemantics pins the masks' edge cases to PyTorch 1.13's:
// relu6's gradient is blocked at 0 and 6 and passes for NaN, clamp's
// passes at its bounds and not for NaN, and set writes +0 for a −0
// gradient.
func TestMaskedGradSemantics(t *testing.T) {
	nan := float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	s := []float32{-1, 0, 3, 6, 7, nan, negZero}
	g := []float32{1, 1, 1, 1, 1, 1, 1}
	for _, c := range []struct {
		m    GradMask
		want []float32
	}{
		{MaskOpen, []float32{0, 0, 1, 0, 0, 1, 0}},
		{MaskClosed, []float32{0, 1, 1, 1, 0, 0, 1}},
		{MaskNonZero, []float32{1, 0, 1, 1, 1, 1, 0}},
	} {
		dx := make([]float32, len(s))
		MaskedGrad(c.m, 0, 6, s, g, dx, true)
		if i := actSameBits(dx, c.want); i >= 0 {
			t.Errorf("mask %d at %v: got %v, want %v", c.m, s[i], dx[i], c.want[i])
		}
	}
	dx := []float32{5}
	MaskedGrad(MaskOpen, 0, 6, []float32{1}, []float32{negZero}, dx, true)
	if math.Float32bits(dx[0]) != 0 {
		t.Errorf("set with a −0 gradient wrote %v (bits %#x), want +0", dx[0], math.Float32bits(dx[0]))
	}
}

// BenchmarkClamp times Clamp and MaskedGrad on MobileNet-v2's largest
// ReLU6 at batch 16 (16·96·112·112 = 19,267,584 elements).
func BenchmarkClamp(b *testing.B) {
	n := 16 * 96 * 112 * 112
	x, g, dx := make([]float32, n), make([]float32, n), make([]float32, n)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range x {
		x[i] = float32(4 * rng.NormFloat64())
		g[i] = float32(rng.NormFloat64())
	}
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			Clamp(dx, x, 0, 6)
		}
	})
	b.Run("backward-add", func(b *testing.B) {
		for b.Loop() {
			MaskedGrad(MaskOpen, 0, 6, x, g, dx, false)
		}
	})
	b.Run("backward-set", func(b *testing.B) {
		for b.Loop() {
			MaskedGrad(MaskOpen, 0, 6, x, g, dx, true)
		}
	})
	b.Run("forward-go", func(b *testing.B) {
		for b.Loop() {
			clampGo(dx, x, 0, 6)
		}
	})
	b.Run("backward-add-go", func(b *testing.B) {
		for b.Loop() {
			maskedGradGo(MaskOpen, 0, 6, x, g, dx, false)
		}
	})
}

// TestSetGrad checks that SetGrad writes 0 + g: every value kept, −0
// turned into +0, NaN kept NaN.
func TestSetGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	for n := 0; n <= 40; n++ {
		g := actTrainData(rng, n, 0, 6)
		dx := actTrainData(rng, n, 0, 6)
		SetGrad(dx, g)
		for i, v := range g {
			var want float32
			want += v
			if math.Float32bits(dx[i]) != math.Float32bits(want) {
				t.Fatalf("n=%d: SetGrad of %v (bits %#x) = %v (bits %#x)", n, v, math.Float32bits(v), dx[i], math.Float32bits(dx[i]))
			}
		}
	}
}
