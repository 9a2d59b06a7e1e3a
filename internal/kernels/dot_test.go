package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSgemmNT checks SgemmNT against a float64 reference loop, with and
// without the dot-product kernel, for sizes with partial 4×4 blocks, k
// with and without a partial 16-column step, and padded row strides.
func TestSgemmNT(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	defer func(old bool) { dotKernel = old }(dotKernel)
	for _, s := range [][3]int{{1, 1, 1}, {4, 4, 16}, {6, 25, 784}, {16, 150, 100}, {5, 7, 33}, {3, 2, 15}, {9, 13, 64}, {24, 33, 70}, {37, 300, 129}, {64, 17, 300}} {
		m, n, k := s[0], s[1], s[2]
		lda, ldb, ldc := k+3, k+1, n+2
		a := make([]float32, (m-1)*lda+k)
		b := make([]float32, (n-1)*ldb+k)
		c0 := make([]float32, (m-1)*ldc+n)
		for _, x := range [][]float32{a, b, c0} {
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
		}
		want := append([]float32(nil), c0...)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var sum float64
				for p := 0; p < k; p++ {
					sum += float64(a[i*lda+p]) * float64(b[j*ldb+p])
				}
				want[i*ldc+j] += float32(sum)
			}
		}
		for _, kern := range []bool{true, false} {
			if kern && !hasDotKernel() {
				continue
			}
			t.Run(fmt.Sprintf("%dx%dx%d/kernel=%v", m, n, k, kern), func(t *testing.T) {
				dotKernel = kern
				got := append([]float32(nil), c0...)
				SgemmNT(m, n, k, a, lda, b, ldb, got, ldc)
				tol := 1e-5 * float64(k)
				for i := range got {
					if d := math.Abs(float64(got[i] - want[i])); d > tol {
						t.Fatalf("C[%d] = %g, want %g", i, got[i], want[i])
					}
				}
			})
		}
	}
}

// BenchmarkSgemmNT times the weight-gradient products of LeNet-5's
// convolutions for one image, dW [Cout, C·KH·KW] += dY · colᵀ, on SgemmNT
// (impl=nt) and on the packed SGEMM computing dWᵀ = col · dYᵀ (impl=packed,
// the orientation with the cheaper packing).
func BenchmarkSgemmNT(b *testing.B) {
	for _, s := range []struct {
		name         string
		og, ckk, ohw int
	}{{"lenet-conv1", 6, 25, 784}, {"lenet-conv2", 16, 150, 100}} {
		col := make([]float32, s.ckk*s.ohw)
		dy := make([]float32, s.og*s.ohw)
		for i := range col {
			col[i] = float32(i%7) - 3
		}
		for i := range dy {
			dy[i] = float32(i%5) - 2
		}
		dw := make([]float32, s.og*s.ckk)
		b.Run("layer="+s.name+"/impl=nt", func(b *testing.B) {
			for b.Loop() {
				SgemmNT(s.og, s.ckk, s.ohw, dy, s.ohw, col, s.ohw, dw, s.ckk)
			}
		})
		b.Run("layer="+s.name+"/impl=packed", func(b *testing.B) {
			for b.Loop() {
				SgemmSerial(false, true, s.ckk, s.og, s.ohw, 1, col, s.ohw, dy, s.ohw, 1, dw, s.og)
			}
		})
	}
}
