//go:build !amd64 || noasm

package kernels

// engElemAsm is false: this build has only the reference loops.
var engElemAsm = false

func planeMeansAVX512(x *float32, hw int, y *float32, planes int) {
	panic("kernels: no plane-mean kernel")
}

func planeOpAVX512(x, s, y *float32, hw, planes int, add bool) {
	panic("kernels: no per-plane kernel")
}

func elemOpAVX512(a, b, y *float32, n int, add bool) {
	panic("kernels: no element-wise kernel")
}
