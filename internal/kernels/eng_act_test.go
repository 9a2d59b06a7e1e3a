package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulpDiff returns |got − want| in units of the last place of want (as a
// float32).
func ulpDiff(got float32, want float64) float64 {
	w := float32(want)
	ulp := math.Abs(float64(math.Nextafter32(w, float32(math.Inf(1)))) - float64(w))
	return math.Abs(float64(got)-want) / ulp
}

// TestExp32 checks the stated error bound of Exp32 (1 ulp) over its
// normal range, and its clamping and NaN.
func TestExp32(t *testing.T) {
	worst := 0.0
	check := func(x float32) {
		d := ulpDiff(Exp32(x), math.Exp(float64(x)))
		if d > worst {
			worst = d
		}
		if d > 1 {
			t.Fatalf("Exp32(%g) = %g, want %g (%.2f ulp)", x, Exp32(x), math.Exp(float64(x)), d)
		}
	}
	for b := math.Float32bits(exp32Lo); b > 0x80000000; b -= 61 { // negative x up to 0
		check(math.Float32frombits(b))
	}
	for b := uint32(0); b <= math.Float32bits(exp32Hi); b += 61 {
		check(math.Float32frombits(b))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000000 {
		check(float32(exp32Lo + r.Float64()*(exp32Hi-exp32Lo)))
	}
	t.Logf("worst error %.3f ulp", worst)
	if v := Exp32(-1000); v <= 0 || v > 1e-37 {
		t.Errorf("Exp32(-1000) = %g", v)
	}
	if v := Exp32(1000); math.IsInf(float64(v), 0) || v < 1e38 {
		t.Errorf("Exp32(1000) = %g", v)
	}
	if v := Exp32(float32(math.NaN())); v == v {
		t.Errorf("Exp32(NaN) = %g", v)
	}
}

// TestSigmoidSiLU32 checks EngApplyAct's SiLU and sigmoid against the
// float64 formulas (3 ulp), on whole slices of every length up to 70 (the
// vector kernels' tails) and over a range of values.
func TestSigmoidSiLU32(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	worst := [2]float64{}
	for n := 0; n < 300; n++ {
		ln := n
		if n > 70 {
			ln = 1000 + n
		}
		x := make([]float32, ln)
		for i := range x {
			x[i] = float32((r.Float64()*2 - 1) * 80)
			if n%3 == 0 {
				x[i] /= 20
			}
		}
		for k, kind := range []Act{ActSiLU, ActSigmoid} {
			y := append([]float32(nil), x...)
			EngApplyAct(Activation{Kind: kind}, y)
			for i, v := range x {
				e := math.Exp(-float64(v))
				want := 1 / (1 + e)
				if kind == ActSiLU {
					want = float64(v) / (1 + e)
				}
				if want == 0 || math.Abs(want) < 1e-30 {
					continue
				}
				d := ulpDiff(y[i], want)
				worst[k] = max(worst[k], d)
				if d > 3 {
					t.Fatalf("%v(%g) = %g, want %g (%.2f ulp)", Activation{Kind: kind}, v, y[i], want, d)
				}
			}
		}
	}
	t.Logf("worst error: silu %.3f ulp, sigmoid %.3f ulp", worst[0], worst[1])
	y := []float32{float32(math.NaN()), float32(math.Inf(1)), 0}
	EngApplyAct(Activation{Kind: ActSiLU}, y)
	if y[0] == y[0] || !math.IsInf(float64(y[1]), 1) || y[2] != 0 {
		t.Errorf("SiLU of NaN, +Inf, 0 = %v", y)
	}
}

// TestEngActPositionFree checks that an element's SiLU does not depend on
// where the slice it is in starts or ends (the engine splits slices
// between goroutines in ways that depend on the thread count).
func TestEngActPositionFree(t *testing.T) {
	t.Logf("AVX-512 kernel: %v", engActAsm)
	r := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, 100)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 5)
	}
	want := append([]float32(nil), x...)
	EngApplyAct(Activation{Kind: ActSiLU}, want)
	for lo := 0; lo < 40; lo++ {
		for hi := lo; hi <= len(x); hi += 7 {
			y := append([]float32(nil), x...)
			EngApplyAct(Activation{Kind: ActSiLU}, y[lo:hi])
			for i := lo; i < hi; i++ {
				if y[i] != want[i] {
					t.Fatalf("element %d in [%d, %d): %g, alone %g", i, lo, hi, y[i], want[i])
				}
			}
			for i := hi; i < len(x); i++ {
				if y[i] != x[i] {
					t.Fatalf("element %d outside [%d, %d) changed", i, lo, hi)
				}
			}
		}
	}
}
