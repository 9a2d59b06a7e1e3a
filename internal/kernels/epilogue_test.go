package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// epilogueSpecials are values an epilogue must pass exactly as the
// reference does: NaN, both zeros, values either side of 0 and 6.
var epilogueSpecials = []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0, -1e-30, 1e-30, 6, 6.5, -7, float32(math.Inf(1)), float32(math.Inf(-1))}

// fillSpecial returns n normal values with every 7th replaced by one of
// epilogueSpecials.
func fillSpecial(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 4)
		if i%7 == 3 {
			x[i] = epilogueSpecials[rng.IntN(len(epilogueSpecials))]
		}
	}
	return x
}

// sameBits reports the first index where a and b differ in their bits, or
// -1. NaNs match any NaN: which payload and sign a NaN carries through
// max and additions is not specified (the Go compiler and the vector
// instructions choose differently), only that NaN stays NaN.
func sameBits(a, b []float32) int {
	for i := range a {
		if a[i] != a[i] && b[i] != b[i] {
			continue
		}
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestEpilogueRowMatchesGo checks the vector row epilogue against
// epilogueRowGo bit for bit, for every activation, with and without bias
// and residual, on lengths around the 16-lane vectors.
func TestEpilogueRowMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	acts := []Activation{{Kind: ActNone}, {Kind: ActReLU}, {Kind: ActReLU6}, {Kind: ActSiLU}, {Kind: ActSigmoid}, {Kind: ActClip, Lo: -1, Hi: 2}}
	for _, n := range []int{1, 3, 15, 16, 17, 31, 33, 100} {
		for _, act := range acts {
			for _, withBias := range []bool{false, true} {
				for _, withRes := range []bool{false, true} {
					x := fillSpecial(rng, n)
					var bias *float32
					if withBias {
						bias = &fillSpecial(rng, 1)[0]
					}
					var res []float32
					if withRes {
						res = fillSpecial(rng, n)
					}
					want := append([]float32(nil), x...)
					epilogueRowGo(want, bias, res, act)
					got := append([]float32(nil), x...)
					epilogueRow(got, bias, res, act)
					if i := sameBits(got, want); i >= 0 {
						t.Fatalf("n=%d %v bias=%v res=%v: [%d] = %v, want %v", n, act, withBias, withRes, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestGemmPackedFusedMatchesUnfused checks that GemmPacked with the fused
// kernel epilogue gives the same bits as the kernel followed by
// Epilogue.apply (the path taken without it), for every activation, odd
// shapes (edge tiles take the unfused path inside the same call), several
// K blocks, and inputs with NaN, zeros of both signs and infinities.
func TestGemmPackedFusedMatchesUnfused(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	acts := []Activation{{Kind: ActNone}, {Kind: ActReLU}, {Kind: ActReLU6}, {Kind: ActSigmoid}, {Kind: ActClip, Lo: -1, Hi: 2}}
	for _, sz := range [][3]int{{12, 32, 1}, {24, 64, 16}, {13, 33, 7}, {37, 97, 300}, {96, 200, 600}, {24, 16, 40}, {36, 47, 300}, {16, 47, 20}, {64, 100, 300}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, act := range acts {
			for _, parts := range []int{0, 1, 2, 3} { // bit 0: bias, bit 1: residual
				name := fmt.Sprintf("%dx%dx%d/%v/parts=%d", m, n, k, act, parts)
				a, b := fillSpecial(rng, m*k), fillSpecial(rng, k*n)
				ep := &Epilogue{Act: act}
				if parts&1 != 0 {
					ep.Bias = fillSpecial(rng, m)
				}
				if parts&2 != 0 {
					ep.Residual, ep.ResLd = fillSpecial(rng, m*(n+3)), n+3
				}
				p := PackA(nil, m, k, a, k)
				ws := NewGemmScratch(n)
				// Sentinels past the end of C catch stores beyond its
				// last row's columns.
				buf := fillSpecial(rng, m*n+64)
				got, tail := buf[:m*n], append([]float32(nil), buf[m*n:]...)
				GemmPacked(p, false, n, b, n, got, n, ep, 0, m, 0, n, ws)
				if i := sameBits(buf[m*n:], tail); i >= 0 {
					t.Fatalf("%s: GemmPacked wrote past the end of C at %d", name, m*n+i)
				}
				old := epAsm
				epAsm = false
				want := make([]float32, m*n)
				GemmPacked(p, false, n, b, n, want, n, ep, 0, m, 0, n, ws)
				epAsm = old
				if i := sameBits(got, want); i >= 0 {
					t.Fatalf("%s: C[%d] = %v, want %v", name, i, got[i], want[i])
				}
			}
		}
	}
}
