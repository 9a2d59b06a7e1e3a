package kernels

import "fmt"

// Layout kernels: moving elements between memory layouts without
// arithmetic (transposes, space/depth rearrangements).

// maxPermDims bounds the rank Permute handles after merging dimensions.
const maxPermDims = 16

// permGrain is roughly how many elements one goroutine should copy.
const permGrain = 1 << 15

// Permute writes the row-major tensor src of shape shape, with its
// dimensions reordered by perm, into dst: dst has shape
// [shape[perm[0]], …, shape[perm[k−1]]] and
//
//	dst[i₀, …, i_{k−1}] = src[j]  where j[perm[d]] = i_d
//
// (numpy.transpose(src, perm)). With add it accumulates (dst += …)
// instead of overwriting. dst and src must not overlap. Dimensions of size 1
// are dropped and runs of dimensions that stay adjacent are merged first,
// so a permutation that keeps the memory order is a single copy. It
// allocates nothing besides the goroutines of ParallelFor and panics if the
// lengths do not match shape or perm is not a permutation.
func Permute(dst, src []float32, shape, perm []int, add bool) {
	if len(perm) != len(shape) {
		panic(fmt.Sprintf("kernels: Permute of shape %v by perm %v", shape, perm))
	}
	total := 1
	for _, d := range shape {
		total *= d
	}
	if len(src) != total || len(dst) != total {
		panic(fmt.Sprintf("kernels: Permute of shape %v with len(src) %d, len(dst) %d", shape, len(src), len(dst)))
	}
	if total == 0 {
		return
	}
	var seen uint64
	if len(shape) > 64 {
		panic(fmt.Sprintf("kernels: Permute of rank %d", len(shape)))
	}
	for _, p := range perm {
		if p < 0 || p >= len(shape) || seen&(1<<p) != 0 {
			panic(fmt.Sprintf("kernels: Permute by %v, not a permutation of %d dimensions", perm, len(shape)))
		}
		seen |= 1 << p
	}
	// Merged output dimensions (dims) with their source strides (strides).
	var dims, strides [maxPermDims]int
	n := 0
	for _, p := range perm {
		d := shape[p]
		if d == 1 {
			continue
		}
		s := 1
		for _, q := range shape[p+1:] {
			s *= q
		}
		if n > 0 && strides[n-1] == d*s {
			dims[n-1] *= d
			strides[n-1] = s
			continue
		}
		if n == maxPermDims {
			panic(fmt.Sprintf("kernels: Permute of shape %v by %v needs more than %d dimensions", shape, perm, maxPermDims))
		}
		dims[n], strides[n] = d, s
		n++
	}
	if n == 0 { // a single element
		if add {
			dst[0] += src[0]
		} else {
			dst[0] = src[0]
		}
		return
	}
	inner, istr := dims[n-1], strides[n-1]
	if n >= 2 && strides[n-2] == 1 {
		permTiled(dst, src, dims, strides, n, total, add)
		return
	}
	rows := total / inner
	grain := max(1, permGrain/inner)
	ParallelFor(rows, grain, func(lo, hi int) {
		var idx [maxPermDims]int
		// Position the odometer at row lo.
		base, r := 0, lo
		for d := n - 2; d >= 0; d-- {
			idx[d] = r % dims[d]
			r /= dims[d]
			base += idx[d] * strides[d]
		}
		for row := lo; row < hi; row++ {
			out := dst[row*inner : (row+1)*inner]
			switch {
			case istr == 1 && !add:
				copy(out, src[base:base+inner])
			case istr == 1:
				for i, v := range src[base : base+inner] {
					out[i] += v
				}
			case !add:
				for i, j := 0, base; i < inner; i, j = i+1, j+istr {
					out[i] = src[j]
				}
			default:
				for i, j := 0, base; i < inner; i, j = i+1, j+istr {
					out[i] += src[j]
				}
			}
			for d := n - 2; d >= 0; d-- {
				idx[d]++
				base += strides[d]
				if idx[d] < dims[d] {
					break
				}
				base -= strides[d] * dims[d]
				idx[d] = 0
			}
		}
	})
}

// permTile is the side of the square tiles of permTiled.
const permTile = 32

// permTiled is Permute for the n merged dimensions dims (source strides
// strides) when they are such that the last two form a plain
// 2-d transpose: output dimension n−2 (length A) is contiguous in the
// source and the last one (length B) has source stride strides[n−1]. For
// each index of the leading dimensions it copies the A×B matrix in
// permTile × permTile tiles, so the strided source reads of a tile stay in
// the cache (NCHW ↔ NHWC is such a case: [N, HW, C] ← [N, C, HW]).
func permTiled(dst, src []float32, dims, strides [maxPermDims]int, n, total int, add bool) {
	a, b, bs := dims[n-2], dims[n-1], strides[n-1]
	aTiles := (a + permTile - 1) / permTile
	outer := total / (a * b)
	ParallelFor(outer*aTiles, max(1, permGrain/(permTile*b)), func(lo, hi int) {
		for u := lo; u < hi; u++ {
			o, at := u/aTiles, u%aTiles
			base, r := 0, o
			for d := n - 3; d >= 0; d-- {
				base += (r % dims[d]) * strides[d]
				r /= dims[d]
			}
			a0, a1 := at*permTile, min(at*permTile+permTile, a)
			out := dst[o*a*b : (o+1)*a*b]
			for b0 := 0; b0 < b; b0 += permTile {
				b1 := min(b0+permTile, b)
				for i := a0; i < a1; i++ {
					row := out[i*b+b0 : i*b+b1]
					j := base + i + b0*bs
					if add {
						for k := range row {
							row[k] += src[j]
							j += bs
						}
					} else {
						for k := range row {
							row[k] = src[j]
							j += bs
						}
					}
				}
			}
		}
	})
}
