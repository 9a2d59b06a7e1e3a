package ops

import (
	"convnet/internal/kernels"
)

// Training's 3×3 convolutions with enough channels and pixels run by
// Winograd F(4×4, 3×3) (kernels/winograd.go), the forward pass and the
// input gradient alike (the latter is the convolution of dY with the
// weights turned by 180° and Cin and Cout swapped, as on the TabLayout
// route): 36 multiplies per 4×4 output tile instead of 144, for
// transforms of the input and output tiles and of the weights, which a
// training step transforms afresh every step (WinogradWeights32). Every
// output element's arithmetic is the same whichever goroutine computes
// it, so results do not depend on the thread count; they differ from the
// direct products by rounding, of order 1e-5 of the output's scale (see
// kernels.WinogradInput). The weight gradient stays on its own route.

// convWino enables the Winograd route; tests turn it off to compare with
// the direct routes.
var convWino = true

// winoTrainCols is the least number of tiles (GEMM columns) a group of
// images gathers for its 36 products: enough to fill the micro-kernel's
// column panels, few enough that the transformed tiles stay near L2.
const winoTrainCols = 256

// winoPays reports whether a 3×3 stride-1 convolution of n images from
// cin to cout channels with an oh×ow output takes the Winograd route: both
// channel counts at least winoMinChannels, and an output of at least
// winoMinPixels pixels or at least winoWideChannels channels (whatever
// the size), and a group of images giving the products at least 64
// columns.
//
// Against the routes it replaces (TabLayout forward or im2col at 8² and
// 7², TabLayout input gradient), two threads, forward / backward (both
// gradients) ms, medians of 10: ResNet-18 at batch 16, 64 channels at 56²
// 19.4 / 48.0 → 11.5 / 39.9, 128 at 28² 16.1 / 40.1 → 12.4 / 32.7, 256 at
// 14² 17.6 / 62.9 → 12.3 / 41.7, 512 at 7² 22.3 / 52.1 → 19.0 / 50.3;
// CIFAR ResNet-20 at batch 128, 16 channels at 32² 3.41 / 11.0 → 3.63 /
// 11.5, 32 at 16² 3.24 / 8.73 → 3.45 / 9.08, 64 at 8² 3.68 / 8.91 → 4.25 /
// 9.28. Narrow layers lose to the transforms (their cost grows with
// cin + cout per tile, the products' with cin·cout), and images of few
// tiles are all border tiles, which the input transform reads through the
// padding slowly.
func winoPays(n, cin, cout, oh, ow int) bool {
	if !convWino {
		return false
	}
	c := min(cin, cout)
	tiles := winoTiles(oh, ow)
	return c >= winoMinChannels && (oh*ow >= winoMinPixels || c >= winoWideChannels) && winoPerGroup(n, tiles)*tiles >= 64
}

// The thresholds of winoPays; tests lower them to run small layers by
// Winograd.
var (
	winoMinChannels  = 64
	winoMinPixels    = 14 * 14
	winoWideChannels = 256
)

// winoTiles returns the number of 4×4 output tiles of an oh×ow output.
func winoTiles(oh, ow int) int {
	t := kernels.WinogradTile
	return ((oh + t - 1) / t) * ((ow + t - 1) / t)
}

// winoPerGroup returns how many of n images a group holds: enough for
// winoTrainCols columns.
func winoPerGroup(n, tiles int) int { return min(n, max(1, (winoTrainCols+tiles-1)/tiles)) }

