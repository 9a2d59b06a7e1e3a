package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBNKernelsMatchGo checks each batch-normalisation kernel against its
// Go loop bit for bit, on lengths around the vector widths, with partial
// sums carried over several slices as for a channel spanning images.
func TestBNKernelsMatchGo(t *testing.T) {
	if !bnAsm {
		t.Skip("no AVX-512 batch-normalisation kernels on this CPU or build")
	}
	rng := rand.New(rand.NewPCG(17, 18))
	defer func() { bnAsm = true }()
	for _, n := range []int{1, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000} {
		x, g := fillSpecial(rng, n), randSlice(rng, n)
		for i := range x { // finite values: sums of specials compare poorly
			if x[i] != x[i] || x[i]-x[i] != 0 {
				x[i] = 1.5
			}
		}
		mean, gm, proj, scale := 0.3, -0.01, 0.02, 1.7
		var got, want [6]BNPartials
		dxGot, dxWant := randSlice(rng, n), make([]float32, n)
		copy(dxWant, dxGot)
		afGot, afWant := make([]float32, n), make([]float32, n)
		for pass, p := range []*[6]BNPartials{&got, &want} {
			bnAsm = pass == 0
			for rep := 0; rep < 3; rep++ { // carry partials over slices
				BNSum(&p[0], x)
				BNSumSqDev(&p[1], x, mean)
				BNBackwardSums(&p[2], &p[3], g, x, mean)
			}
			if pass == 0 {
				BNAffine(afGot, x, 0.7, -0.2)
				BNBackwardDx(dxGot, g, x, mean, gm, proj, scale, false)
			} else {
				BNAffine(afWant, x, 0.7, -0.2)
				BNBackwardDx(dxWant, g, x, mean, gm, proj, scale, false)
			}
		}
		for k := 0; k < 4; k++ {
			for i := range got[k] {
				if got[k][i] != want[k][i] {
					t.Fatalf("n=%d sums %d: partial %d = %v, want %v", n, k, i, got[k][i], want[k][i])
				}
			}
		}
		if i := sameBits(afGot, afWant); i >= 0 {
			t.Fatalf("n=%d BNAffine[%d] = %v, want %v", n, i, afGot[i], afWant[i])
		}
		if i := sameBits(dxGot, dxWant); i >= 0 {
			t.Fatalf("n=%d BNBackwardDx[%d] = %v, want %v", n, i, dxGot[i], dxWant[i])
		}
		// set: dx's old values (NaN here) are not read; the result is the
		// Go loop's accumulation into zeros, on either path.
		cleared := make([]float32, n)
		bnAsm = false
		BNBackwardDx(cleared, g, x, mean, gm, proj, scale, false)
		for pass := 0; pass < 2; pass++ {
			bnAsm = pass == 0
			set := make([]float32, n)
			for i := range set {
				set[i] = float32(math.NaN())
			}
			BNBackwardDx(set, g, x, mean, gm, proj, scale, true)
			if i := sameBits(set, cleared); i >= 0 {
				t.Fatalf("n=%d asm %v: BNBackwardDx set [%d] = %v, want %v", n, bnAsm, i, set[i], cleared[i])
			}
		}
	}
}

// TestBNBackwardSumsReLU checks the fused mask-and-sums kernel against the
// separate steps it replaces (BNAffine, ReLU, MaskedGrad with MaskNonZero
// and set, BNBackwardSums), bit for bit on the masked gradient and the
// partials, with and without the assembly. x holds values for which
// float32(x·a) + b is exactly +0 (blocked), −0 (blocked) and NaN (passes),
// and the partials carry over three slices as for a channel spanning
// images.
func TestBNBackwardSumsReLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	defer func(old bool) { bnAsm = old }(bnAsm)
	const mean = 0.3
	for _, ab := range [][2]float32{{0.5, -0.25}, {-1.5, float32(math.Copysign(0, -1))}} {
		a, b := ab[0], ab[1]
		for _, n := range []int{1, 5, 16, 31, 32, 33, 64, 65, 100, 1000} {
			x, g := fillSpecial(rng, n), randSlice(rng, n)
			for i := range x {
				switch i % 11 {
				case 2:
					x[i] = 0.5 // 0.5·0.5 − 0.25 = +0 with the first a, b
				case 5:
					x[i] = 0 // +0·(−1.5) + (−0) = −0 with the second
				case 8:
					x[i] = float32(math.NaN())
				}
			}
			// The steps it replaces, in Go.
			var wantSum, wantDot BNPartials
			wantG := make([]float32, n)
			y := make([]float32, n)
			saved := bnAsm
			bnAsm = false
			for rep := 0; rep < 3; rep++ {
				BNAffine(y, x, a, b)
				ReLU(y, y)
				maskedGradGo(MaskNonZero, 0, 0, y, g, wantG, true)
				bnBackwardSumsGo(&wantSum, &wantDot, wantG, x, mean)
			}
			bnAsm = saved
			for _, asm := range []bool{false, true} {
				if asm && !saved {
					continue
				}
				bnAsm = asm
				var sum, dot BNPartials
				var got []float32
				for rep := 0; rep < 3; rep++ {
					got = append([]float32(nil), g...)
					BNBackwardSumsReLU(&sum, &dot, got, x, mean, a, b)
				}
				bnAsm = saved
				if i := sameBits(got, wantG); i >= 0 {
					t.Fatalf("a=%v b=%v n=%d asm %v: g[%d] = %v, want %v (x %v)", a, b, n, asm, i, got[i], wantG[i], x[i])
				}
				for i := range sum {
					if !sameFloat64(sum[i], wantSum[i]) || !sameFloat64(dot[i], wantDot[i]) {
						t.Fatalf("a=%v b=%v n=%d asm %v: partial %d = %v, %v, want %v, %v", a, b, n, asm, i, sum[i], dot[i], wantSum[i], wantDot[i])
					}
				}
			}
		}
	}
}

// sameFloat64 reports whether a and b have the same bits, or are both NaN.
func sameFloat64(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (a != a && b != b)
}
