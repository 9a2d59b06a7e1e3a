package kernels

import "fmt"

// Element-wise steps of the inference engine: plane means (global average
// pooling), a per-plane scalar broadcast over each plane (the scale of a
// squeeze-and-excitation block) and element-wise products and sums. Each
// has a reference loop in Go, which is the specification, and an AVX-512
// kernel (eng_elem_amd64.s) that gives the same bits: products and sums are
// single IEEE operations, and plane sums run in the fixed order of
// planeMeanGo, independent of how planes are split between goroutines.
//
// Dimension legend: P planes, HW elements per plane, N elements.

// planeMeanGo returns the mean of x [HW] summed in float64 in a fixed
// order, the one the AVX-512 kernel follows: element i goes to lane i mod 32
// of 32 running sums, the lanes are combined as four vectors of eight,
// ((l₀ + l₁) + (l₂ + l₃)), then halved three times (eight sums to four, to
// two, to one), and the sum is divided by HW and rounded to float32. A
// float64 sum of float32 values of similar magnitude carries ~29 bits more
// than float32 needs, so the result usually equals GlobalAvgPool2d's
// sequential float64 sum; it can differ where values of very different
// magnitude cancel (e.g. 1e20, 1, −1e20: the order decides whether the 1
// survives), which is why the engine's tests compare pooled values with a
// tolerance, not bit for bit.
func planeMeanGo(x []float32) float32 {
	var acc [32]float64
	i := 0
	for ; i+32 <= len(x); i += 32 {
		b := x[i : i+32]
		for j := range acc {
			acc[j] += float64(b[j])
		}
	}
	for j, v := range x[i:] {
		acc[j] += float64(v)
	}
	var t [8]float64
	for j := range t {
		t[j] = (acc[j] + acc[8+j]) + (acc[16+j] + acc[24+j])
	}
	for j := range 4 {
		t[j] += t[j+4]
	}
	t[0] += t[2]
	t[1] += t[3]
	return float32((t[0] + t[1]) / float64(len(x)))
}

// planeMeans writes into y [P] the means of the planes of x [P, HW] in
// planeMeanGo's order, by the AVX-512 kernel where the CPU has it.
func planeMeans(hw int, x, y []float32) {
	if len(y) == 0 {
		return
	}
	x = x[:len(y)*hw]
	if engElemAsm && hw > 0 {
		planeMeansAVX512(&x[0], hw, &y[0], len(y))
		return
	}
	for p := range y {
		y[p] = planeMeanGo(x[p*hw : (p+1)*hw])
	}
}

// EngMulPlanes sets y[p·HW + i] = x[p·HW + i]·s[p] for every plane p of
// x and y [len(s), HW] (y may be x):
//
//	for p, v := range s {
//		for i := p·hw; i < (p+1)·hw; i++ {
//			y[i] = x[i] * v
//		}
//	}
func EngMulPlanes(hw int, x, s, y []float32) { planeOp(hw, x, s, y, false) }

// EngAddPlanes sets y[p·HW + i] = x[p·HW + i] + s[p] for every plane p of
// x and y [len(s), HW] (y may be x), as EngMulPlanes does with a product.
func EngAddPlanes(hw int, x, s, y []float32) { planeOp(hw, x, s, y, true) }

// planeOp is EngMulPlanes, or EngAddPlanes when add is set.
func planeOp(hw int, x, s, y []float32, add bool) {
	n := len(s) * hw
	if len(x) < n || len(y) < n {
		panic(fmt.Sprintf("kernels: per-plane op on %d planes of %d: x has %d elements, y %d", len(s), hw, len(x), len(y)))
	}
	if n == 0 {
		return
	}
	if engElemAsm {
		planeOpAVX512(&x[0], &s[0], &y[0], hw, len(s), add)
		return
	}
	planeOpGo(hw, x, s, y, add)
}

// planeOpGo is planeOp's reference loop.
func planeOpGo(hw int, x, s, y []float32, add bool) {
	for p, v := range s {
		src, dst := x[p*hw:(p+1)*hw], y[p*hw:(p+1)*hw]
		if add {
			for i, u := range src {
				dst[i] = u + v
			}
		} else {
			for i, u := range src {
				dst[i] = u * v
			}
		}
	}
}

// EngMul sets y[i] = a[i]·b[i] for i < len(y); a and b must be at least as
// long (y may be a or b).
func EngMul(a, b, y []float32) { elemOp(a, b, y, false) }

// EngAdd sets y[i] = a[i] + b[i] for i < len(y); a and b must be at least
// as long (y may be a or b).
func EngAdd(a, b, y []float32) { elemOp(a, b, y, true) }

// elemOp is EngMul, or EngAdd when add is set.
func elemOp(a, b, y []float32, add bool) {
	n := len(y)
	if n == 0 {
		return
	}
	a, b = a[:n], b[:n]
	if engElemAsm {
		elemOpAVX512(&a[0], &b[0], &y[0], n, add)
		return
	}
	elemOpGo(a, b, y, add)
}

// elemOpGo is elemOp's reference loop.
func elemOpGo(a, b, y []float32, add bool) {
	a, b = a[:len(y)], b[:len(y)]
	if add {
		for i, v := range a {
			y[i] = v + b[i]
		}
		return
	}
	for i, v := range a {
		y[i] = v * b[i]
	}
}
