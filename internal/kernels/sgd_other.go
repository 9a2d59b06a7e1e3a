//go:build !amd64 || noasm

package kernels

// sgdVector is false: this build has only the reference loops.
var sgdVector = false

func sgdMomentumAVX512(p, grad, buf *float32, n int, wd, mom, damp, negLR float32) {
	panic("kernels: no SGD kernel")
}

func addScaledAVX512(p, grad *float32, n int, a float32) {
	panic("kernels: no AddScaled kernel")
}
