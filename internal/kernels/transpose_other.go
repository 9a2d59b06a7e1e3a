//go:build !amd64 || noasm

package kernels

// transposeAsm is false: this build packs with the Go loops only.
var transposeAsm = false

func transposeAVX512(dst *float32, ldd int, src *float32, lds int, rows, cols int) {
	panic("kernels: no assembly in this build")
}

func transposeTabAVX512(dst *float32, ldd int, src *float32, off *int, rows, cols int) {
	panic("kernels: no assembly in this build")
}

func packBRows32AVX512(dst, src *float32, kb, ldb, panels, tail int) {
	panic("kernels: no assembly in this build")
}
