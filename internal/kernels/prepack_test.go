package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmPackedMatchesReference checks GemmPacked with every epilogue part
// against a float64 reference loop, and that splitting rows and columns into
// tile-aligned ranges gives bit-identical results.
func TestGemmPackedMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	// One slab for all the cases: later panels sit right after earlier
	// ones, as in an engine.
	slab := &Slab{}
	for _, sz := range [][3]int{{1, 1, 1}, {5, 7, 3}, {13, 33, 300}, {64, 49, 576}, {40, 2100, 27}, {100, 70, 513}} {
		for _, transB := range []bool{false, true} {
			m, n, k := sz[0], sz[1], sz[2]
			t.Run(fmt.Sprintf("%dx%dx%d/transB=%v", m, n, k, transB), func(t *testing.T) {
				a, b := fill(m*k), fill(k*n)
				ldb := n
				if transB {
					ldb = k
				}
				bias, res := fill(m), fill(m*n)
				ep := &Epilogue{Bias: bias, Residual: res, ResLd: n, Act: Activation{Kind: ActReLU6}}
				p := PackA(slab, m, k, a, k)
				c := make([]float32, m*n)
				GemmPacked(p, transB, n, b, ldb, c, n, ep, 0, m, 0, n, NewGemmScratch(n))
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						var s float64
						for q := 0; q < k; q++ {
							var bv float32
							if transB {
								bv = b[j*ldb+q]
							} else {
								bv = b[q*ldb+j]
							}
							s += float64(a[i*k+q]) * float64(bv)
						}
						s += float64(bias[i]) + float64(res[i*n+j])
						s = math.Min(math.Max(s, 0), 6)
						if d := math.Abs(s - float64(c[i*n+j])); d > 1e-4*math.Sqrt(float64(k)) {
							t.Fatalf("C[%d][%d] = %g, want %g", i, j, c[i*n+j], s)
						}
					}
				}
				// Split into 3×3 tile-aligned ranges.
				c2 := make([]float32, m*n)
				mr, nr := p.MR(), p.NR()
				ms := []int{0, min(m, roundUp(m/3, mr)), min(m, roundUp(2*m/3, mr)), m}
				ns := []int{0, min(n, roundUp(n/3, nr)), min(n, roundUp(2*n/3, nr)), n}
				ws := NewGemmScratch(nr)
				for i := 0; i < 3; i++ {
					for j := 0; j < 3; j++ {
						GemmPacked(p, transB, n, b, ldb, c2, n, ep, ms[i], ms[i+1], ns[j], ns[j+1], ws)
					}
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(c2[i]) {
						t.Fatalf("split result differs at %d: %g vs %g", i, c2[i], c[i])
					}
				}
			})
		}
	}
}

// TestDepthwiseConvPlanes checks the direct depthwise kernel against a
// reference loop for strides, padding and dilation.
func TestDepthwiseConvPlanes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, g := range []ConvGeom{
		{C: 3, H: 7, W: 9, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, DH: 1, DW: 1},
		{C: 2, H: 8, W: 8, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, DH: 1, DW: 1},
		{C: 2, H: 9, W: 10, KH: 5, KW: 5, SH: 2, SW: 2, PadT: 2, PadL: 2, DH: 1, DW: 1},
		{C: 2, H: 9, W: 10, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 2, PadL: 2, DH: 2, DW: 2},
	} {
		g.OH = (g.H+2*g.PadT-g.DH*(g.KH-1)-1)/g.SH + 1
		g.OW = (g.W+2*g.PadL-g.DW*(g.KW-1)-1)/g.SW + 1
		x := make([]float32, g.C*g.H*g.W)
		w := make([]float32, g.C*g.KH*g.KW)
		bias := make([]float32, g.C)
		for _, s := range [][]float32{x, w, bias} {
			for i := range s {
				s[i] = float32(rng.NormFloat64())
			}
		}
		y := make([]float32, g.C*g.OH*g.OW)
		DepthwiseConvPlanes(&g, x, w, y, &Epilogue{Bias: bias}, 0, g.C)
		for c := 0; c < g.C; c++ {
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					var s float64
					for i := 0; i < g.KH; i++ {
						for j := 0; j < g.KW; j++ {
							iy, ix := oy*g.SH-g.PadT+i*g.DH, ox*g.SW-g.PadL+j*g.DW
							if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
								s += float64(w[(c*g.KH+i)*g.KW+j]) * float64(x[(c*g.H+iy)*g.W+ix])
							}
						}
					}
					s += float64(bias[c])
					if got := y[(c*g.OH+oy)*g.OW+ox]; math.Abs(float64(got)-s) > 1e-5 {
						t.Fatalf("geom %+v: y[%d][%d][%d] = %g, want %g", g, c, oy, ox, got, s)
					}
				}
			}
		}
	}
}

// TestPackAT checks that a product with the transposed weights packed
// once (PackAT, as a convolution's input gradient uses them) gives the
// same bits as Sgemm with transA set, including ragged last row panels.
func TestPackAT(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	for _, sz := range [][3]int{{1, 1, 1}, {7, 33, 3}, {144, 100, 16}, {150, 49, 64}, {576, 64, 300}, {37, 1030, 257}} {
		m, n, k := sz[0], sz[1], sz[2]
		a := fill(k * m) // stored [K, M]
		b := fill(k * n)
		p := PackAT(nil, m, k, a, m)
		got := make([]float32, m*n)
		GemmPacked(p, false, n, b, n, got, n, nil, 0, m, 0, n, NewGemmScratch(n))
		want := make([]float32, m*n)
		SgemmSerial(true, false, m, n, k, 1, a, m, b, n, 0, want, n)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%dx%dx%d: C[%d] = %v with PackAT, %v with Sgemm", m, n, k, i, got[i], want[i])
			}
		}
	}
}

// TestPackAInto checks that packing into caller memory filled with NaN
// gives PackA's panels bit for bit (every element written, the padding
// of ragged row panels included), and PackATInto PackAT's, and that too
// little memory panics.
func TestPackAInto(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 10))
	for _, sz := range [][2]int{{1, 1}, {7, 3}, {13, 300}, {64, 64}, {100, 513}} {
		m, k := sz[0], sz[1]
		a := make([]float32, m*k)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for _, trans := range []bool{false, true} {
			want := PackA(nil, m, k, a, k)
			into := PackAInto
			if trans {
				// a read as [k, m]: the packed operand is its transpose.
				want, into = PackAT(nil, m, k, a, m), PackATInto
			}
			lda := k
			if trans {
				lda = m
			}
			dst := make([]float32, PackedALen(m, k)+5)
			for i := range dst {
				dst[i] = float32(math.NaN())
			}
			got := into(dst, m, k, a, lda)
			if got.M != m || got.K != k || got.MR() != want.MR() || len(got.data) != len(want.data) {
				t.Fatalf("%dx%d transposed %v: packed %dx%d mr %d (%d floats), want mr %d (%d floats)", m, k, trans, got.M, got.K, got.MR(), len(got.data), want.MR(), len(want.data))
			}
			if i := sameBits(got.data, want.data); i >= 0 {
				t.Fatalf("%dx%d transposed %v: packed element %d = %v, want %v", m, k, trans, i, got.data[i], want.data[i])
			}
		}
	}
	for _, into := range []func([]float32, int, int, []float32, int) *PackedA{PackAInto, PackATInto} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("packing into too little memory did not panic")
				}
			}()
			into(make([]float32, PackedALen(5, 5)-1), 5, 5, make([]float32, 25), 5)
		}()
	}
}
