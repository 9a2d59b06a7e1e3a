package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// elemData returns n pseudo-random values, a few of them ±0, NaN or ±Inf
// when special is set.
func elemData(rng *rand.Rand, n int, special bool) []float32 {
	sp := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	x := make([]float32, n)
	for i := range x {
		if special && rng.IntN(8) == 0 {
			x[i] = sp[rng.IntN(len(sp))]
		} else {
			x[i] = float32(rng.NormFloat64() * 3)
		}
	}
	return x
}

// withElemAsm runs f with engElemAsm set to on (when the build has the
// kernels) and restores it.
func withElemAsm(on bool, f func()) {
	old := engElemAsm
	engElemAsm = on && old
	defer func() { engElemAsm = old }()
	f()
}

// TestPlaneMeans checks GlobalAvgPool2dPlanes: the kernel against
// planeMeanGo bit for bit, on plane sizes around the 32-element block and
// the 8-element groups of its masks, and planeMeanGo against the sequential
// float64 sum of GlobalAvgPool2d within one rounding of float32.
func TestPlaneMeans(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, hw := range []int{1, 2, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 49, 63, 64, 65, 100, 196, 784, 3136} {
		for _, special := range []bool{false, true} {
			const planes = 5
			x := elemData(rng, planes*hw, special)
			got, ref, seq := make([]float32, planes), make([]float32, planes), make([]float32, planes)
			GlobalAvgPool2dPlanes(hw, x, got, 0, planes)
			withElemAsm(false, func() { GlobalAvgPool2dPlanes(hw, x, ref, 0, planes) })
			GlobalAvgPool2d(planes, hw, x, seq)
			for p := range got {
				if !sameFloat(got[p], ref[p]) {
					t.Fatalf("hw=%d special=%v plane %d: kernel %v, reference %v", hw, special, p, got[p], ref[p])
				}
				if special {
					if !sameFloat(ref[p], seq[p]) && !(math.IsNaN(float64(seq[p])) == math.IsNaN(float64(ref[p])) && math.Abs(float64(ref[p]-seq[p])) <= ulp32(seq[p])) {
						t.Fatalf("hw=%d plane %d: %v, sequential sum gives %v", hw, p, ref[p], seq[p])
					}
					continue
				}
				if d := math.Abs(float64(ref[p] - seq[p])); d > ulp32(seq[p]) {
					t.Fatalf("hw=%d plane %d: %v, sequential sum gives %v", hw, p, ref[p], seq[p])
				}
			}
			// A split of the planes gives the same values.
			split := make([]float32, planes)
			GlobalAvgPool2dPlanes(hw, x, split, 0, 2)
			GlobalAvgPool2dPlanes(hw, x, split, 2, planes)
			for p := range split {
				if !sameFloat(split[p], got[p]) {
					t.Fatalf("hw=%d plane %d: %v after a split, %v without", hw, p, split[p], got[p])
				}
			}
		}
	}
}

// ulp32 returns the spacing of float32 values at |v|.
func ulp32(v float32) float64 {
	a := float32(math.Abs(float64(v)))
	return float64(math.Nextafter32(a, float32(math.Inf(1))) - a)
}

// TestEngElemOps checks EngMulPlanes, EngAddPlanes, EngMul and EngAdd
// against their reference loops bit for bit, on lengths around the vector
// widths, with special values, in place and not.
func TestEngElemOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, hw := range []int{1, 3, 15, 16, 17, 49, 63, 64, 65, 79, 196} {
		for _, add := range []bool{false, true} {
			const planes = 4
			x, s := elemData(rng, planes*hw+3, true), elemData(rng, planes, true)
			got, want := make([]float32, planes*hw+3), make([]float32, planes*hw+3)
			got[planes*hw], want[planes*hw] = 7, 7 // past the planes: untouched
			planeOp(hw, x, s, got, add)
			planeOpGo(hw, x, s, want, add)
			for i := range got {
				if !sameFloat(got[i], want[i]) {
					t.Fatalf("planes hw=%d add=%v: element %d = %v, want %v", hw, add, i, got[i], want[i])
				}
			}
			in := append([]float32(nil), x...)
			planeOp(hw, in, s, in, add)
			for i := range planes * hw {
				if !sameFloat(in[i], want[i]) {
					t.Fatalf("planes in place hw=%d add=%v: element %d = %v, want %v", hw, add, i, in[i], want[i])
				}
			}
		}
	}
	for n := 0; n <= 200; n++ {
		for _, add := range []bool{false, true} {
			a, b := elemData(rng, n+1, true), elemData(rng, n+1, true)
			got, want := make([]float32, n+1), make([]float32, n+1)
			elemOp(a, b, got[:n], add)
			elemOpGo(a, b, want[:n], add)
			for i := range got {
				if !sameFloat(got[i], want[i]) {
					t.Fatalf("elementwise n=%d add=%v: element %d = %v, want %v", n, add, i, got[i], want[i])
				}
			}
		}
	}
}

// BenchmarkEngElem times the per-plane steps of EfficientNet-b0's second
// squeeze-and-excitation block (96 planes of 56×56) and of its last ones
// (1152 planes of 7×7): plane means and the per-plane product, kernel and
// reference loop.
func BenchmarkEngElem(b *testing.B) {
	for _, sz := range []struct {
		name      string
		planes, n int
	}{{"96x56x56", 96, 56 * 56}, {"1152x7x7", 1152, 49}} {
		rng := rand.New(rand.NewPCG(7, 8))
		x := elemData(rng, sz.planes*sz.n, false)
		s, y := elemData(rng, sz.planes, false), make([]float32, sz.planes*sz.n)
		for _, asm := range []bool{true, false} {
			name := sz.name + "/go"
			if asm {
				name = sz.name + "/asm"
			}
			b.Run("mean/"+name, func(b *testing.B) {
				withElemAsm(asm, func() {
					b.SetBytes(int64(4 * len(x)))
					for b.Loop() {
						GlobalAvgPool2dPlanes(sz.n, x, s, 0, sz.planes)
					}
				})
			})
			b.Run("mulplanes/"+name, func(b *testing.B) {
				withElemAsm(asm, func() {
					b.SetBytes(int64(4 * len(x)))
					for b.Loop() {
						EngMulPlanes(sz.n, x, s, y)
					}
				})
			})
		}
	}
}
