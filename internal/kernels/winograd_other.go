//go:build !amd64 || noasm

package kernels

// winoVector is false: this build has only the reference loops.
var winoVector = false

func winoInAVX512(x *float32, w int, v *float32, vStride int, segs *winoInSeg, nseg int, r *float32) {
	panic("kernels: no Winograd input kernel")
}

func winoOutAVX512(m *float32, mStride, nt int, y, res *float32, ow int, bias float32, relu bool, segs *winoOutSeg, nseg int, t *float32) {
	panic("kernels: no Winograd output kernel")
}

func winoWeightsPanelAVX512(w *float32, ldo, n int, dst *float32, step, plane, rows, mr int) {
	panic("kernels: no Winograd weight kernel")
}
