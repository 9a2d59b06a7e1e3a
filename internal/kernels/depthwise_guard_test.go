//go:build linux

package kernels

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// guardedFloats returns n float32s that end exactly where an inaccessible
// page begins, so that any read or write past the end faults; free unmaps
// them.
func guardedFloats(t *testing.T, n int) (s []float32, free func()) {
	page := syscall.Getpagesize()
	if 4*n > page {
		t.Fatalf("guardedFloats: %d floats do not fit in a page", n)
	}
	mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skip("mmap:", err)
	}
	if err := syscall.Mprotect(mem[page:], syscall.PROT_NONE); err != nil {
		t.Skip("mprotect:", err)
	}
	s = unsafe.Slice((*float32)(unsafe.Pointer(&mem[page-4*n])), n)
	return s, func() { _ = syscall.Munmap(mem) }
}

// TestDwRowKernelsGuardPage runs every assembly row kernel on rows whose
// last tap and last output are the last floats before an inaccessible
// page: the masked tails must not touch the page.
func TestDwRowKernelsGuardPage(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for name, k := range dwRowKernels() {
		for _, s := range []int{1, 2} {
			for n := 1; n <= 100; n++ {
				kw, nrows := 1+n%3, 1+n%2
				rowStride := (n-1)*s + kw + 1
				srcStride := 2 * rowStride
				srcLen := (nrows-1)*srcStride + rowStride + (kw - 1) + (n-1)*s + 1
				src, freeSrc := guardedFloats(t, srcLen)
				dst, freeDst := guardedFloats(t, nrows*n)
				copy(src, randSlice(rng, srcLen))
				w := randSlice(rng, 2*kw)
				want := make([]float32, nrows*n)
				dwRowsGo(want, src, w, n, 2, kw, rowStride, 1, s, nrows, n, srcStride, 0.5)
				k(dst, src, w, n, 2, kw, rowStride, 1, s, nrows, n, srcStride, 0.5)
				for i := range want {
					if d := dst[i] - want[i]; d > 1e-4 || d < -1e-4 {
						t.Fatalf("%s s%d n%d: dst[%d] = %g, want %g", name, s, n, i, dst[i], want[i])
					}
				}
				freeSrc()
				freeDst()
			}
		}
	}
}
