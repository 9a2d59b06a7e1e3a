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

// TestBNBackwardSumsReLU checks the kernels that take a ReLU's mask from
// the batch norm's input (BNBackwardSumsReLU, BNBackwardDxReLU) against the
// separate steps they replace (BNAffine, ReLU, MaskedGrad with MaskNonZero
// and set, then BNBackwardSums and BNBackwardDx on the masked gradient),
// bit for bit, with and without the assembly, dx set and added. x holds
// values for which float32(x·a) + b is exactly +0 (blocked), −0 (blocked)
// and NaN (passes); the partials carry over three slices as for a channel
// spanning images; g must come back unchanged.
func TestBNBackwardSumsReLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	defer func(old bool) { bnAsm = old }(bnAsm)
	const mean, gm, proj, scale = 0.3, -0.01, 0.02, 1.7
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
			g0 := append([]float32(nil), g...)
			dx0 := randSlice(rng, n)
			// The steps they replace, in Go.
			saved := bnAsm
			bnAsm = false
			var wantSum, wantDot BNPartials
			masked := make([]float32, n)
			y := make([]float32, n)
			for rep := 0; rep < 3; rep++ {
				BNAffine(y, x, a, b)
				ReLU(y, y)
				maskedGradGo(MaskNonZero, 0, 0, y, g, masked, true)
				bnBackwardSumsGo(&wantSum, &wantDot, masked, x, mean)
			}
			wantAdd := append([]float32(nil), dx0...)
			bnBackwardDxGo(wantAdd, masked, x, mean, gm, proj, scale, false)
			wantSet := make([]float32, n)
			bnBackwardDxGo(wantSet, masked, x, mean, gm, proj, scale, true)
			bnAsm = saved
			for _, asm := range []bool{false, true} {
				if asm && !saved {
					continue
				}
				bnAsm = asm
				var sum, dot BNPartials
				for rep := 0; rep < 3; rep++ {
					BNBackwardSumsReLU(&sum, &dot, g, x, mean, a, b)
				}
				add := append([]float32(nil), dx0...)
				BNBackwardDxReLU(add, g, x, mean, gm, proj, scale, false, a, b)
				set := make([]float32, n)
				for i := range set {
					set[i] = float32(math.NaN()) // not read with set
				}
				BNBackwardDxReLU(set, g, x, mean, gm, proj, scale, true, a, b)
				bnAsm = saved
				for i := range sum {
					if !sameFloat64(sum[i], wantSum[i]) || !sameFloat64(dot[i], wantDot[i]) {
						t.Fatalf("a=%v b=%v n=%d asm %v: partial %d = %v, %v, want %v, %v", a, b, n, asm, i, sum[i], dot[i], wantSum[i], wantDot[i])
					}
				}
				if i := sameBits(add, wantAdd); i >= 0 {
					t.Fatalf("a=%v b=%v n=%d asm %v: added dx[%d] = %v, want %v (x %v)", a, b, n, asm, i, add[i], wantAdd[i], x[i])
				}
				if i := sameBits(set, wantSet); i >= 0 {
					t.Fatalf("a=%v b=%v n=%d asm %v: set dx[%d] = %v, want %v (x %v)", a, b, n, asm, i, set[i], wantSet[i], x[i])
				}
				if i := sameBits(g, g0); i >= 0 {
					t.Fatalf("a=%v b=%v n=%d asm %v: g[%d] changed to %v from %v", a, b, n, asm, i, g[i], g0[i])
				}
			}
		}
	}
}

// sameFloat64 reports whether a and b have the same bits, or are both NaN.
func sameFloat64(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (a != a && b != b)
}

// TestBNAffineAddReLU checks the fused forward pass of a batch norm
// against the steps it replaces (BNAffine, then EngAdd of the residual,
// then ReLU), bit for bit, with and without the assembly, for every
// combination of residual and ReLU: with values for which the result is
// +0, −0 and NaN, on lengths around the vector widths, with a guard band
// after dst that must stay untouched.
func TestBNAffineAddReLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	defer func(old bool) { bnAsm = old }(bnAsm)
	have := bnAsm
	const a, b = 0.5, -0.25
	for _, n := range []int{1, 5, 15, 16, 17, 63, 64, 65, 100, 1000} {
		x, res := fillSpecial(rng, n), randSlice(rng, n)
		for i := range x {
			switch i % 7 {
			case 2:
				x[i] = 0.5 // 0.5·0.5 − 0.25 = +0
			case 4:
				x[i], res[i] = 0.5, float32(math.Copysign(0, -1)) // +0 + −0 = +0
			case 5:
				x[i] = float32(math.NaN())
			}
		}
		for _, withRes := range []bool{false, true} {
			for _, relu := range []bool{false, true} {
				bnAsm = false
				want := make([]float32, n)
				BNAffine(want, x, a, b)
				var r []float32
				if withRes {
					r = res
					EngAdd(want, res, want)
				}
				if relu {
					reluGo(want, want)
				}
				for _, asm := range []bool{false, true} {
					bnAsm = asm && have
					got := make([]float32, n+16)
					for i := range got {
						got[i] = -7
					}
					BNAffineAddReLU(got[:n], x, r, a, b, relu)
					if i := sameBits(got[:n], want); i >= 0 {
						t.Fatalf("n=%d res %v relu %v asm %v: [%d] = %v, want %v", n, withRes, relu, bnAsm, i, got[i], want[i])
					}
					for i := n; i < len(got); i++ {
						if got[i] != -7 {
							t.Fatalf("n=%d res %v relu %v asm %v: wrote past dst at %d", n, withRes, relu, bnAsm, i)
						}
					}
				}
			}
		}
	}
}

// TestBNAffineReLU6 checks BNAffineReLU6, with and without the assembly,
// against BNAffine followed by Clamp to [0, 6], bit for bit: values below
// 0, inside, at and above 6, −0, +0, NaN, the 64-element loop and the
// masked tail; nothing past dst is written.
func TestBNAffineReLU6(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	defer func(old bool) { bnAsm = old }(bnAsm)
	have := bnAsm
	const a, b = 4, -0.25
	for _, n := range []int{1, 5, 16, 17, 63, 64, 65, 100, 1000} {
		x := fillSpecial(rng, n)
		for i := range x {
			switch i % 9 {
			case 2:
				x[i] = 0.0625 // 4·0.0625 − 0.25 = +0
			case 4:
				x[i] = 1.5625 // exactly 6
			case 5:
				x[i] = float32(math.NaN())
			case 6:
				x[i] = 3 // 11.75, clamped
			case 7:
				x[i] = float32(math.Copysign(0, -1)) // −0·4 − 0.25 < 0
			}
		}
		bnAsm = false
		want := make([]float32, n)
		BNAffine(want, x, a, b)
		Clamp(want, want, 0, 6)
		for _, asm := range []bool{false, true} {
			bnAsm = asm && have
			got := make([]float32, n+16)
			for i := range got {
				got[i] = -7
			}
			BNAffineReLU6(got[:n], x, a, b)
			if i := sameBits(got[:n], want); i >= 0 {
				t.Fatalf("n=%d asm %v: [%d] = %v, want %v", n, bnAsm, i, got[i], want[i])
			}
			for i := n; i < len(got); i++ {
				if got[i] != -7 {
					t.Fatalf("n=%d asm %v: wrote past dst at %d", n, bnAsm, i)
				}
			}
		}
	}
}