// winoConv computes y [N, Cout, OH, OW] = conv(x [N, Cin, H, W], wt [Cout,
// Cin, 3, 3]) + bias (bias [Cout] may be nil) with stride 1 and zero
// padding padT above and padL left of the input (the bottom and right
// padding follow from OH and OW), by Winograd F(4×4, 3×3); with acc the
// result is added to y instead. Groups of images are computed whole by
// one goroutine each when there are enough groups; otherwise the threads
// share each group's transforms and products.
func winoConv(x []float32, n, cin, h, w int, wt []float32, cout, padT, padL, oh, ow int, bias, y []float32, acc bool) {
	geom := kernels.NewWinogradGeom(h, w, padT, padL, oh, ow)
	tiles := geom.Tiles()
	per := winoPerGroup(n, tiles)
	groups := (n + per - 1) / per
	const nx = kernels.WinogradN

	// The weights, transformed into U [36, Cout, Cin] and packed: in one
	// pass where the CPU allows, else transformed, then packed.
	plen := kernels.PackedALen(cout, cin)
	pbuf, _ := gradPool.getDirty(nx * plen)
	defer gradPool.put(pbuf)
	var packed [nx]*kernels.PackedA
	if !kernels.WinogradPackedWeights(cout, cin, wt, pbuf, &packed) {
		plane := cout * cin
		u, _ := gradPool.getDirty(nx * plane)
		defer gradPool.put(u)
		kernels.ParallelFor(cout, max(1, kernels.WinogradWeightGrain/cin), func(lo, hi int) {
			kernels.WinogradWeights32(cout, cin, wt, u, lo, hi)
		})
		kernels.ParallelFor(nx, 1, func(lo, hi int) {
			for xi := lo; xi < hi; xi++ {
				packed[xi] = kernels.PackAInto(pbuf[xi*plen:], cout, cin, u[xi*plane:], cin)
			}
		})
	}

	hw, ohw := h*w, oh*ow
	cols := per * tiles
	// group runs the three passes of images [i0, i0+ni) with the
	// transformed tiles v [36, Cin, nc] and products m [36, Cout, nc],
	// each pass split over the threads by par.
	group := func(i0, ni int, v, m []float32, par func(units, grain int, f func(lo, hi int))) {
		nc := ni * tiles
		par(ni*cin, max(1, 16384/max(1, hw)), func(lo, hi int) {
			for lo < hi {
				i := lo / cin
				end := min(hi, (i+1)*cin)
				kernels.WinogradInput(&geom, x[(i0+i)*cin*hw:(i0+i+1)*cin*hw], lo-i*cin, end-i*cin, v, cin*nc, nc, i*tiles)
				lo = end
			}
		})
		par(nx, 1, func(lo, hi int) {
			ws := gemmScratchPool.Get()
			defer gemmScratchPool.Put(ws)
			for xi := lo; xi < hi; xi++ {
				kernels.GemmPacked(packed[xi], false, nc, v[xi*cin*nc:(xi+1)*cin*nc], nc,
					m[xi*cout*nc:(xi+1)*cout*nc], nc, nil, 0, cout, 0, nc, ws)
			}
		})
		par(ni*cout, max(1, 16384/max(1, ohw)), func(lo, hi int) {
			for lo < hi {
				i := lo / cout
				end := min(hi, (i+1)*cout)
				yi := y[(i0+i)*cout*ohw : (i0+i+1)*cout*ohw]
				ep := kernels.Epilogue{Bias: bias}
				if acc {
					ep.Residual = yi // each element is read before it is written
				}
				kernels.WinogradOutput(&geom, m, cout*nc, nc, i*tiles, yi, &ep, lo-i*cout, end-i*cout)
				lo = end
			}
		})
	}
	serial := func(units, _ int, f func(lo, hi int)) { f(0, units) }
	if groups >= kernels.Threads() {
		kernels.ParallelFor(groups, 1, func(lo, hi int) {
			v, _ := gradPool.getDirty(nx * cin * cols)
			defer gradPool.put(v)
			m, _ := gradPool.getDirty(nx * cout * cols)
			defer gradPool.put(m)
			for gi := lo; gi < hi; gi++ {
				group(gi*per, min(per, n-gi*per), v, m, serial)
			}
		})
		return
	}
	v, _ := gradPool.getDirty(nx * cin * cols)
	defer gradPool.put(v)
	m, _ := gradPool.getDirty(nx * cout * cols)
	defer gradPool.put(m)
	for gi := 0; gi < groups; gi++ {
		group(gi*per, min(per, n-gi*per), v, m, kernels.ParallelFor)
	}
}
