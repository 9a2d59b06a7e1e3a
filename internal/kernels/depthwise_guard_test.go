//go:build linux

package kernels

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// guardedFloats returns n float32s that end exactly where an inaccessible
// page begins (or, with atStart, that start exactly where one ends), so
// that any access past the end (or before the start) faults; free unmaps
// them.
func guardedFloats(t *testing.T, n int, atStart bool) (s []float32, free func()) {
	page := syscall.Getpagesize()
	if 4*n > page {
		t.Fatalf("guardedFloats: %d floats do not fit in a page", n)
	}
	mem, err := syscall.Mmap(-1, 0, 3*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skip("mmap:", err)
	}
	if err := syscall.Mprotect(mem[:page], syscall.PROT_NONE); err != nil {
		t.Skip("mprotect:", err)
	}
	if err := syscall.Mprotect(mem[2*page:], syscall.PROT_NONE); err != nil {
		t.Skip("mprotect:", err)
	}
	off := 2*page - 4*n
	if atStart {
		off = page
	}
	s = unsafe.Slice((*float32)(unsafe.Pointer(&mem[off])), n)
	return s, func() { _ = syscall.Munmap(mem) }
}

// TestDwRowKernelsGuardPage runs every assembly row kernel on rows placed
// against inaccessible pages: the masked loads of the taps in the left and
// right padding and past the row's end, and the masked stores, must not
// touch them.
func TestDwRowKernelsGuardPage(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	scratch := new(dwScratchBuf)
	for name, k := range dwRowKernels() {
		for _, s := range []int{1, 2} {
			for n := 1; n <= 100; n++ {
				for _, atStart := range []bool{false, true} {
					a := dwRowCase(rng, scratch, s, n)
					if len(a.src) > 1024 || len(a.dst) > 1024 {
						continue
					}
					want := a
					want.dst = make([]float32, len(a.dst))
					dwRowsGo(&want)
					src, freeSrc := guardedFloats(t, len(a.src), atStart)
					dst, freeDst := guardedFloats(t, len(a.dst), atStart)
					copy(src, a.src)
					a.src, a.dst = src, dst
					k(&a)
					for i := range want.dst {
						if d := dst[i] - want.dst[i]; d > 1e-4 || d < -1e-4 {
							t.Fatalf("%s s%d n%d: dst[%d] = %g, want %g", name, s, n, i, dst[i], want.dst[i])
						}
					}
					freeSrc()
					freeDst()
				}
			}
		}
	}
}
