package kernels

import (
	"testing"
	"unsafe"
)

func TestMakeFloats(t *testing.T) {
	for _, n := range []int{0, 1, 1000, hugeMin/4 - 1, hugeMin / 4, hugePage/4 + 3, 3 * hugePage / 4} {
		f := MakeFloats(n)
		if len(f) != n || cap(f) != n {
			t.Fatalf("MakeFloats(%d): len %d cap %d", n, len(f), cap(f))
		}
		for i, v := range f {
			if v != 0 {
				t.Fatalf("MakeFloats(%d)[%d] = %v, want 0", n, i, v)
			}
		}
		if n*4 >= hugeMin && hugeAdvise {
			if a := uintptr(unsafe.Pointer(&f[0])); a%hugePage != 0 {
				t.Errorf("MakeFloats(%d) at %#x, not on a huge-page boundary", n, a)
			}
		}
		for i := range f {
			f[i] = float32(i)
		}
	}
}

func TestSlab(t *testing.T) {
	var s Slab
	sizes := []int{1, 15, 16, 17, 1000, slabChunk / 4, slabChunk/4 + 1, 3, slabChunk / 2, slabChunk / 3, 7}
	var got [][]float32
	for i, n := range sizes {
		f := s.Make(n)
		if len(f) != n || cap(f) != n {
			t.Fatalf("Make(%d): len %d cap %d", n, len(f), cap(f))
		}
		if a := uintptr(unsafe.Pointer(&f[0])); a%64 != 0 {
			t.Errorf("Make(%d) at %#x, not 64-byte aligned", n, a)
		}
		for j := range f {
			if f[j] != 0 {
				t.Fatalf("Make(%d)[%d] = %v, want 0", n, j, f[j])
			}
			f[j] = float32(i + 1)
		}
		got = append(got, f)
	}
	// Every slice still holds its own values: none overlaps another.
	for i, f := range got {
		for j, v := range f {
			if v != float32(i+1) {
				t.Fatalf("slice %d (%d values) [%d] = %v after the later ones were written, want %d", i, len(f), j, v, i+1)
			}
		}
	}
	var nilSlab *Slab
	if f := nilSlab.Make(5); len(f) != 5 {
		t.Fatalf("nil Slab: Make(5) has length %d", len(f))
	}
}
