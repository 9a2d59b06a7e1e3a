package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestTransposeAVX512 checks the block transpose against its definition
// for every block shape up to 16×16, and that it touches nothing else.
func TestTransposeAVX512(t *testing.T) {
	if !transposeAsm {
		t.Skip("no AVX-512 transpose on this CPU or build")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	const lds, ldd = 21, 19
	src := randSlice(rng, 17*lds)
	for rows := 1; rows <= 16; rows++ {
		for cols := 1; cols <= 16; cols++ {
			dst := make([]float32, 17*ldd)
			for i := range dst {
				dst[i] = -99
			}
			transposeAVX512(&dst[0], ldd, &src[0], lds, rows, cols)
			for j := 0; j < 17; j++ {
				for i := 0; i < ldd; i++ {
					want := float32(-99)
					if j < cols && i < rows {
						want = src[i*lds+j]
					}
					if got := dst[j*ldd+i]; got != want {
						t.Fatalf("%dx%d: dst[%d][%d] = %v, want %v", rows, cols, j, i, got, want)
					}
				}
			}
		}
	}
}

// TestTransposeTabAVX512 checks the table-driven block transpose against
// its definition for every block shape up to 16×16, rows at random
// offsets, and that it touches nothing else.
func TestTransposeTabAVX512(t *testing.T) {
	if !transposeAsm {
		t.Skip("no AVX-512 transpose on this CPU or build")
	}
	rng := rand.New(rand.NewPCG(17, 18))
	const ldd = 19
	src := randSlice(rng, 300)
	off := make([]int, 16)
	for rows := 1; rows <= 16; rows++ {
		for cols := 1; cols <= 16; cols++ {
			for i := range off {
				off[i] = rng.IntN(len(src) - 16)
			}
			dst := make([]float32, 17*ldd)
			for i := range dst {
				dst[i] = -99
			}
			transposeTabAVX512(&dst[0], ldd, &src[0], &off[0], rows, cols)
			for j := 0; j < 17; j++ {
				for i := 0; i < ldd; i++ {
					want := float32(-99)
					if j < cols && i < rows {
						want = src[off[i]+j]
					}
					if got := dst[j*ldd+i]; got != want {
						t.Fatalf("%dx%d: dst[%d][%d] = %v, want %v", rows, cols, j, i, got, want)
					}
				}
			}
		}
	}
}

// TestPackTransposeMatchesGo checks that packA (non-transposed A, mr = 12 and 8)
// and packB (both ways, nr = 32) give the same panels with the AVX-512
// kernels as with the Go loops, for edge sizes of m, n and k.
func TestPackTransposeMatchesGo(t *testing.T) {
	if !transposeAsm {
		t.Skip("no AVX-512 transpose on this CPU or build")
	}
	rng := rand.New(rand.NewPCG(15, 16))
	for _, mn := range []int{1, 11, 12, 13, 31, 32, 33, 50} {
		for _, k := range []int{1, 7, 15, 16, 17, 33, 256} {
			ld := k + 3
			src := randSlice(rng, mn*ld)
			pa := func() []float32 {
				dst := randSlice(rng, roundUp(mn, 12)*k)
				packA(false, src, ld, mn, k, 12, dst)
				dst8 := randSlice(rng, roundUp(mn, 8)*k)
				packA(false, src, ld, mn, k, 8, dst8)
				return append(dst, dst8...)
			}
			pb := func() []float32 {
				dst := randSlice(rng, roundUp(mn, 32)*k)
				packB(true, src, ld, k, mn, 32, dst)
				return dst
			}
			// Non-transposed B: k rows of mn columns, row stride mn+5.
			srcN := randSlice(rng, k*(mn+5))
			pn := func() []float32 {
				dst := randSlice(rng, roundUp(mn, 32)*k)
				packB(false, srcN, mn+5, k, mn, 32, dst)
				return dst
			}
			gotA, gotB, gotN := pa(), pb(), pn()
			transposeAsm = false
			wantA, wantB, wantN := pa(), pb(), pn()
			transposeAsm = true
			if i := sameBits(gotN, wantN); i >= 0 {
				t.Fatalf("packB (not transposed) n=%d k=%d: [%d] = %v, want %v", mn, k, i, gotN[i], wantN[i])
			}
			if i := sameBits(gotA, wantA); i >= 0 {
				t.Fatalf("packA m=%d k=%d: [%d] = %v, want %v", mn, k, i, gotA[i], wantA[i])
			}
			if i := sameBits(gotB, wantB); i >= 0 {
				t.Fatalf("packB n=%d k=%d: [%d] = %v, want %v", mn, k, i, gotB[i], wantB[i])
			}
		}
	}
}
