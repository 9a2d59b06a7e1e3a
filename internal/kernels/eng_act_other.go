//go:build !amd64 || noasm

package kernels

// engSiLU applies SiLU32 to x in place.
func engSiLU(x []float32) { engSiLUGo(x) }

// engSigmoid applies Sigmoid32 to x in place.
func engSigmoid(x []float32) { engSigmoidGo(x) }

// engActAsm reports whether an assembly kernel runs SiLU and sigmoid: never
// in this build.
var engActAsm = false
