//go:build !amd64 || noasm

package kernels

// tapAsm is false: TabWeightGrad runs the Go loops, and TabWeightGradOK
// turns the route down.
var tapAsm = false

func tapGrad9x32AVX512(k int, dt *float32, x *float32, r int, gt *float32, ldg int) {
	panic("kernels: no assembly in this build")
}

func tapGrad18x16AVX512(k int, dt *float32, x *float32, r, plane int, gt *float32, ldg int) {
	panic("kernels: no assembly in this build")
}

func tapGrad25x16AVX512(k int, dt *float32, x *float32, w int, gt *float32, ldg int) {
	panic("kernels: no assembly in this build")
}

func tapFwd8x32AVX512(cin int, wt *float32, ldw int, x *float32, r, plane int, out *float32) {
	panic("kernels: no assembly in this build")
}

func tapFwd16x16AVX512(cin int, wt *float32, ldw int, x *float32, r, plane int, out *float32) {
	panic("kernels: no assembly in this build")
}
