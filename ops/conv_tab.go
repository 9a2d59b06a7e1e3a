package ops

import (
	"convnet/internal/kernels"
)

// The 3×3, stride-1, padding-1 convolutions that dominate VGG, ResNet and
// U-Net run without im2col: each image is copied into a kernels.TabLayout
// (a zero row above and below each plane, one zero column per row) and
// the product reads its 9·C unfolded rows in place at fixed offsets
// (kernels.GemmPackedTab), writing the output image itself where its rows
// hold a multiple of 16 pixels (tabDirect) and otherwise the layout's
// grid of one extra column per row, dropped after. The input gradient is
// the same convolution of the padded dY with the weights turned by 180°
// and Cin and Cout swapped, so col2im goes too; the weight gradient reads
// the padded input in place as well: with AVX-512, for 16 output channels
// (an even number of inputs) or a multiple of 32, by tap broadcasts from
// its padded planes against the transposed dY (kernels.TabWeightGrad),
// otherwise through the same offset table (kernels.SgemmNTTab: by dot
// products for few output channels, else gathered and transposed
// straight into the packed SGEMM's panels), so im2col goes there too.
// With at least as many images as threads, output channels a multiple of
// 32 (rows of 8k pixels) or 16 (rows of 16k), the forward pass is instead
// direct tiles of pixels × output channels (kernels.TabConvForward; see
// tapConvImages). The forward pass gives the bits of im2col + SGEMM (by
// TabConvForward up to 28 input channels; beyond, its one chain of sums
// rounds the same terms in another grouping); the gradients sum the same
// terms in another order.
//
// Per image, one thread, µs, im2col route → this one (medians of 5):
// forward 16 ch. at 32² 40.5 → 34.9, 64 at 8² 45.7 → 43.1, 64 at 56²
// 2018 → 1642, 512 at 7² 2189 → 1634; input gradient 16 at 32² 42.3 →
// 35.3, 64 at 8² 51.4 → 42.4, 32 at 16² 35.7 → 37.8, 64 at 56² 1763 →
// 1676; weight gradient 16 at 32² 44.7 → 42.8.

// tabGeometry reports whether a convolution of geometry g with the given
// groups and padding can take the TabLayout route: 3×3, stride 1,
// dilation 1, padding 1 all round, one group (and the route is enabled).
func tabGeometry(g *kernels.ConvGeom, groups int, p [4]int) bool {
	return convTab && groups == 1 && g.KH == 3 && g.KW == 3 && g.SH == 1 && g.SW == 1 &&
		g.DH == 1 && g.DW == 1 && p == [4]int{1, 1, 1, 1}
}

// tabDirect reports whether a product over a TabLayout of images w wide
// writes the output image itself (kernels.GemmPackedTab with w > 0): when
// every 16-column half of a tile lies in one image row (w a multiple of
// 16), so that the kernels read B in place with one load per half, or
// when w is 8, where each half spans two rows and takes two masked loads.
// Other widths compute the layout's grid, one extra column per row, and
// drop it afterwards (Unpad). ResNet-20's training step, batch 128, two
// threads, medians of interleaved pairs: its 32- and 16-pixel rows (eight
// pairs of 8 steps) 238 → 227 ms; then its 8-pixel rows (five pairs of
// 10), whose forward pass and input gradient took im2col before (the
// grid wasting a third of the tiles), 209 → 196 ms. Writing rows of 56
// and 28 pixels directly too, where only some halves span two rows, made
// ResNet-18's step (batch 16) 2–4 % slower than the grid and Unpad.
func tabDirect(w int) bool { return w == 8 || w%16 == 0 }

