package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// gemmCase is one SGEMM call: op(A) is m×k, op(B) is k×n, C is m×n, each
// stored with a row stride padded by pad.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad            int
	nanC           bool // fill C with NaN (only with beta == 0)
}

func (tc gemmCase) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s/%dx%dx%d/a%g,b%g/pad%d/nan%v", t(tc.transA), t(tc.transB), tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.pad, tc.nanC)
}

// gemmOperands holds the stored matrices of a gemmCase. Every slice has a
// guard band of sentinel values after its last element, and C's row padding
// is filled with the sentinel as well, so stray writes are caught.
type gemmOperands struct {
	a, b, c       []float32
	lda, ldb, ldc int
}

const gemmSentinel = float32(-12345.5)

func newGemmOperands(tc gemmCase, rng *rand.Rand) gemmOperands {
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	var o gemmOperands
	o.lda, o.ldb, o.ldc = ac+tc.pad, bc+tc.pad, tc.n+tc.pad
	fill := func(rows, cols, ld int, nan bool) []float32 {
		// Exactly (rows-1)*ld+cols elements: Sgemm must not need more.
		need := max(0, (rows-1)*ld+cols)
		x := make([]float32, need, need+8)
		for i := range x {
			switch {
			case i%ld >= cols:
				x[i] = gemmSentinel
			case nan:
				x[i] = float32(math.NaN())
			default:
				x[i] = float32(rng.NormFloat64())
			}
		}
		guard := x[need : need+8]
		for i := range guard {
			guard[i] = gemmSentinel
		}
		return x
	}
	o.a = fill(ar, ac, o.lda, false)
	o.b = fill(br, bc, o.ldb, false)
	o.c = fill(tc.m, tc.n, o.ldc, tc.nanC)
	return o
}

// checkGemm compares got against the reference loop run on a copy of the
// original C, allowing for the rounding of a k-term float32 sum.
func checkGemm(t *testing.T, tc gemmCase, o gemmOperands, got []float32) {
	t.Helper()
	want := append([]float32(nil), o.c...)
	sgemmRef(tc.transA, tc.transB, 0, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, want, o.ldc)
	for i, g := range got[:cap(got)] {
		if i >= len(got) || i%o.ldc >= tc.n {
			if g != gemmSentinel {
				t.Fatalf("%v: wrote %g outside C at offset %d", tc, g, i)
			}
		}
	}
	eps := float64(tc.k+4) * 0x1p-23
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			// Error bound: eps·(|alpha|·Σ|a||b| + |beta·c|).
			var mag float64
			for p := 0; p < tc.k; p++ {
				var av, bv float32
				if tc.transA {
					av = o.a[p*o.lda+i]
				} else {
					av = o.a[i*o.lda+p]
				}
				if tc.transB {
					bv = o.b[j*o.ldb+p]
				} else {
					bv = o.b[p*o.ldb+j]
				}
				mag += math.Abs(float64(av) * float64(bv))
			}
			mag *= math.Abs(float64(tc.alpha))
			if tc.beta != 0 {
				mag += math.Abs(float64(tc.beta) * float64(o.c[i*o.ldc+j]))
			}
			g, w := got[i*o.ldc+j], want[i*o.ldc+j]
			if math.IsNaN(float64(g)) || math.Abs(float64(g)-float64(w)) > eps*mag+1e-30 {
				t.Fatalf("%v: C[%d,%d] = %g, reference %g (bound %g)", tc, i, j, g, w, eps*mag)
			}
		}
	}
}

// gemmPaths are the entry points every case runs through.
var gemmPaths = []struct {
	name    string
	threads int
	serial  bool
}{
	{"Serial", 0, true},
	{"Sgemm1", 1, false},
	{"Sgemm2", 2, false},
	{"Sgemm3", 3, false},
}

func withThreads(t testing.TB, n int) {
	old := Threads()
	SetThreads(n)
	t.Cleanup(func() { SetThreads(old) })
}

