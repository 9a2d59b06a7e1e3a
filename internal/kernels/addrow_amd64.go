//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// addRowAVX512 adds the n floats at src to the n floats at dst
// (addrow_amd64.s).
//
//go:noescape
func addRowAVX512(dst, src *float32, n int)

// addRowVector reports whether addRow may use addRowAVX512.
var addRowVector = cpu.X86.HasAVX512F

// addRow sets dst[i] += src[i] for i < len(dst) (src may be longer). Each
// element is one float32 addition, dst's value first, on either path, so
// the result is the same bit for bit.
func addRow(dst, src []float32) {
	n := len(dst)
	if !addRowVector || n < 8 {
		addRowGo(dst, src)
		return
	}
	_ = src[n-1]
	addRowAVX512(&dst[0], &src[0], n)
}
