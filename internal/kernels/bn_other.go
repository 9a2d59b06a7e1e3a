//go:build !amd64 || noasm

package kernels

// bnAsm is false: this build has only the Go loops.
var bnAsm = false

func bnSumAVX512(p *BNPartials, x *float32, n int)                    { panic("no asm") }
func bnSumSqDevAVX512(p *BNPartials, x *float32, n int, mean float64) { panic("no asm") }
func bnBackwardSumsAVX512(sum, dot *BNPartials, dy, x *float32, n int, mean float64) {
	panic("no asm")
}
func bnBackwardSumsReLUAVX512(sum, dot *BNPartials, dy, x *float32, n int, mean float64, a, b float32) {
	panic("no asm")
}
func bnBackwardDxReLUAVX512(dx, dy, x *float32, n int, mean, gm, proj, scale float64, set bool, a, b float32) {
	panic("no asm")
}
func bnAffineAVX512(dst, x *float32, n int, a, b float32, res *float32, act int) { panic("no asm") }
func bnBackwardDxAVX512(dx, dy, x *float32, n int, mean, gm, proj, scale float64, set bool) {
	panic("no asm")
}
