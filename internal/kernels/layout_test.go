package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// permuteRef is Permute as the plain definition: for every destination
// index, the source index with j[perm[d]] = i_d.
func permuteRef(dst, src []float32, shape, perm []int, add bool) {
	r := len(shape)
	outShape := make([]int, r)
	for i, p := range perm {
		outShape[i] = shape[p]
	}
	srcStride := make([]int, r)
	s := 1
	for d := r - 1; d >= 0; d-- {
		srcStride[d] = s
		s *= shape[d]
	}
	idx := make([]int, r)
	for o := range dst {
		rem := o
		for d := r - 1; d >= 0; d-- {
			idx[d] = rem % outShape[d]
			rem /= outShape[d]
		}
		j := 0
		for d, p := range perm {
			j += idx[d] * srcStride[p]
		}
		if add {
			dst[o] += src[j]
		} else {
			dst[o] = src[j]
		}
	}
}

func TestPermuteMatchesReference(t *testing.T) {
	defer SetThreads(Threads())
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct{ shape, perm []int }{
		{[]int{}, []int{}},
		{[]int{7}, []int{0}},
		{[]int{3, 5}, []int{1, 0}},
		{[]int{2, 3, 4, 5}, []int{0, 2, 3, 1}},
		{[]int{2, 3, 4, 5}, []int{0, 3, 1, 2}},
		{[]int{2, 1, 3, 1, 4}, []int{4, 3, 0, 2, 1}},
		{[]int{2, 3, 4, 5, 6}, []int{0, 1, 4, 2, 3}}, // merges dims 2,3
		{[]int{2, 2, 2, 3, 4, 5}, []int{0, 3, 4, 1, 5, 2}},
		{[]int{4, 0, 3}, []int{2, 0, 1}},
		{[]int{64, 130, 9}, []int{2, 1, 0}}, // several chunks
	}
	for _, c := range cases {
		for _, threads := range []int{1, 3} {
			for _, add := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v_%v_t%d_add=%v", c.shape, c.perm, threads, add), func(t *testing.T) {
					SetThreads(threads)
					n := 1
					for _, d := range c.shape {
						n *= d
					}
					src := make([]float32, n)
					got, want := make([]float32, n), make([]float32, n)
					for i := range src {
						src[i] = rng.Float32()
						got[i] = float32(i % 7)
						want[i] = got[i]
					}
					Permute(got, src, c.shape, c.perm, add)
					permuteRef(want, src, c.shape, c.perm, add)
					for i := range want {
						if got[i] != want[i] {
							t.Fatalf("dst[%d] = %v, want %v", i, got[i], want[i])
						}
					}
				})
			}
		}
	}
}

func TestPermutePanics(t *testing.T) {
	for _, c := range []struct {
		name       string
		n          int
		shape, prm []int
	}{
		{"not a permutation", 6, []int{2, 3}, []int{1, 1}},
		{"rank mismatch", 6, []int{2, 3}, []int{0}},
		{"length mismatch", 5, []int{2, 3}, []int{1, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			Permute(make([]float32, c.n), make([]float32, c.n), c.shape, c.prm, false)
		})
	}
}

func TestPermuteAllocatesNothing(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(1)
	src, dst := make([]float32, 2*3*4*5), make([]float32, 2*3*4*5)
	shape, perm := []int{2, 3, 4, 5}, []int{0, 2, 3, 1}
	if a := testing.AllocsPerRun(10, func() { Permute(dst, src, shape, perm, false) }); a > 1 {
		t.Errorf("%v allocations per call", a)
	}
}

// BenchmarkPermute measures NCHW → NHWC and back for a ResNet-sized
// activation [8, 64, 56, 56] (1.6 M elements).
func BenchmarkPermute(b *testing.B) {
	shape := []int{8, 64, 56, 56}
	n := 8 * 64 * 56 * 56
	src, dst := make([]float32, n), make([]float32, n)
	for _, c := range []struct {
		name  string
		shape []int
		perm  []int
	}{
		{"NCHW_to_NHWC", shape, []int{0, 2, 3, 1}},
		{"NHWC_to_NCHW", []int{8, 56, 56, 64}, []int{0, 3, 1, 2}},
		{"copy", shape, []int{0, 1, 2, 3}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(8 * n))
			for b.Loop() {
				Permute(dst, src, c.shape, c.perm, false)
			}
		})
	}
}
