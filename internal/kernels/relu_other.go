//go:build !amd64 || noasm

package kernels

// reluVector is false: this build has only the reference loops.
var reluVector = false

func reluAVX512(dst, src *float32, n int) { panic("kernels: no ReLU kernel") }

func reluBackwardAVX512(y, grad, dx *float32, n int) { panic("kernels: no ReLU kernel") }