// tabForwardPays reports whether the forward pass of such a convolution
// takes the route: always when it writes the image directly (tabDirect),
// else when its grid needs at most tabMaxTiles times the column tiles of
// the unpadded output. The grid's extra column per row can cost a whole
// tile (8² pixels fill 2 tiles of 32, the 9·8 grid 3), and a 64-channel
// layer at 8² then ran 43 → 48 µs forward. The input gradient takes the
// route whatever the tiles, having col2im to save: the same layer's ran
// 55.6 → 48.7 µs.
func tabForwardPays(g *kernels.ConvGeom) bool {
	if tabDirect(g.W) {
		return true
	}
	const nr = 32 // the widest column tile of the micro-kernels
	tiles := func(cols int) int { return (cols + nr - 1) / nr }
	return float64(tiles(g.H*(g.W+1))) <= tabMaxTiles*float64(tiles(g.H*g.W))
}

// convTab enables the TabLayout route; tests turn it off to compare with
// im2col.
var convTab = true

// tabMaxTiles is the most column tiles the TabLayout grid may take
// relative to the unpadded output: 32 columns at 16² (9 tiles for 8)
// still gained.
const tabMaxTiles = 1.15

// tabProduct computes rows [0, M) and columns [n0, n1) of the convolution
// of the padded image pad (layout l, offsets off) by pa: into dst [M,
// H·W] itself (beta 1 adds to it) where tabDirect allows, else into grid
// [M, l.Grid()], whose columns n0, n1 then count (Unpad drops the extra
// ones).
func tabProduct(pa *kernels.PackedA, l kernels.TabLayout, pad []float32, off []int, dst, grid []float32, beta, n0, n1 int, ws *kernels.GemmScratch) {
	if tabDirect(l.W) {
		hw := l.H * l.W
		kernels.GemmPackedTab(pa, hw, pad, off, l.W, dst, hw, beta, 0, pa.M, n0, n1, ws)
		return
	}
	g := l.Grid()
	kernels.GemmPackedTab(pa, g, pad, off, 0, grid, g, 0, 0, pa.M, n0, n1, ws)
}

// tabColumnsOf returns the columns that tabProduct computes for layout l.
func tabColumnsOf(l kernels.TabLayout) int {
	if tabDirect(l.W) {
		return l.H * l.W
	}
	return l.Grid()
}

// tabForward computes out [N, Cout, H, W] = conv(x [N, Cin, H, W], w) + bias
// (bias may be nil) through the TabLayout route; wd is [Cout, Cin·9].
func tabForward(xd, wd, bias, od []float32, n, cin, cout, h, w int) {
	l := kernels.TabLayout{C: cin, H: h, W: w}
	ckk, grid, hw := cin*9, l.Grid(), h*w
	if tapForward && n >= kernels.Threads() && kernels.TabConvForwardOK(cout, w) {
		tapConvImages(xd, wd, bias, od, n, l, cout)
		return
	}
	paBuf, _ := gradPool.getDirty(kernels.PackedALen(cout, ckk))
	defer gradPool.put(paBuf)
	pa := kernels.PackAInto(paBuf, cout, ckk, wd, ckk)
	off := l.Offsets()
	cols := tabColumnsOf(l)
	var gridLen int // the grid's floats where the product needs one
	if !tabDirect(w) {
		gridLen = cout * grid
	}
	finish := func(i int, gbuf []float32) {
		dst := od[i*cout*hw : (i+1)*cout*hw]
		if gridLen > 0 {
			l.Unpad(cout, gbuf, grid, dst, false)
		}
		if bias != nil {
			addChannelBias(dst, bias, hw)
		}
	}
	if n >= kernels.Threads() {
		kernels.ParallelFor(n, 1, func(lo, hi int) {
			pad, _ := gradPool.getDirty(l.Len())
			defer gradPool.put(pad)
			var gbuf []float32
			if gridLen > 0 {
				gbuf, _ = gradPool.getDirty(gridLen)
				defer gradPool.put(gbuf)
			}
			ws := gemmScratchPool.Get()
			defer gemmScratchPool.Put(ws)
			for i := lo; i < hi; i++ {
				l.Pad(xd[i*cin*hw:(i+1)*cin*hw], pad)
				tabProduct(pa, l, pad, off, od[i*cout*hw:(i+1)*cout*hw], gbuf, 0, 0, cols, ws)
				finish(i, gbuf)
			}
		})
		return
	}
	// Fewer images than threads: each image's columns are split in whole
	// tiles.
	pad, _ := gradPool.getDirty(l.Len())
	defer gradPool.put(pad)
	var gbuf []float32
	if gridLen > 0 {
		gbuf, _ = gradPool.getDirty(gridLen)
		defer gradPool.put(gbuf)
	}
	nr := pa.NR()
	tiles := (cols + nr - 1) / nr
	for i := 0; i < n; i++ {
		l.Pad(xd[i*cin*hw:(i+1)*cin*hw], pad)
		dst := od[i*cout*hw : (i+1)*cout*hw]
		kernels.ParallelFor(tiles, 1, func(lo, hi int) {
			ws := gemmScratchPool.Get()
			defer gemmScratchPool.Put(ws)
			tabProduct(pa, l, pad, off, dst, gbuf, 0, lo*nr, min(hi*nr, cols), ws)
		})
		finish(i, gbuf)
	}
}

