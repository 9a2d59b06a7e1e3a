package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// withTabAsm runs f with tabAsm set to on (where the build has it), then
// restores it.
func withTabAsm(t *testing.T, on bool, f func(t *testing.T)) {
	old := tabAsm
	tabAsm = on && old
	defer func() { tabAsm = old }()
	t.Run(fmt.Sprintf("tabAsm=%v", tabAsm), f)
}

// TestGemmPackedTab checks GemmPackedTab on rows of B scattered through a
// buffer against GemmPacked on the same rows gathered into a matrix: the
// same bits, with beta 0 and 1, with and without the table kernels, whole
// and split into tile-aligned ranges.
func TestGemmPackedTab(t *testing.T) {
	for _, on := range []bool{true, false} {
		withTabAsm(t, on, testGemmPackedTab)
	}
}

func testGemmPackedTab(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	ms := []int{1, 3, 7, 8, 15, 16, 17, 24, 31, 33, 64, 65, 96, 100, 127}
	ns := []int{1, 3, 16, 17, 31, 33, 65, 257, 1100}
	ks := []int{1, 3, 7, 16, 17, 144, 257, 600}
	for i, m := range ms {
		n, k := ns[(i*5)%len(ns)], ks[(i*3)%len(ks)]
		for _, sz := range [][3]int{{m, n, k}, {m, ns[(i+4)%len(ns)], ks[(i+5)%len(ks)]}} {
			for _, w := range []int{0, 16, 32, 5, 8, 20} {
				testGemmPackedTabCase(t, rng, fill, sz[0], sz[1], sz[2], w)
			}
		}
	}
}

// testGemmPackedTabCase runs one product of TestGemmPackedTab: m×n×k, B's
// columns at tabColumn(j, w).
func testGemmPackedTabCase(t *testing.T, rng *rand.Rand, fill func(int) []float32, m, n, k, w int) {
	span := tabColumn(n-1, w) + 1 // the extent of a row of B in buf
	buf := fill(span + 3*k + 50)
	off := make([]int, k)
	bm := make([]float32, k*n) // the rows gathered
	for p := range off {
		off[p] = rng.IntN(len(buf) - span + 1)
		for j := 0; j < n; j++ {
			bm[p*n+j] = buf[off[p]+tabColumn(j, w)]
		}
	}
	a := fill(m * k)
	pa := PackA(nil, m, k, a, k)
	for _, beta := range []int{0, 1} {
		c0 := fill(m * n)
		want := append([]float32(nil), c0...)
		got := append([]float32(nil), c0...)
		if beta == 0 {
			GemmPacked(pa, false, n, bm, n, want, n, nil, 0, m, 0, n, NewGemmScratch(n))
		} else {
			// Each block of prepackKC steps is summed on its own and
			// added to C, as the kernels do.
			for pc := 0; pc < k; pc += prepackKC {
				kb := min(prepackKC, k-pc)
				prod := make([]float32, m*n)
				pb := PackA(nil, m, kb, a[pc:], k)
				GemmPacked(pb, false, n, bm[pc*n:], n, prod, n, nil, 0, m, 0, n, NewGemmScratch(n))
				for i := range want {
					want[i] = prod[i] + want[i]
				}
			}
		}
		GemmPackedTab(pa, n, buf, off, w, got, n, beta, 0, m, 0, n, NewGemmScratch(n))
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("%dx%dx%d w %d beta %d: C[%d] = %v, want %v", m, n, k, w, beta, i, got[i], want[i])
		}
		// Tile-aligned ranges, each on a small workspace.
		split := append([]float32(nil), c0...)
		mr, nr := pa.MR(), pa.NR()
		mcut := []int{0, min(m, roundUp(m/2, mr)), m}
		ncut := []int{0, min(n, roundUp(n/3, nr)), min(n, roundUp(2*n/3, nr)), n}
		ws := NewGemmScratch(nr)
		for x := 0; x < 2; x++ {
			for y := 0; y < 3; y++ {
				GemmPackedTab(pa, n, buf, off, w, split, n, beta, mcut[x], mcut[x+1], ncut[y], ncut[y+1], ws)
			}
		}
		if i := sameBits(split, got); i >= 0 {
			t.Fatalf("%dx%dx%d w %d beta %d split: C[%d] = %v, want %v", m, n, k, w, beta, i, split[i], got[i])
		}
	}
}

// TestTabLayoutConv checks that a 3×3, stride-1, padding-1 convolution
// through a TabLayout (Pad, Offsets, GemmPackedTab, Unpad) gives the bits
// of Im2col followed by SgemmSerial, and that the weight gradient through
// SgemmNTTab gives those of SgemmNT on the unfolded input.
func TestTabLayoutConv(t *testing.T) {
	for _, on := range []bool{true, false} {
		withTabAsm(t, on, testTabLayoutConv)
	}
}

func testTabLayoutConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	for _, s := range [][4]int{{1, 1, 1, 1}, {3, 5, 7, 4}, {5, 9, 2, 13}, {2, 1, 40, 3}, {16, 32, 32, 16}, {32, 16, 16, 32}, {64, 8, 8, 64}, {20, 7, 7, 100}} {
		c, h, w, m := s[0], s[1], s[2], s[3]
		l := TabLayout{C: c, H: h, W: w}
		g := &ConvGeom{C: c, H: h, W: w, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, DH: 1, DW: 1, OH: h, OW: w}
		img, wt := fill(c*h*w), fill(m*c*9)
		col := make([]float32, c*9*h*w)
		Im2col(g, img, col)
		want := make([]float32, m*h*w)
		SgemmSerial(false, false, m, h*w, c*9, 1, wt, c*9, col, h*w, 0, want, h*w)

		pad := fill(l.Len()) // stale data must not matter
		l.Pad(img, pad)
		off := l.Offsets()
		grid := fill(m * l.Grid())
		GemmPackedTab(PackA(nil, m, c*9, wt, c*9), l.Grid(), pad, off, 0, grid, l.Grid(), 0, 0, m, 0, l.Grid(), NewGemmScratch(l.Grid()))
		got := fill(m * h * w)
		l.Unpad(m, grid, l.Grid(), got, false)
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("%v forward: Y[%d] = %v, want %v", s, i, got[i], want[i])
		}
		// Straight into the image, skipping the grid's extra column.
		direct := fill(m * h * w)
		GemmPackedTab(PackA(nil, m, c*9, wt, c*9), h*w, pad, off, w, direct, h*w, 0, 0, m, 0, h*w, NewGemmScratch(h*w))
		if i := sameBits(direct, want); i >= 0 {
			t.Fatalf("%v forward into the image: Y[%d] = %v, want %v", s, i, direct[i], want[i])
		}
		// Unpad with add.
		l.Unpad(m, grid, l.Grid(), got, true)
		for i := range got {
			if got[i] != want[i]+want[i] {
				t.Fatalf("%v: Unpad add: %v, want %v", s, got[i], 2*want[i])
			}
		}

		// Weight gradient: dY on the grid with zero extra columns (as a
		// padded dY's rows 1..H are) against dY·colᵀ.
		dy := fill(m * h * w)
		dl := TabLayout{C: m, H: h, W: w}
		dpad := make([]float32, dl.Len())
		dl.Pad(dy, dpad)
		gw := fill(m * c * 9)
		wantW := append([]float32(nil), gw...)
		SgemmNT(m, c*9, h*w, dy, h*w, col, h*w, wantW, c*9)
		SgemmNTTab(m, c*9, l.Grid(), dpad[1+dl.Stride():], dl.Plane(), pad, off, gw, c*9)
		for i := range gw {
			if d := gw[i] - wantW[i]; d > 1e-4 || d < -1e-4 {
				t.Fatalf("%v weight gradient [%d] = %v, want %v", s, i, gw[i], wantW[i])
			}
		}
	}
}

// TestTabRows checks tabRows (AVX-512 where the CPU has it) against rowsGo
// for every mode, widths around the 16-lane steps, and strides that leave
// gaps which must stay untouched.
func TestTabRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, w := range []int{1, 2, 7, 15, 16, 17, 31, 32, 33, 48, 56, 57, 112} {
		for mode := rowsCopy; mode <= rowsAdd; mode++ {
			rows, lds, ldd := 1+rng.IntN(5), w+rng.IntN(3), w+1+rng.IntN(3)
			src := make([]float32, (rows-1)*lds+w)
			dst := make([]float32, (rows-1)*ldd+w+1+4)
			for i := range src {
				src[i] = float32(rng.NormFloat64())
			}
			for i := range dst {
				dst[i] = float32(rng.NormFloat64())
			}
			want := append([]float32(nil), dst...)
			rowsGo(want, src, rows, w, ldd, lds, mode)
			tabRows(dst, src, rows, w, ldd, lds, mode)
			if i := sameBits(dst, want); i >= 0 {
				t.Fatalf("w %d mode %d rows %d: dst[%d] = %v, want %v", w, mode, rows, i, dst[i], want[i])
			}
		}
	}
}

// TestSgemmNTTab checks SgemmNTTab, rows of B scattered through a buffer
// at random offsets, against SgemmNT on the same rows gathered into a
// matrix: the same bits on both sides of the dot-product range of m
// (where the packed route gathers and transposes the rows through the
// table in one pass), with the AVX-512 transposes and with the Go loops;
// C's padding columns must keep their values.
func TestSgemmNTTab(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	have := transposeAsm
	defer func() { transposeAsm = have }()
	for _, asm := range []bool{true, false} {
		transposeAsm = asm && have
		for _, m := range []int{1, 5, 23, 24, 32, 33, 64} {
			for _, n := range []int{1, 15, 16, 17, 33, 288} {
				for _, k := range []int{1, 7, 16, 17, 72, 257, 300} {
					buf := randSlice(rng, k+2*n+40)
					off := make([]int, n)
					bm := make([]float32, n*k)
					for j := range off {
						off[j] = rng.IntN(len(buf) - k + 1)
						copy(bm[j*k:(j+1)*k], buf[off[j]:])
					}
					lda, ldc := k+3, n+2
					a := randSlice(rng, m*lda)
					c0 := randSlice(rng, m*ldc)
					want := append([]float32(nil), c0...)
					got := append([]float32(nil), c0...)
					SgemmNT(m, n, k, a, lda, bm, k, want, ldc)
					SgemmNTTab(m, n, k, a, lda, buf, off, got, ldc)
					if m*n*k <= gemmSmall || !dotKernel {
						// SgemmNT's loop for tiny products, and its
						// route without the dot-product kernel, sum in
						// another order.
						for i := range got {
							if d := got[i] - want[i]; d > 1e-4 || d < -1e-4 {
								t.Fatalf("asm %v, %dx%dx%d: C[%d] = %v, want %v", transposeAsm, m, n, k, i, got[i], want[i])
							}
						}
						continue
					}
					if i := sameBits(got, want); i >= 0 {
						t.Fatalf("asm %v, %dx%dx%d: C[%d] = %v, want %v", transposeAsm, m, n, k, i, got[i], want[i])
					}
				}
			}
		}
	}
}
