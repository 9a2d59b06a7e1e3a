//go:build !noasm

package kernels

import (
	"testing"
	"unsafe"
)

// TestDwAsmArgsLayout checks the field offsets of dwAsmArgs against the
// A_* constants of depthwise_amd64.s.
func TestDwAsmArgsLayout(t *testing.T) {
	var a dwAsmArgs
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"dst", unsafe.Offsetof(a.dst), 0},
		{"src", unsafe.Offsetof(a.src), 8},
		{"w", unsafe.Offsetof(a.w), 16},
		{"res", unsafe.Offsetof(a.res), 24},
		{"mask", unsafe.Offsetof(a.mask), 32},
		{"nvec", unsafe.Offsetof(a.nvec), 40},
		{"rows", unsafe.Offsetof(a.rows), 48},
		{"kw", unsafe.Offsetof(a.kw), 56},
		{"rowStride", unsafe.Offsetof(a.rowStride), 64},
		{"colStep", unsafe.Offsetof(a.colStep), 72},
		{"nrows", unsafe.Offsetof(a.nrows), 80},
		{"dstStride", unsafe.Offsetof(a.dstStride), 88},
		{"srcStride", unsafe.Offsetof(a.srcStride), 96},
		{"resStride", unsafe.Offsetof(a.resStride), 104},
		{"srcOff", unsafe.Offsetof(a.srcOff), 112},
		{"vstride", unsafe.Offsetof(a.vstride), 120},
		{"srcVec", unsafe.Offsetof(a.srcVec), 128},
		{"bias", unsafe.Offsetof(a.bias), 136},
		{"lo", unsafe.Offsetof(a.lo), 140},
		{"hi", unsafe.Offsetof(a.hi), 144},
		{"v", unsafe.Offsetof(a.v), 152},
		{"grpDst", unsafe.Offsetof(a.grpDst), 160},
		{"grpSrc", unsafe.Offsetof(a.grpSrc), 168},
		{"grpRes", unsafe.Offsetof(a.grpRes), 176},
	} {
		if f.got != f.want {
			t.Errorf("dwAsmArgs.%s at offset %d, depthwise_amd64.s reads %d", f.name, f.got, f.want)
		}
	}
}
