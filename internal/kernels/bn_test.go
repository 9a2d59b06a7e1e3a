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
