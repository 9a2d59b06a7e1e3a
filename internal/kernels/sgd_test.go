package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSGDKernels holds SGDMomentum and AddScaled to their reference loops
// bit for bit, at lengths around the vector width, with values that
// include zeros of both signs, infinities and NaN, and checks that nothing
// past n is written.
func TestSGDKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40, -3.3e38}
	fill := func(n int) []float32 {
		s := make([]float32, n+5) // a guard band of 5
		for i := range s {
			s[i] = float32(rng.NormFloat64())
			if rng.IntN(10) == 0 {
				s[i] = special[rng.IntN(len(special))]
			}
		}
		return s
	}
	same := func(a, b float32) bool {
		if a != a && b != b {
			return true // NaN payloads may differ with operand order
		}
		return math.Float32bits(a) == math.Float32bits(b)
	}
	for _, n := range []int{1, 3, 15, 16, 17, 31, 32, 33, 100, 1000, 4097} {
		for _, c := range []struct{ wd, mom, damp, negLR float32 }{{0, 0.9, 1, -0.01}, {0, 0.5, 0.7, -3}, {0, 0, 1, -0.1}, {5e-4, 0.9, 1, -0.1}, {float32(math.Copysign(0, -1)), 0.9, 1, -0.1}, {0.3, 0, 0.5, -1}} {
			p, g, buf := fill(n), fill(n), fill(n)
			p2, buf2 := append([]float32(nil), p...), append([]float32(nil), buf...)
			SGDMomentum(p[:n], g, buf, c.wd, c.mom, c.damp, c.negLR)
			sgdMomentumGo(p2[:n], g, buf2, c.wd, c.mom, c.damp, c.negLR)
			for i := range p {
				if i >= n {
					// the guard band: the kernel must not touch it
					if math.Float32bits(p[i]) != math.Float32bits(p2[i]) || math.Float32bits(buf[i]) != math.Float32bits(buf2[i]) {
						t.Fatalf("SGDMomentum n=%d wrote past n at %d", n, i)
					}
					continue
				}
				if !same(p[i], p2[i]) || !same(buf[i], buf2[i]) {
					t.Fatalf("SGDMomentum n=%d %+v: [%d] p %v buf %v, reference p %v buf %v", n, c, i, p[i], buf[i], p2[i], buf2[i])
				}
			}
			q, q2 := fill(n), []float32(nil)
			q2 = append(q2, q...)
			AddScaled(q[:n], g, c.negLR)
			addScaledGo(q2[:n], g, c.negLR)
			for i := range q {
				if !same(q[i], q2[i]) || i >= n && math.Float32bits(q[i]) != math.Float32bits(q2[i]) {
					t.Fatalf("AddScaled n=%d a=%v: [%d] = %v, reference %v", n, c.negLR, i, q[i], q2[i])
				}
			}
		}
	}
	// The reference itself: one hand-checked element.
	p, g, buf := []float32{1}, []float32{2}, []float32{3}
	sgdMomentumGo(p, g, buf, 0, 0.5, 1, -0.25)
	if buf[0] != 3.5 || p[0] != 1-0.875 {
		t.Fatalf("sgdMomentumGo: p %v buf %v, want 0.125 and 3.5", p[0], buf[0])
	}
	p, g, buf = []float32{1}, []float32{2}, []float32{3}
	sgdMomentumGo(p, g, buf, 0.5, 0.5, 1, -0.25) // g + 0.5·1 = 2.5, buf 1.5 + 2.5 = 4
	if buf[0] != 4 || p[0] != 0 {
		t.Fatalf("sgdMomentumGo with decay: p %v buf %v, want 0 and 4", p[0], buf[0])
	}
}

// BenchmarkSGDMomentum times one momentum update of LeNet-5's 61,706
// parameters and of a million, by the reference loop and, where
// available, the AVX-512 kernel.
func BenchmarkSGDMomentum(b *testing.B) {
	defer func(old bool) { sgdVector = old }(sgdVector)
	vector := sgdVector
	for _, n := range []int{61706, 1 << 20} {
		p, g, buf := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range p {
			// No zero gradients: their momentum would decay into subnormal
			// numbers, whose arithmetic is slow everywhere.
			p[i], g[i], buf[i] = float32(i%7)-3, float32(i%5)-2.5, float32(i%3)-1
		}
		for _, vec := range []bool{false, true} {
			if vec && !vector {
				continue
			}
			name := map[bool]string{false: "go", true: "avx512"}[vec]
			b.Run(fmt.Sprintf("n%d/%s", n, name), func(b *testing.B) {
				sgdVector = vec
				for b.Loop() {
					SGDMomentum(p, g, buf, 0, 0.9, 1, -1e-6)
				}
			})
		}
	}
}
