package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// poolSpecial returns n values: normal ones with NaNs of both signs, ±Inf,
// ±0 and equal values mixed in.
func poolSpecial(r *rand.Rand, n int) []float32 {
	special := []float32{float32(math.NaN()), math.Float32frombits(0xffc00001),
		float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), 1, 1}
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
		if r.IntN(20) == 0 {
			x[i] = special[r.IntN(len(special))]
		}
	}
	return x
}

// samePool reports whether got and want are equal as pooling results: NaN
// matches any NaN, and −0 matches +0.
func samePool(got, want float32) bool {
	return got == want || (got != got && want != want)
}

// withPoolVector runs f with the vector kernels on and, where the build has
// them, off.
func withPoolVector(t *testing.T, f func(t *testing.T)) {
	defer func(old bool) { poolVector = old }(poolVector)
	for _, vec := range []bool{false, true} {
		if vec && !poolKernels {
			continue
		}
		poolVector = vec
		t.Run(fmt.Sprintf("vector=%v", vec), f)
	}
}

// poolKernels reports whether this build and CPU have the AVX-512 pooling
// kernels (poolVector's initial value).
var poolKernels = poolVector

// TestEngMaxPoolPlanes compares EngMaxPoolPlanes with MaxPool2dPlanes over
// windows of several widths, heights, strides and paddings, planes narrower
// than one and wider than two 16-output blocks, and inputs holding NaN,
// ±Inf and ±0, with the vector kernels on and off.
func TestEngMaxPoolPlanes(t *testing.T) {
	withPoolVector(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		cases := 0
		for _, k := range [][2]int{{1, 1}, {2, 2}, {3, 3}, {1, 3}, {3, 1}, {5, 4}} {
			for _, s := range []int{1, 2, 3} {
				for _, pad := range []int{0, 1, 2} {
					for _, hw := range [][2]int{{1, 1}, {3, 3}, {7, 9}, {12, 11}, {14, 14}, {2, 16}, {4, 17}, {6, 32}, {1, 31}, {9, 40}, {5, 67}, {6, 112}} {
						g := ConvGeom{C: 3, H: hw[0], W: hw[1], KH: k[0], KW: k[1], SH: s, SW: s, PadT: pad, PadL: pad, DH: 1, DW: 1}
						g.OH = (g.H+2*pad-g.KH)/s + 1
						g.OW = (g.W+2*pad-g.KW)/s + 1
						if g.OH < 1 || g.OW < 1 || 2*pad > min(g.KH, g.KW) {
							continue
						}
						cases++
						x := poolSpecial(r, g.C*g.H*g.W)
						want := make([]float32, g.C*g.OH*g.OW)
						got := make([]float32, len(want))
						MaxPool2dPlanes(&g, x, want, 0, g.C)
						// Planes [1, C) only: plane 0 must stay untouched.
						for i := range got[:g.OH*g.OW] {
							got[i] = 42
						}
						EngMaxPoolPlanes(&g, x, got, 1, g.C)
						for i := range want {
							w := want[i]
							if i < g.OH*g.OW {
								w = 42
							}
							if !samePool(got[i], w) {
								t.Fatalf("%+v: output %d = %g, want %g", g, i, got[i], w)
							}
						}
					}
				}
			}
		}
		if cases < 100 {
			t.Fatalf("only %d geometries tested", cases)
		}
	})
}

// TestEngMaxPoolCeilMode checks windows that run past the right and bottom
// edges (ceil_mode), where the taps outside the input are ignored.
func TestEngMaxPoolCeilMode(t *testing.T) {
	withPoolVector(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		g := ConvGeom{C: 2, H: 10, W: 36, KH: 3, KW: 3, SH: 2, SW: 2, DH: 1, DW: 1, OH: 5, OW: 18}
		x := poolSpecial(r, g.C*g.H*g.W)
		want := make([]float32, g.C*g.OH*g.OW)
		got := make([]float32, len(want))
		MaxPool2dPlanes(&g, x, want, 0, g.C)
		EngMaxPoolPlanes(&g, x, got, 0, g.C)
		for i := range want {
			if !samePool(got[i], want[i]) {
				t.Fatalf("output %d = %g, want %g", i, got[i], want[i])
			}
		}
	})
}

// TestEngPoolKernels compares the AVX-512 row passes with their reference
// loops, bit for bit except for NaN payloads and the sign of a −0/+0 tie,
// over lengths with and without a partial block of 16.
func TestEngPoolKernels(t *testing.T) {
	if !poolKernels {
		t.Skip("no AVX-512 pooling kernels in this build or CPU")
	}
	defer func(old bool) { poolVector = old }(poolVector)
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 5, 15, 16, 17, 31, 56, 112, 113} {
		a, b, c := poolSpecial(r, n), poolSpecial(r, n), poolSpecial(r, n)
		want, got := make([]float32, n), make([]float32, n+1)
		got[n] = 42
		poolVector = false
		engMax3(want, a, b, c)
		poolVector = true
		engMax3(got[:n], a, b, c)
		for i := range want {
			if !samePool(got[i], want[i]) {
				t.Fatalf("engMax3 n=%d: [%d] = %g, want %g", n, i, got[i], want[i])
			}
		}
		if got[n] != 42 {
			t.Fatalf("engMax3 n=%d wrote past the end", n)
		}
		for _, sw := range []int{1, 2} {
			for _, kw := range []int{1, 2, 3, 5} {
				src := poolSpecial(r, sw*16*((n+15)/16)+kw-1)
				poolVector = false
				engHMax(want, src, kw, sw)
				poolVector = true
				got[n] = 42
				engHMax(got[:n], src, kw, sw)
				for i := range want {
					if !samePool(got[i], want[i]) {
						t.Fatalf("engHMax n=%d kw=%d sw=%d: [%d] = %g, want %g", n, kw, sw, i, got[i], want[i])
					}
				}
				if got[n] != 42 {
					t.Fatalf("engHMax n=%d kw=%d sw=%d wrote past the end", n, kw, sw)
				}
			}
		}
	}
}

// BenchmarkEngMaxPool times ResNet-50's max pool (3×3, stride 2, padding
// 1, 64 planes of 112×112 to 56×56) with impl=vector (AVX-512 where
// present), impl=go (the reference row passes) and impl=general
// (MaxPool2dPlanes).
func BenchmarkEngMaxPool(b *testing.B) {
	g := ConvGeom{C: 64, H: 112, W: 112, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, DH: 1, DW: 1, OH: 56, OW: 56}
	x := poolSpecial(rand.New(rand.NewPCG(1, 2)), g.C*g.H*g.W)
	y := make([]float32, g.C*g.OH*g.OW)
	defer func(old bool) { poolVector = old }(poolVector)
	vec := poolVector
	b.Run("impl=vector", func(b *testing.B) {
		poolVector = vec
		for b.Loop() {
			EngMaxPoolPlanes(&g, x, y, 0, g.C)
		}
	})
	b.Run("impl=go", func(b *testing.B) {
		poolVector = false
		for b.Loop() {
			EngMaxPoolPlanes(&g, x, y, 0, g.C)
		}
	})
	b.Run("impl=general", func(b *testing.B) {
		for b.Loop() {
			MaxPool2dPlanes(&g, x, y, 0, g.C)
		}
	})
}
