package kernels

import "math"

// Fast float32 exponential, sigmoid and SiLU for the inference engine.
//
// Exp32 reduces x = n·ln2 + r with n = round(x·log2 e) (ln2 split into a
// short high part, exact when multiplied by n, and a correction), so that
// |r| ≤ ln2/2, evaluates e^r by the degree-6 minimax polynomial of Cephes'
// expf and scales by 2ⁿ through the exponent bits. Over the inputs where
// e^x is a normal float32 (−87.3 ≤ x ≤ 88), its error measured against
// math.Exp on float64, over every 61st float32 of that range and 10⁶
// pseudo-random points, is below 1 ulp (0.98 ulp at worst; TestExp32
// checks the 1 ulp bound).
// Below the range it returns e^−87.3 (a tiny normal value, not a denormal
// or 0) and above it e^88 (not +Inf); NaN gives NaN.
//
// Sigmoid32 and SiLU32 built on it, σ(v) = 1/(1+e^−v) and v·σ(v), are
// within 3 ulp (relative 3·2⁻²³ ≈ 3.6e-7; 2.3 ulp measured at worst) of the
// float64 formulas that package ops uses, for |v| ≤ 80
// (TestSigmoidSiLU32). Their results do not
// depend on how a slice is split between goroutines.

const (
	exp32Lo    = -87.33654 // e^lo is about the least normal float32
	exp32Hi    = 88.0      // 2^round(hi·log2 e) = 2¹²⁷ is the largest power of 2 below +Inf
	exp32Log2e = 1.44269504088896341
	exp32C1    = 0.693359375 // ln2 rounded to 11 bits: n·C1 is exact
	exp32C2    = -2.12194440e-4
	exp32Round = 12582912 // 1.5·2²³: adding it rounds to an integer
	exp32P0    = 1.9875691500e-4
	exp32P1    = 1.3981999507e-3
	exp32P2    = 8.3334519073e-3
	exp32P3    = 4.1665795894e-2
	exp32P4    = 1.6666665459e-1
	exp32P5    = 5.0000001201e-1
	exp32Bias  = 127
	exp32Shift = 23
)

// Exp32 returns an approximation of e^x in float32 arithmetic (see the
// comment above for its error and range).
func Exp32(x float32) float32 {
	if x < exp32Lo {
		x = exp32Lo
	}
	if x > exp32Hi {
		x = exp32Hi
	}
	t := x*exp32Log2e + exp32Round
	n := t - exp32Round // round(x·log2 e), ties to even
	r := x - n*exp32C1
	r -= n * exp32C2
	p := float32(exp32P0)
	p = p*r + exp32P1
	p = p*r + exp32P2
	p = p*r + exp32P3
	p = p*r + exp32P4
	p = p*r + exp32P5
	p = p*(r*r) + r + 1
	scale := math.Float32frombits(uint32(int32(n)+exp32Bias) << exp32Shift)
	return p * scale
}

// Sigmoid32 returns 1/(1 + e^−v) computed with Exp32.
func Sigmoid32(v float32) float32 { return 1 / (1 + Exp32(-v)) }

// SiLU32 returns v/(1 + e^−v) computed with Exp32.
func SiLU32(v float32) float32 { return v / (1 + Exp32(-v)) }

// EngApplyAct applies a to every element of x in place, as ApplyAct does
// except that SiLU and sigmoid use SiLU32 and Sigmoid32 (float32, within
// 3 ulp of ApplyAct's float64 results) instead of float64 math.Exp.
func EngApplyAct(a Activation, x []float32) {
	switch a.Kind {
	case ActSiLU:
		engSiLU(x)
	case ActSigmoid:
		engSigmoid(x)
	default:
		ApplyAct(a, x)
	}
}

// engSiLUGo applies SiLU32 to x in place.
func engSiLUGo(x []float32) {
	for i, v := range x {
		x[i] = SiLU32(v)
	}
}

// engSigmoidGo applies Sigmoid32 to x in place.
func engSigmoidGo(x []float32) {
	for i, v := range x {
		x[i] = Sigmoid32(v)
	}
}
