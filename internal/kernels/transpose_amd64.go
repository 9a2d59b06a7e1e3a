//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// transposeAVX512 writes the transpose of the rows×cols block at src (row
// stride lds elements) to dst (row stride ldd): dst[j*ldd+i] = src[i*lds+j]
// for i < rows ≤ 16, j < cols ≤ 16 (transpose_amd64.s). Nothing outside
// those elements is read or written.
//
//go:noescape
func transposeAVX512(dst *float32, ldd int, src *float32, lds int, rows, cols int)

// transposeAsm reports whether packing uses transposeAVX512; tests may turn
// it off while no SGEMM runs.
var transposeAsm = cpu.X86.HasAVX512F
