package ops

import (
	"convnet/internal/kernels"
)

// The 3×3, stride-1, padding-1 convolutions that dominate VGG, ResNet and
// U-Net run without im2col: each image is copied into a kernels.TabLayout
// (a zero row above and below each plane, one zero column per row) and
// the product reads its 9·C unfolded rows in place at fixed offsets
// (kernels.GemmPackedTab). The input gradient is the same convolution of
// the padded dY with the weights turned by 180° and Cin and Cout swapped,
// so col2im goes too; the weight gradient of a layer with few output
// channels reads the padded input in place as well (kernels.SgemmNTTab).
// The forward pass gives the bits of im2col + SGEMM; the gradients sum
// the same terms in another order.
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

// tabForwardPays reports whether the forward pass of such a convolution
// takes the route: when its grid needs at most tabMaxTiles times the column
// tiles of the unpadded output. The grid's extra column per row can cost a
// whole tile (8² pixels fill 2 tiles of 32, the 9·8 grid 3), and a
// 64-channel layer at 8² then ran 43 → 48 µs forward. The input gradient
// takes the route whatever the tiles, having col2im to save: the same
// layer's ran 55.6 → 48.7 µs.
func tabForwardPays(g *kernels.ConvGeom) bool {
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

// tabForward computes out [N, Cout, H, W] = conv(x [N, Cin, H, W], w) + bias
// (bias may be nil) through the TabLayout route; wd is [Cout, Cin·9].
func tabForward(xd, wd, bias, od []float32, n, cin, cout, h, w int) {
	l := kernels.TabLayout{C: cin, H: h, W: w}
	ckk, grid, hw := cin*9, l.Grid(), h*w
	pa := kernels.PackA(nil, cout, ckk, wd, ckk)
	off := l.Offsets()
	finish := func(i int, gbuf []float32) {
		dst := od[i*cout*hw : (i+1)*cout*hw]
		l.Unpad(cout, gbuf, grid, dst, false)
		if bias != nil {
			for c := 0; c < cout; c++ {
				row := dst[c*hw : (c+1)*hw]
				for j := range row {
					row[j] += bias[c]
				}
			}
		}
	}
	if n >= kernels.Threads() {
		kernels.ParallelFor(n, 1, func(lo, hi int) {
			pad, _ := gradPool.getDirty(l.Len())
			defer gradPool.put(pad)
			gbuf, _ := gradPool.getDirty(cout * grid)
			defer gradPool.put(gbuf)
			ws := gemmScratchPool.Get().(*kernels.GemmScratch)
			defer gemmScratchPool.Put(ws)
			for i := lo; i < hi; i++ {
				l.Pad(xd[i*cin*hw:(i+1)*cin*hw], pad)
				kernels.GemmPackedTab(pa, grid, pad, off, gbuf, grid, 0, 0, cout, 0, grid, ws)
				finish(i, gbuf)
			}
		})
		return
	}
	// Fewer images than threads: each image's columns are split.
	pad, _ := gradPool.getDirty(l.Len())
	defer gradPool.put(pad)
	gbuf, _ := gradPool.getDirty(cout * grid)
	defer gradPool.put(gbuf)
	for i := 0; i < n; i++ {
		l.Pad(xd[i*cin*hw:(i+1)*cin*hw], pad)
		tabColumns(pa, grid, pad, off, gbuf)
		finish(i, gbuf)
	}
}

// tabColumns computes gbuf [M, grid] = pa · B (B's rows at pad[off[p]:])
// with the columns split over the threads in whole tiles.
func tabColumns(pa *kernels.PackedA, grid int, pad []float32, off []int, gbuf []float32) {
	nr := pa.NR()
	tiles := (grid + nr - 1) / nr
	kernels.ParallelFor(tiles, 1, func(lo, hi int) {
		ws := gemmScratchPool.Get().(*kernels.GemmScratch)
		defer gemmScratchPool.Put(ws)
		kernels.GemmPackedTab(pa, grid, pad, off, gbuf, grid, 0, 0, pa.M, lo*nr, min(hi*nr, grid), ws)
	})
}

// tabRotated returns the weights of the input-gradient convolution,
// [Cin, Cout·9]: w' [ci, co, ky, kx] = w [co, ci, 2−ky, 2−kx].
func tabRotated(wd []float32, cin, cout int) []float32 {
	r := make([]float32, len(wd))
	for co := 0; co < cout; co++ {
		for ci := 0; ci < cin; ci++ {
			src := wd[(co*cin+ci)*9:][:9]
			dst := r[(ci*cout+co)*9:][:9]
			for t, v := range src {
				dst[8-t] = v
			}
		}
	}
	return r
}
