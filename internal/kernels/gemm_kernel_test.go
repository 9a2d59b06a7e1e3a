package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// testKernels returns every micro-kernel this CPU and build can run: the
// assembly ones, fastest first, then the pure-Go reference kernel.
func testKernels() []*gemmKernel {
	return append(asmKernels(), &gemmKernelGo)
}

// withKernel makes Sgemm use kernel k until the test ends.
func withKernel(t testing.TB, k *gemmKernel) {
	old := gemmActive
	gemmActive = k
	t.Cleanup(func() { gemmActive = old })
}

// forEachKernel runs f as a subtest once per available kernel, with that
// kernel in use.
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	for _, k := range testKernels() {
		t.Run(k.name, func(t *testing.T) {
			withKernel(t, k)
			f(t)
		})
	}
}

// TestKernelSelection checks that Sgemm starts with the best kernel the
// build offers: an assembly kernel where the CPU has one (never under the
// noasm tag), the pure-Go kernel otherwise.
func TestKernelSelection(t *testing.T) {
	ks := asmKernels()
	want := &gemmKernelGo
	if len(ks) > 0 {
		want = ks[0]
	}
	if gemmActive != want {
		t.Errorf("active kernel %s, want %s", gemmActive.name, want.name)
	}
	for _, k := range testKernels() {
		if k.mc%k.mr != 0 || gemmNC%k.nr != 0 || k.mr*k.nr > gemmTileMax {
			t.Errorf("%s: bad blocking mr=%d nr=%d mc=%d", k.name, k.mr, k.nr, k.mc)
		}
	}
	t.Logf("using %s; available: %d kernels", GemmKernel(), len(ks)+1)
}

// TestMicroKernels runs each kernel's fn directly on random panels for
// several depths, with beta = 0 over a C full of NaN, beta = ±0 given as -0,
// and a general beta, and compares with the product computed in float64.
// C has a padded row stride whose padding must stay untouched.
func TestMicroKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, k := range testKernels() {
		for _, kc := range []int{1, 2, 3, 4, 5, 7, 8, 9, 63, 256} {
			for _, ab := range [][2]float32{{1, 0}, {0.75, float32(math.Copysign(0, -1))}, {-1.5, 1}, {2, -0.25}} {
				alpha, beta := ab[0], ab[1]
				a := make([]float32, kc*k.mr)
				b := make([]float32, kc*k.nr)
				for i := range a {
					a[i] = float32(rng.NormFloat64())
				}
				for i := range b {
					b[i] = float32(rng.NormFloat64())
				}
				ldc := k.nr + 3
				c := make([]float32, k.mr*ldc)
				for i := range c {
					switch {
					case i%ldc >= k.nr:
						c[i] = gemmSentinel
					case beta == 0:
						c[i] = float32(math.NaN())
					default:
						c[i] = float32(rng.NormFloat64())
					}
				}
				old := append([]float32(nil), c...)
				k.fn(kc, a, b, alpha, c, ldc, beta)
				for i := 0; i < k.mr; i++ {
					for j := 0; j < ldc; j++ {
						got := c[i*ldc+j]
						if j >= k.nr {
							if got != gemmSentinel {
								t.Fatalf("%s kc=%d: wrote C[%d,%d] in the row padding", k.name, kc, i, j)
							}
							continue
						}
						var s, mag float64
						for p := 0; p < kc; p++ {
							x := float64(a[p*k.mr+i]) * float64(b[p*k.nr+j])
							s += x
							mag += math.Abs(x)
						}
						want := float64(alpha) * s
						mag *= math.Abs(float64(alpha))
						if beta != 0 {
							want += float64(beta) * float64(old[i*ldc+j])
							mag += math.Abs(float64(beta) * float64(old[i*ldc+j]))
						}
						tol := float64(kc+4)*0x1p-23*mag + 1e-30
						if math.IsNaN(float64(got)) || math.Abs(float64(got)-want) > tol {
							t.Fatalf("%s kc=%d alpha=%g beta=%g: C[%d,%d] = %g, want %g ± %g", k.name, kc, alpha, beta, i, j, got, want, tol)
						}
					}
				}
			}
		}
	}
}

// TestGemmKernelsAgree runs every available kernel, the assembly ones and
// the pure-Go one, on the same inputs in one binary. Each must match the
// reference loop within rounding (checkGemm), and the kernels must agree
// with each other within the same bound, since they differ only in whether
// the multiply-adds are fused.
func TestGemmKernelsAgree(t *testing.T) {
	ks := testKernels()
	if len(ks) == 1 {
		t.Log("only the pure-Go kernel is available in this build")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []gemmCase{
		{m: 6, n: 784, k: 25, alpha: 1, beta: 0, nanC: true},
		{m: 37, n: 45, k: 300, alpha: 1, beta: 1, pad: 3},
		{transA: true, m: 150, n: 100, k: 16, alpha: 0.5, beta: -2},
		{transB: true, m: 64, n: 120, k: 400, alpha: 1, beta: 0},
		{transA: true, transB: true, m: 29, n: 70, k: 513, alpha: -1, beta: 0.5, pad: 1},
	} {
		o := newGemmOperands(tc, rng)
		var ref []float32
		for _, k := range ks {
			func() {
				old := gemmActive
				defer func() { gemmActive = old }()
				gemmActive = k
				for _, th := range []int{1, 2} {
					SetThreads(th)
					got := runGemm(tc, o, false)
					checkGemm(t, tc, o, got)
					if ref == nil {
						ref = got
						continue
					}
					eps := float64(2*tc.k+8) * 0x1p-23
					for i := 0; i < tc.m; i++ {
						for j := 0; j < tc.n; j++ {
							g, r := float64(got[i*o.ldc+j]), float64(ref[i*o.ldc+j])
							if math.Abs(g-r) > eps*(math.Abs(r)+float64(tc.k)) {
								t.Fatalf("%v: %s vs %s: C[%d,%d] = %g vs %g", tc, k.name, ks[0].name, i, j, g, r)
							}
						}
					}
				}
			}()
		}
	}
	SetThreads(0)
}

// TestSgemmEdgeTilesBitIdentical checks that a tile computed through the
// staging buffer (an edge tile) rounds exactly as one updated in place: the
// rows and columns shared by an exact multiple of the tile and a slightly
// smaller C must be bit-identical, for beta = 0 and beta ≠ 0.
func TestSgemmEdgeTilesBitIdentical(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		withThreads(t, 1)
		k := gemmActive
		rng := rand.New(rand.NewPCG(13, 14))
		for _, beta := range []float32{0, 0.7} {
			full := gemmCase{m: 2 * k.mr, n: 2 * k.nr, k: 37, alpha: 1.25, beta: beta}
			o := newGemmOperands(full, rng)
			want := runGemm(full, o, true)
			// The same A rows, B columns and C, one row and one column fewer.
			m, n := full.m-1, full.n-1
			c := append([]float32(nil), o.c...)
			SgemmSerial(false, false, m, n, full.k, full.alpha, o.a, o.lda, o.b, o.ldb, beta, c, o.ldc)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					if math.Float32bits(c[i*o.ldc+j]) != math.Float32bits(want[i*o.ldc+j]) {
						t.Fatalf("beta=%g: C[%d,%d] = %g through the edge path, %g in place", beta, i, j, c[i*o.ldc+j], want[i*o.ldc+j])
					}
				}
			}
		}
	})
}
