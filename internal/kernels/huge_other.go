//go:build !linux

package kernels

import "unsafe"

// hugeAdvise is false where there is no madvise: MakeFloats allocates
// plainly.
var hugeAdvise = false

// adviseHuge does nothing outside Linux.
func adviseHuge(p unsafe.Pointer, n int) {}