func runGemm(tc gemmCase, o gemmOperands, serial bool) []float32 {
	c := append(make([]float32, 0, cap(o.c)), o.c[:cap(o.c)]...)[:len(o.c)]
	f := Sgemm
	if serial {
		f = SgemmSerial
	}
	f(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, c, o.ldc)
	return c
}

// TestSgemmAgainstReference runs every combination of m, n, k from the list
// below. Small products run all four transpositions × three alpha/beta
// settings on every path; bigger ones run a rotating subset of them, at
// least one per size triple, to keep the reference loop's cost bounded.
func TestSgemmAgainstReference(t *testing.T) {
	forEachKernel(t, testSgemmAgainstReference)
}

func testSgemmAgainstReference(t *testing.T) {
	sizes := []int{1, 3, 7, 15, 16, 17, 31, 33, 65, 127, 257}
	type ab struct {
		alpha, beta float32
		nan         bool
	}
	abs := []ab{{1, 0, true}, {1, 1, false}, {0.5, 2, false}}
	rng := rand.New(rand.NewPCG(1, 2))
	triple, ran := 0, 0
	for _, m := range sizes {
		for _, n := range sizes {
			for _, k := range sizes {
				triple++
				step := min(12, max(1, m*n*k/20000))
				for v := 0; v < 12; v++ {
					if (triple+v)%step != 0 {
						continue
					}
					x := abs[v%3]
					tc := gemmCase{
						transA: v/3%2 == 1, transB: v/6 == 1,
						m: m, n: n, k: k,
						alpha: x.alpha, beta: x.beta, nanC: x.nan,
						pad: (triple + v) % 3 * 2, // 0, 2 or 4
					}
					o := newGemmOperands(tc, rng)
					p := gemmPaths[(triple+v)%len(gemmPaths)]
					if m*n*k <= 40000 {
						// Cheap: every path.
						for _, p := range gemmPaths {
							SetThreads(max(1, p.threads))
							checkGemm(t, tc, o, runGemm(tc, o, p.serial))
						}
					} else {
						SetThreads(max(1, p.threads))
						checkGemm(t, tc, o, runGemm(tc, o, p.serial))
					}
					ran++
				}
			}
		}
	}
	SetThreads(0)
	t.Logf("%d cases", ran)
}

// TestSgemmEdges covers arguments the size sweep does not: k == 0,
// alpha == 0, empty C, n wider than one packed B block.
func TestSgemmEdges(t *testing.T) { forEachKernel(t, testSgemmEdges) }

func testSgemmEdges(t *testing.T) {
	withThreads(t, 2)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []gemmCase{
		{m: 5, n: 2*gemmNC + 37, k: 9, alpha: 1, beta: 0.5},
		{transB: true, m: 3, n: gemmNC + 5, k: 300, alpha: 2, beta: 0, nanC: true},
		{transA: true, m: 2*gemmMC + 3, n: 6, k: 2*gemmKC + 1, alpha: -1, beta: 1},
	} {
		o := newGemmOperands(tc, rng)
		checkGemm(t, tc, o, runGemm(tc, o, false))
		checkGemm(t, tc, o, runGemm(tc, o, true))
	}

	// k == 0 and alpha == 0: C = beta·C, A and B unread (they may be nil).
	c := []float32{1, 2, 3, float32(math.NaN())}
	Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 2, c, 2)
	if c[0] != 2 || c[2] != 6 || !math.IsNaN(float64(c[3])) {
		t.Errorf("k=0, beta=2: got %v", c)
	}
	Sgemm(false, false, 2, 2, 3, 0, nil, 3, nil, 2, 0, c, 2)
	for _, v := range c {
		if v != 0 {
			t.Fatalf("alpha=0, beta=0: got %v, want zeros", c)
		}
	}
	Sgemm(false, false, 0, 5, 5, 1, nil, 5, nil, 5, 0, nil, 5) // empty C: no-op

	// A too short panics with a message rather than reading out of range.
	defer func() {
		if recover() == nil {
			t.Error("short A did not panic")
		}
	}()
	Sgemm(false, false, 4, 4, 4, 1, make([]float32, 15), 4, make([]float32, 16), 4, 0, make([]float32, 16), 4)
}

