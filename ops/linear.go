package ops

import (
	"fmt"

	"convnet/internal/kernels"
)

// Linear returns x·weightᵀ + bias for x [..., F], weight [O, F] and bias [O]
// (bias may be nil), giving [..., O]: PyTorch's F.linear. Leading dimensions
// of x are treated as a batch.
func Linear(x, weight, bias *Var) *Var {
	xs, ws := x.Value.Shape(), weight.Value.Shape()
	if len(xs) < 1 || len(ws) != 2 || xs[len(xs)-1] != ws[1] {
		panic(fmt.Sprintf("ops: Linear input %v does not match weight %v (want [..., %d])", xs, ws, safeDim(ws, 1)))
	}
	if bias != nil && (bias.Value.NDim() != 1 || bias.Value.Dim(0) != ws[0]) {
		panic(fmt.Sprintf("ops: Linear bias %v for weight %v", bias.Value.Shape(), ws))
	}
	f, o := ws[1], ws[0]
	n := x.Value.Len() / max(f, 1)
	outShape := append(append([]int(nil), xs[:len(xs)-1]...), o)
	out, pooled := newValue(outShape, x, weight, bias)
	xd, wd, od := x.Value.Data(), weight.Value.Data(), out.Data()
	// y [n, o] = x [n, f] · wᵀ [f, o]
	kernels.Sgemm(false, true, n, o, f, 1, xd, f, wd, f, 0, od, o)
	if bias != nil {
		bd := bias.Value.Data()
		for i := 0; i < n; i++ {
			row := od[i*o : (i+1)*o]
			for j := range row {
				row[j] += bd[j]
			}
		}
	}
	return result("linear", out, func(res *Var) {
		gy := res.Grad.Data() // [n, o]
		if needs(x) {
			// dx [n, f] += dy [n, o] · w [o, f]
			kernels.Sgemm(false, false, n, f, o, 1, gy, o, wd, f, 1, x.gradBuf().Data(), f)
		}
		if needs(weight) {
			// dw [o, f] += dyᵀ [o, n] · x [n, f]
			kernels.Sgemm(true, false, o, f, n, 1, gy, o, xd, f, 1, weight.gradBuf().Data(), f)
		}
		if needs(bias) {
			gb := bias.gradBuf().Data()
			for j := 0; j < o; j++ {
				s := 0.0
				for i := 0; i < n; i++ {
					s += float64(gy[i*o+j])
				}
				gb[j] += float32(s)
			}
		}
	}, x, weight, bias).owns(pooled)
}

// MatMul returns the matrix product a·b of a [M, K] and b [K, N].
func MatMul(a, b *Var) *Var {
	as, bs := a.Value.Shape(), b.Value.Shape()
	if len(as) != 2 || len(bs) != 2 || as[1] != bs[0] {
		panic(fmt.Sprintf("ops: MatMul of shapes %v and %v", as, bs))
	}
	m, k, n := as[0], as[1], bs[1]
	out, pooled := newValue([]int{m, n}, a, b)
	ad, bd := a.Value.Data(), b.Value.Data()
	kernels.Sgemm(false, false, m, n, k, 1, ad, k, bd, n, 0, out.Data(), n)
	return result("matmul", out, func(res *Var) {
		g := res.Grad.Data()
		if needs(a) {
			// da [m, k] += g [m, n] · bᵀ [n, k]
			kernels.Sgemm(false, true, m, k, n, 1, g, n, bd, n, 1, a.gradBuf().Data(), k)
		}
		if needs(b) {
			// db [k, n] += aᵀ [k, m] · g [m, n]
			kernels.Sgemm(true, false, k, n, m, 1, ad, k, g, n, 1, b.gradBuf().Data(), n)
		}
	}, a, b).owns(pooled)
}

// safeDim returns s[i] or -1 when s is too short (for error messages).
func safeDim(s []int, i int) int {
	if i < len(s) {
		return s[i]
	}
	return -1
}
