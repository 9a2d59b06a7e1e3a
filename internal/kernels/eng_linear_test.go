package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// linearCase returns random W [o, f], x [n, f], bias [o] and residual
// [o, n].
func linearCase(r *rand.Rand, n, o, f int) (w, x, bias, res []float32) {
	fill := func(k int) []float32 {
		v := make([]float32, k)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	return fill(o * f), fill(n * f), fill(o), fill(o * n)
}

// TestEngLinearRows checks EngLinearRows against a float64 reference,
// with the dot-product kernels and without (the Go loop): each element
// may differ from the exactly rounded sum by f·2⁻²³·Σ|W·x| (a bound on
// float32 summation in any order) plus one rounding for the bias and
// residual. It also checks that row ranges computed separately give the
// same bits as one call, that the rows outside the range are untouched,
// and that batch 1 (dot8x1) gives the same bits as the same row at batch
// 2 (dot4x4).
func TestEngLinearRows(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	defer func(old bool) { dotKernel = old }(dotKernel)
	for _, s := range [][3]int{{1, 1, 1}, {1, 7, 15}, {1, 8, 16}, {1, 13, 33}, {1, 100, 2048}, {2, 9, 31}, {3, 5, 64}, {5, 21, 100}, {7, 10, 1280}} {
		n, o, f := s[0], s[1], s[2]
		w, x, bias, res := linearCase(r, n, o, f)
		ep := &Epilogue{Bias: bias, Residual: res, ResLd: n, Act: Activation{Kind: ActReLU}}
		want := make([]float64, n*o)
		bound := make([]float64, n*o)
		for j := 0; j < n; j++ {
			for i := 0; i < o; i++ {
				var sum, abs float64
				for p := 0; p < f; p++ {
					v := float64(w[i*f+p]) * float64(x[j*f+p])
					sum += v
					abs += math.Abs(v)
				}
				sum += float64(bias[i]) + float64(res[i*n+j])
				want[j*o+i] = max(sum, 0)
				bound[j*o+i] = float64(f)*0x1p-23*abs + 0x1p-22*(math.Abs(sum)+abs+math.Abs(float64(bias[i]))+math.Abs(float64(res[i*n+j])))
			}
		}
		for _, kern := range []bool{true, false} {
			if kern && !hasDotKernel() {
				continue
			}
			t.Run(fmt.Sprintf("n=%d/o=%d/f=%d/kernel=%v", n, o, f, kern), func(t *testing.T) {
				dotKernel = kern
				got := make([]float32, n*o)
				EngLinearRows(w, x, got, n, o, f, ep, 0, o)
				for i, v := range got {
					if d := math.Abs(float64(v) - want[i]); !(d <= bound[i]) {
						t.Fatalf("y[%d] = %g, want %g (bound %.3g)", i, v, want[i], bound[i])
					}
				}
				// Split into uneven ranges, with a sentinel outside each.
				split := make([]float32, n*o)
				for lo := 0; lo < o; {
					hi := min(o, lo+1+r.IntN(11))
					for i := range split {
						split[i] = 42
					}
					EngLinearRows(w, x, split, n, o, f, ep, lo, hi)
					for j := 0; j < n; j++ {
						for i := 0; i < o; i++ {
							k := j*o + i
							if i >= lo && i < hi {
								if math.Float32bits(split[k]) != math.Float32bits(got[k]) {
									t.Fatalf("rows [%d, %d): y[%d] = %g, in one call %g", lo, hi, k, split[k], got[k])
								}
							} else if split[k] != 42 {
								t.Fatalf("rows [%d, %d): wrote y[%d]", lo, hi, k)
							}
						}
					}
					lo = hi
				}
				if n == 1 {
					x2 := append(append([]float32(nil), x...), x...)
					res2 := make([]float32, 2*o)
					for i := range o {
						res2[2*i], res2[2*i+1] = res[i], res[i]
					}
					ep2 := *ep
					ep2.Residual, ep2.ResLd = res2, 2
					y2 := make([]float32, 2*o)
					EngLinearRows(w, x2, y2, 2, o, f, &ep2, 0, o)
					for i, v := range got {
						if math.Float32bits(y2[i]) != math.Float32bits(v) || math.Float32bits(y2[o+i]) != math.Float32bits(v) {
							t.Fatalf("y[%d] = %g at batch 1, %g and %g at batch 2", i, v, y2[i], y2[o+i])
						}
					}
				}
			})
		}
	}
}

// BenchmarkEngLinear times ResNet-50's classifier (2048 → 1000) at small
// batches with EngLinearRows (impl=dot, W unpacked) and with the packed
// GEMM over transposed x that the engine otherwise uses (impl=packed).
// W is 8 MB, so both read it from memory or the last-level cache.
func BenchmarkEngLinear(b *testing.B) {
	const o, f = 1000, 2048
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 4, 8, 16} {
		w, x, bias, _ := linearCase(r, n, o, f)
		y := make([]float32, n*o)
		ep := &Epilogue{Bias: bias}
		b.Run(fmt.Sprintf("n=%d/impl=dot", n), func(b *testing.B) {
			for b.Loop() {
				EngLinearRows(w, x, y, n, o, f, ep, 0, o)
			}
		})
		p := PackA(nil, o, f, w, f)
		ws := NewGemmScratch(n)
		b.Run(fmt.Sprintf("n=%d/impl=packed", n), func(b *testing.B) {
			for b.Loop() {
				GemmPacked(p, true, n, x, f, y, n, ep, 0, o, 0, n, ws)
			}
		})
	}
}
