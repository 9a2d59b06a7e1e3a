package kernels

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugeAdvise reports whether MakeFloats asks for huge pages. Tests may
// turn it off.
var hugeAdvise = true

// adviseHuge asks Linux to back the n bytes at p, a huge-page-aligned
// range, with transparent huge pages. Failure (a kernel without THP, or
// THP turned off) only loses the speed-up, so it is ignored.
func adviseHuge(p unsafe.Pointer, n int) {
	if n <= 0 {
		return
	}
	_ = unix.Madvise(unsafe.Slice((*byte)(p), n), unix.MADV_HUGEPAGE)
}
