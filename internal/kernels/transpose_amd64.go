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

// transposeTabAVX512 is transposeAVX512 with row i of the block at
// src + off[i] elements (transpose_amd64.s): dst[j*ldd+i] =
// src[off[i]+j].
//
//go:noescape
func transposeTabAVX512(dst *float32, ldd int, src *float32, off *int, rows, cols int)

// transposeAsm reports whether packing uses transposeAVX512; tests may turn
// it off while no SGEMM runs.
var transposeAsm = cpu.X86.HasAVX512F

// packBRows32AVX512 packs the kb×(32·panels+tail) block of a row-major B
// (row stride ldb) into 32-column panels, the last one (when tail > 0)
// zero-padded, as packB lays them out (transpose_amd64.s).
//
//go:noescape
func packBRows32AVX512(dst, src *float32, kb, ldb, panels, tail int)