// tapForward enables kernels.TabConvForward in tabForward (see
// tapConvImages); tests turn it off to compare with GemmPackedTab.
var tapForward = true

// tapConvImages computes out [N, Cout, H, W] = conv(x, w) + bias for the
// images of x (layout l per image) with kernels.TabConvForward, an image
// per goroutine: direct tiles of pixels × output channels whose input
// values are broadcast once per window row, against GemmPackedTab's 8×32
// tiles that load the input through the offset table. One image, one
// thread, GFLOP/s (medians of three): 16 channels at 32² 165 → 189, 32 at
// 16² 160 → 191, 64 at 8² 138 → 202. Its sums run over all of im2col's
// rows in one chain: for up to 28 input channels (9·C ≤ 256, one K block
// of the packed SGEMM) the bits of im2col + SGEMM, above that the same
// terms rounded in another grouping.
func tapConvImages(xd, wd, bias, od []float32, n int, l kernels.TabLayout, cout int) {
	cin, hw := l.C, l.H*l.W
	ckk := cin * 9
	wt, _ := gradPool.getDirty(cout * ckk)
	defer gradPool.put(wt)
	kernels.TabConvWeights(wt, wd, cout, ckk)
	kernels.ParallelFor(n, 1, func(lo, hi int) {
		pad, _ := gradPool.getDirty(l.Len())
		defer gradPool.put(pad)
		for i := lo; i < hi; i++ {
			l.Pad(xd[i*cin*hw:(i+1)*cin*hw], pad)
			dst := od[i*cout*hw : (i+1)*cout*hw]
			kernels.TabConvForward(l, pad, wt, cout, dst)
			if bias != nil {
				addChannelBias(dst, bias, hw)
			}
		}
	})
}

// tabRotated returns the weights of the input-gradient convolution,
// [Cin, Cout·9]: w' [ci, co, ky, kx] = w [co, ci, 2−ky, 2−kx], in a
// buffer from gradPool that the caller puts back, each input channel's
// block written by one thread. (Allocated afresh and turned on one
// thread, ResNet-18's 2.4 M-weight layers spent 1.6 % of a training step
// here.)
func tabRotated(wd []float32, cin, cout int) []float32 {
	r, _ := gradPool.getDirty(len(wd))
	kernels.ParallelFor(cin, max(1, 4096/max(1, 9*cout)), func(lo, hi int) {
		for ci := lo; ci < hi; ci++ {
			blk := r[ci*cout*9 : (ci+1)*cout*9]
			for co := 0; co < cout; co++ {
				src := wd[(co*cin+ci)*9:][:9]
				dst := blk[co*9:][:9]
				for t, v := range src {
					dst[8-t] = v
				}
			}
		}
	})
	return r
}
