package ops

import (
	"math"

	"convnet/internal/kernels"
)

// Pieces shared by the convolution ops (conv.go, conv_depthwise.go,
// convtranspose.go).

// gemmFn is the signature of kernels.Sgemm and kernels.SgemmSerial.
type gemmFn = func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// convForEachImage runs f for images 0..n-1 with a scratch buffer of
// scratch floats: in parallel over the images with the serial SGEMM when
// there are at least as many images as threads, else one image at a time
// with the parallel SGEMM (so batch 1 still uses every core). Each image is
// computed the same way either way.
func convForEachImage(n, scratch int, f func(i int, col []float32, gemm gemmFn)) {
	if n >= kernels.Threads() {
		kernels.ParallelFor(n, 1, func(lo, hi int) {
			col, _ := gradPool.getDirty(scratch)
			defer gradPool.put(col)
			for i := lo; i < hi; i++ {
				f(i, col, kernels.SgemmSerial)
			}
		})
		return
	}
	col, _ := gradPool.getDirty(scratch)
	defer gradPool.put(col)
	for i := 0; i < n; i++ {
		f(i, col, kernels.Sgemm)
	}
}

// convBiasGrad adds to gb [C] the sum of gy [N, C, HW] over the batch and
// the pixels, per channel, in float64 and in a fixed order, so the result
// does not depend on the number of threads: kernels.BNSum's 32 interleaved
// partial sums over each image's plane in turn, then the partials in order.
// (A single running sum had each add wait for the last: 5.6 % of a LeNet-5
// training step went to conv1's bias gradient alone.)
func convBiasGrad(gb, gy []float32, n, c, hw int) {
	kernels.ParallelFor(c, 1, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var p kernels.BNPartials
			for i := 0; i < n; i++ {
				kernels.BNSum(&p, gy[(i*c+ch)*hw:(i*c+ch+1)*hw])
			}
			gb[ch] += float32(p.Sum())
		}
	})
}

// addChannelBias adds bias[c] to every element of row c of dst
// [len(bias), hw].
func addChannelBias(dst, bias []float32, hw int) {
	for c, b := range bias {
		row := dst[c*hw : (c+1)*hw]
		for j := range row {
			row[j] += b
		}
	}
}

// gemmScratchPool holds workspaces for kernels.GemmPacked, of the largest
// size (NewGemmScratch caps it at one block of B), so that a backward pass
// does not allocate one per goroutine.
var gemmScratchPool = kernels.FreeList[kernels.GemmScratch]{New: func() *kernels.GemmScratch { return kernels.NewGemmScratch(math.MaxInt32) }}

// addPartials adds the per-chunk weight gradients into gw in chunk order,
// in parallel over ranges of gw: each element's sum runs in the same order
// whatever the split, so the result does not depend on the thread count.
// (Serial, it had taken 5 % of a batch-16 ResNet-18 training step, whose
// last layers' 9.4 MB weight gradients have eight partials each.) The
// partials, from newPartial, go back to gradPool.
func addPartials(gw []float32, partial [][]float32) {
	addInto(gw, partial)
	for _, pw := range partial {
		gradPool.put(pw)
	}
}

// addInto adds the slices of parts, in order, to dst, in parallel over
// ranges of dst (each element's sum in the same order whatever the split).
func addInto(dst []float32, parts [][]float32) {
	kernels.ParallelFor(len(dst), addPartialsGrain, func(lo, hi int) {
		d := dst[lo:hi]
		for _, p := range parts {
			kernels.EngAdd(d, p[lo:hi], d)
		}
	})
}

// addPartialsT is addPartials for partials held transposed, [ckk, cout]
// (kernels.TabWeightGrad): it sums them in chunk order into the first,
// then adds that sum, transposed, to gw [cout, ckk]. The order of the sums
// is fixed, so the result does not depend on the thread count.
func addPartialsT(gw []float32, partial [][]float32, cout, ckk int) {
	sum := partial[0]
	addInto(sum, partial[1:])
	kernels.ParallelFor(cout, max(1, addPartialsGrain/ckk), func(lo, hi int) {
		for co := lo; co < hi; co++ {
			row := gw[co*ckk : (co+1)*ckk]
			for j := range row {
				row[j] += sum[j*cout+co]
			}
		}
	})
	for _, pw := range partial {
		gradPool.put(pw)
	}
}

// newPartial returns a zeroed per-chunk weight gradient of n floats for
// addPartials or addPartialsT, which give it back to gradPool. Recycled
// rather than fresh: a fresh buffer's pages are faulted in by the first
// product that writes them, and on the development VM that cost about 1.2 ms per chunk
// of ResNet-20's 64-channel layers (147 KB each), 30 times the product
// itself.
func newPartial(n int) []float32 {
	b, _ := gradPool.getDirty(n)
	clear(b)
	return b
}

// addPartialsGrain is the fewest weight-gradient elements worth a
// goroutine of addPartials. (At 32 K, the 2 K–37 K-weight gradients of a
// CIFAR ResNet were summed on one thread: 1.9 ms of a batch-128 step with
// the other core idle.)
const addPartialsGrain = 1 << 12

// convWideWeightGrad adds to gw [Cout, ckk] the weight gradient of a
// convolution with one group over the whole batch as one product (see
// convWideMaxOHW): gw += dY·colᵀ, dY [Cout, N·OH·OW] and col
// [ckk, N·OH·OW] holding the batch's images side by side. cols is that
// unfolded batch as the forward pass kept it, or nil to build it here
// (a 1×1 convolution without padding or stride is its own unfolding: its
// rows are the input's planes). x is [N, Cin, H·W] (hw = H·W) and gy
// [N, Cout, OH·OW]. kernels.Sgemm splits the product on column tiles of
// gw, so the result does not depend on the thread count.
func convWideWeightGrad(g *kernels.ConvGeom, x, gy []float32, n, cin, cout, hw, ohw int, direct bool, cols, gw []float32) {
	k := n * ohw // the product's depth: every pixel of every image
	ckk := len(gw) / cout
	if cols == nil {
		var b []float32
		b, _ = gradPool.getDirty(ckk * k)
		defer gradPool.put(b)
		if direct {
			kernels.Permute(b, x[:n*cin*hw], []int{n, cin, hw}, []int{1, 0, 2}, false)
		} else {
			kernels.ParallelFor(n, 1, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					kernels.Im2colLd(g, x[i*cin*hw:(i+1)*cin*hw], b[i*ohw:], k)
				}
			})
		}
		cols = b
	}
	dy, _ := gradPool.getDirty(cout * k)
	defer gradPool.put(dy)
	kernels.Permute(dy, gy[:n*cout*ohw], []int{n, cout, ohw}, []int{1, 0, 2}, false)
	kernels.Sgemm(false, true, cout, ckk, k, 1, dy, k, cols, k, 1, gw, ckk)
}