// TestSgemmDeterministic checks that Sgemm gives bit-identical results for
// 1, 2 and 3 threads and equals SgemmSerial, for shapes split over rows and
// over columns, with several K blocks.
func TestSgemmDeterministic(t *testing.T) { forEachKernel(t, testSgemmDeterministic) }

func testSgemmDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []gemmCase{
		{m: 129, n: 333, k: 600, alpha: 1, beta: 0},
		{transA: true, m: 301, n: 35, k: 513, alpha: 0.5, beta: 2, pad: 1},
		{transB: true, m: 64, n: 120, k: 400, alpha: 1, beta: 0},
		{transA: true, transB: true, m: 150, n: 100, k: 16, alpha: 1, beta: 1},
	} {
		o := newGemmOperands(tc, rng)
		want := runGemm(tc, o, true)
		for _, th := range []int{1, 2, 3} {
			withThreads(t, th)
			got := runGemm(tc, o, false)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%v: %d threads: C[%d] = %g, serial %g", tc, th, i, got[i], want[i])
				}
			}
		}
	}
}

// TestSgemmNoAlloc checks that steady-state single-threaded calls do not
// allocate.
func TestSgemmNoAlloc(t *testing.T) { forEachKernel(t, testSgemmNoAlloc) }

func testSgemmNoAlloc(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	tc := gemmCase{m: 70, n: 90, k: 300, alpha: 1}
	o := newGemmOperands(tc, rng)
	c := make([]float32, len(o.c))
	f := func() { SgemmSerial(false, false, tc.m, tc.n, tc.k, 1, o.a, o.lda, o.b, o.ldb, 0, c, o.ldc) }
	g := func() { Sgemm(false, false, tc.m, tc.n, tc.k, 1, o.a, o.lda, o.b, o.ldb, 0, c, o.ldc) }
	withThreads(t, 1)
	f()
	// A GC between runs may empty the pool; allow for that.
	if n := testing.AllocsPerRun(50, f); n > 0.1 {
		t.Errorf("SgemmSerial allocates %.2f times per call", n)
	}
	if n := testing.AllocsPerRun(50, g); n > 0.1 {
		t.Errorf("Sgemm on one thread allocates %.2f times per call", n)
	}
}

// benchShapes are the SGEMM shapes benchmarked: cubes, and the GEMMs of
// LeNet-5 training at batch 64 (conv as im2col GEMM per image, linear
// layers per batch).
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"64x64x64", false, false, 64, 64, 64},
	{"256x256x256", false, false, 256, 256, 256},
	{"1024x1024x1024", false, false, 1024, 1024, 1024},
	{"6x784x25", false, false, 6, 784, 25},       // conv1 forward: W·col
	{"16x100x150", false, false, 16, 100, 150},   // conv2 forward
	{"64x120x400_NT", false, true, 64, 120, 400}, // fc1 forward: X·Wᵀ
	{"64x84x120_NT", false, true, 64, 84, 120},   // fc2 forward
	{"16x150x100_NT", false, true, 16, 150, 100}, // conv2 dW = dY·colᵀ
	{"150x100x16_TN", true, false, 150, 100, 16}, // conv2 dcol = Wᵀ·dY
	{"6x25x784_NT", false, true, 6, 25, 784},     // conv1 dW
	{"400x120x64_TN", true, false, 400, 120, 64}, // fc1 dW = dYᵀ·X (as stored)
}

