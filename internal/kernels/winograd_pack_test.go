package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestWinogradPackedWeights holds the one-pass transform into packed
// panels to WinogradWeights32 followed by PackAInto, bit for bit, for
// output channel counts that fill the 8- and 12-row panels or not, input
// channel counts of one and of several packed blocks, and filters with
// zeros, infinities and NaN; the packing's zero rows included. Without the
// kernel it must report false.
func TestWinogradPackedWeights(t *testing.T) {
	if !winoVector {
		// No kernel in this build or on this CPU: the caller must be told
		// to transform and pack in two steps.
		var packed [WinogradN]*PackedA
		buf := make([]float32, WinogradN*PackedALen(4, 4))
		if WinogradPackedWeights(4, 4, make([]float32, 4*4*9), buf, &packed) || packed[0] != nil {
			t.Fatal("WinogradPackedWeights claims a vector route that this build lacks")
		}
		return
	}
	rng := rand.New(rand.NewPCG(3, 3))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.NaN()), 1e-38}
	for _, s := range [][2]int{{1, 1}, {5, 3}, {8, 8}, {12, 16}, {13, 17}, {16, 1}, {24, 7}, {64, 64}, {70, 300}, {128, 520}, {40, 257}} {
		cout, cin := s[0], s[1]
		t.Run(fmt.Sprintf("%dx%d", cout, cin), func(t *testing.T) {
			w := make([]float32, cout*cin*9)
			for i := range w {
				w[i] = float32(rng.NormFloat64())
				if rng.IntN(50) == 0 {
					w[i] = special[rng.IntN(len(special))]
				}
			}
			plen := PackedALen(cout, cin)
			u := make([]float32, WinogradN*cout*cin)
			WinogradWeights32(cout, cin, w, u, 0, cout)
			want := make([]float32, WinogradN*plen)
			for xi := 0; xi < WinogradN; xi++ {
				PackAInto(want[xi*plen:], cout, cin, u[xi*cout*cin:], cin)
			}
			got := make([]float32, WinogradN*plen+7)
			for i := range got {
				got[i] = -7 // every element must be written
			}
			var packed [WinogradN]*PackedA
			if !WinogradPackedWeights(cout, cin, w, got, &packed) {
				t.Fatal("no vector route")
			}
			for i, v := range want {
				g := got[i]
				if math.Float32bits(g) != math.Float32bits(v) && !(g != g && v != v) {
					t.Fatalf("element %d (ξ %d): %v, want %v", i, i/plen, g, v)
				}
			}
			for i := len(want); i < len(got); i++ {
				if got[i] != -7 {
					t.Fatalf("wrote past the packed matrices at %d", i)
				}
			}
			for xi, p := range packed {
				if p.M != cout || p.K != cin || p.mr != gemmKernelFor(cout).mr || &p.data[0] != &got[xi*plen] || len(p.data) != plen {
					t.Fatalf("ξ %d: PackedA %d×%d mr %d, %d floats", xi, p.M, p.K, p.mr, len(p.data))
				}
			}
		})
	}
}

// BenchmarkWinogradPackedWeights times preparing a layer's weights for the
// 36 Winograd products as a training step does, for ResNet-18's 64-, 256-
// and 512-channel layers: transformed and then packed (the route of
// builds without AVX-512), and in one pass.
func BenchmarkWinogradPackedWeights(b *testing.B) {
	for _, c := range []int{64, 256, 512} {
		w := make([]float32, c*c*9)
		for i := range w {
			w[i] = float32(i%13)/13 - 0.5
		}
		plen := PackedALen(c, c)
		buf := make([]float32, WinogradN*plen)
		u := make([]float32, WinogradN*c*c)
		b.Run(fmt.Sprintf("c%d/two-step", c), func(b *testing.B) {
			for b.Loop() {
				WinogradWeights32(c, c, w, u, 0, c)
				for xi := 0; xi < WinogradN; xi++ {
					PackAInto(buf[xi*plen:], c, c, u[xi*c*c:], c)
				}
			}
		})
		if !winoVector {
			continue
		}
		b.Run(fmt.Sprintf("c%d/one-pass", c), func(b *testing.B) {
			withThreads(b, 1)
			var packed [WinogradN]*PackedA
			for b.Loop() {
				WinogradPackedWeights(c, c, w, buf, &packed)
			}
		})
	}
}