// BenchmarkSgemm reports GFLOP/s of Sgemm. The thread count follows -cpu
// (SetThreads(GOMAXPROCS)), so `-cpu 1,2` measures one and two threads.
func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) {
			withThreads(b, runtime.GOMAXPROCS(0))
			rng := rand.New(rand.NewPCG(1, 1))
			tc := gemmCase{transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: 1}
			o := newGemmOperands(tc, rng)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N { // not b.Loop: it makes the arguments escape (allocations)
				Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkSgemmRef is the reference loop on the same shapes, for scale.
func BenchmarkSgemmRef(b *testing.B) {
	for _, s := range benchShapes {
		if s.m*s.n*s.k > 1<<24 {
			continue
		}
		b.Run(s.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			tc := gemmCase{transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: 1}
			o := newGemmOperands(tc, rng)
			for b.Loop() {
				sgemmRef(s.transA, s.transB, 0, s.m, s.n, s.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkMicroKernel measures each micro-kernel alone on cache-resident
// panels (kc = gemmKC), the ceiling for the packed SGEMM. Both panels are
// written before the loop: a panel that was only allocated can still be
// the kernel's shared zero page, on which every load hits the same few
// cache lines: with B unwritten this benchmark gave the AVX-512 kernel
// 194 GFLOP/s, with B written 188 (medians of five, interleaved).
func BenchmarkMicroKernel(b *testing.B) {
	for _, k := range testKernels() {
		b.Run(k.name, func(b *testing.B) {
			a := make([]float32, gemmKC*k.mr)
			p := make([]float32, gemmKC*k.nr)
			c := make([]float32, k.mr*k.nr)
			for i := range a {
				a[i] = 1
			}
			for i := range p {
				p[i] = float32(i%5) - 2
			}
			for b.Loop() {
				k.fn(gemmKC, a, p, 1, c, k.nr, 1)
			}
			b.ReportMetric(2*float64(gemmKC*k.mr*k.nr)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkSgemmKernel runs Sgemm with each available micro-kernel forced,
// on a few of benchShapes, to compare the kernels in one run.
func BenchmarkSgemmKernel(b *testing.B) {
	for _, k := range testKernels() {
		for _, s := range benchShapes {
			switch s.name {
			case "256x256x256", "1024x1024x1024", "16x100x150", "64x120x400_NT":
			default:
				continue
			}
			b.Run(k.name+"/"+s.name, func(b *testing.B) {
				withKernel(b, k)
				withThreads(b, runtime.GOMAXPROCS(0))
				rng := rand.New(rand.NewPCG(1, 1))
				tc := gemmCase{transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: 1}
				o := newGemmOperands(tc, rng)
				b.ResetTimer()
				for range b.N {
					Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestSgemmInPlaceB checks that products of few rows, whose B Sgemm reads
// in place, give the same bits as the packed path, with the sizes of the
// issue's list, padded strides, beta 0 and 1, NaN in C under beta 0, and
// the guard bands intact; on 1 and 2 threads (row and column splits).
func TestSgemmInPlaceB(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	sizes := []int{1, 3, 7, 15, 16, 17, 31, 33, 65, 127, 257}
	for _, th := range []int{1, 2} {
		withThreads(t, th)
		for _, m := range []int{8, 12, 16, 24, 36, 48, 64, 96} {
			for _, n := range sizes {
				for _, k := range []int{1, 16, 17, 257, 300} {
					for _, beta := range []float32{0, 1} {
						tc := gemmCase{transA: (m+n)%2 == 1, m: m, n: n, k: k, alpha: 1, beta: beta, pad: n % 3, nanC: beta == 0 && n%2 == 1}
						o := newGemmOperands(tc, rng)
						got := runGemm(tc, o, false)
						gemmInPlaceB = false
						want := runGemm(tc, o, false)
						gemmInPlaceB = true
						for i := range cap(o.c) {
							g, w := got[:cap(o.c)][i], want[:cap(o.c)][i]
							if math.Float32bits(g) != math.Float32bits(w) {
								t.Fatalf("%d threads, %v: C[%d] = %v in place, %v packed", th, tc, i, g, w)
							}
						}
					}
				}
			}
		}
	}
}
