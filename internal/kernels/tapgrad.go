package kernels

import "fmt"

// Weight gradients of 3×3 convolutions (stride 1, padding 1) by tap
// broadcasts. For one image, with x and dY in TabLayout,
//
//	dW[co][c·9+ky·3+kx] = Σ_j dY[co][j] · x[Off(c, ky, kx) + j]
//
// over the grid columns j. SgemmNTTab forms this as dY·colᵀ, gathering
// the 9·C rows of col through the offset table and transposing them into
// packed panels: for 32 and 64 channels the transposition took a fifth of
// the time. TabWeightGrad instead transposes dY (C_out rows, 9·C times
// fewer) and computes dWᵀ: for each input channel c, its nine taps are
// nine fixed offsets from one pointer into x's padded plane (0, 1, 2, R,
// R+1, R+2, 2R, 2R+1, 2R+2), so step j of the kernel broadcasts the nine
// values x[Off(c, ky, kx) + j] and multiplies them by the vector of 32 (or
// 16) output channels' dY[·][j], adding into a 9×32 (or, two input
// channels at a time, 18×16) tile of dWᵀ held in registers. One image,
// batch 128 of ResNet-20's layers, one thread (µs per image, both with
// their transpositions): 32 channels at 16×16 41 → 27, 64 at 8×8 37 → 28
// (against SgemmNTTab's packed route), 16 at 32×32 40 → 31 (against its
// dot products); ResNet-18's 64 channels at 56×56 and 128 at 28×28, GFLOP/s
// 154 → 187 and 150 → 187.

// tapKB is the target length of the K blocks of TabWeightGrad: a block of
// a 32-channel tile of transposed dY (tapKB·32 floats) stays in L1 while
// every input channel's taps stream past it.
const tapKB = 192

// TabWeightGradOK reports whether TabWeightGrad takes a layer of cin input
// and cout output channels on this machine: cout a multiple of 32, or 16
// with an even cin, and the AVX-512 kernels present. (The Go kernels that
// stand in for them elsewhere are correct but slower than SgemmNTTab.)
func TabWeightGradOK(cin, cout int) bool {
	return tapAsm && tapShapeOK(cin, cout)
}

// tapShapeOK reports whether the tap kernels cover cin and cout.
func tapShapeOK(cin, cout int) bool {
	return cin > 0 && cout > 0 && (cout%32 == 0 || (cout == 16 && cin%2 == 0))
}

// TabWeightGradScratch returns the floats of scratch that TabWeightGrad
// needs for the output-gradient layout ly: ly.Grid()·ly.C.
func TabWeightGradScratch(ly TabLayout) int { return ly.Grid() * ly.C }

// TabWeightGrad adds one image's weight gradient of a 3×3 convolution
// with stride 1 and padding 1, transposed, to gT [9·C, C_out] (row stride
// C_out):
//
//	gT[c·9+ky·3+kx][co] += Σ_j dy[co][j] · x[Off(c, ky, kx) + j]
//
// over the grid columns j of ly, where xpad holds the input in layout lx
// (C channels) and dpad the output gradient in layout ly (C_out channels,
// the same H and W; the grid's extra column of dpad's rows must be zero,
// as Pad leaves it). dyT is scratch of TabWeightGradScratch(ly) floats.
// Each element's sum runs over j in increasing order within blocks of
// about tapKB columns, blocks added in order, whatever the machine. It
// panics unless tapShapeOK(lx.C, ly.C).
func TabWeightGrad(lx, ly TabLayout, xpad, dpad, dyT, gT []float32) {
	cin, cout := lx.C, ly.C
	if !tapShapeOK(cin, cout) || lx.H != ly.H || lx.W != ly.W || lx.H < 1 || lx.W < 1 {
		panic(fmt.Sprintf("kernels: TabWeightGrad of input %+v, output gradient %+v: want the same positive H, W and C_out a multiple of 32, or 16 with an even C", lx, ly))
	}
	k, plane, r := ly.Grid(), ly.Plane(), lx.Stride()
	if len(xpad) < lx.Len() || len(dpad) < ly.Len() || len(dyT) < k*cout || len(gT) < 9*cin*cout {
		panic(fmt.Sprintf("kernels: TabWeightGrad: x %d, dY %d, scratch %d, gradient %d floats, want %d, %d, %d, %d",
			len(xpad), len(dpad), len(dyT), len(gT), lx.Len(), ly.Len(), k*cout, 9*cin*cout))
	}
	tw := 32 // output channels per tile
	if cout == 16 {
		tw = 16
	}
	// dyT holds tile t of the transposed grid, [K, tw], at t·K·tw.
	g := dpad[1+ly.Stride():]
	for i0 := 0; i0 < cout; i0 += 16 {
		t, ii := i0/tw, i0%tw
		for j0 := 0; j0 < k; j0 += 16 {
			cols := min(16, k-j0)
			tapTranspose(dyT[t*k*tw+j0*tw+ii:], tw, g[i0*plane+j0:], plane, 16, cols)
		}
	}
	nb := (k + tapKB - 1) / tapKB
	for b := range nb {
		k0, k1 := b*k/nb, (b+1)*k/nb
		for t := 0; t < cout/tw; t++ {
			dt := dyT[t*k*tw+k0*tw:]
			if tw == 16 {
				for c := 0; c < cin; c += 2 {
					tapGrad18x16(k1-k0, dt, xpad[c*lx.Plane()+k0:], r, lx.Plane(), gT[c*9*cout:], cout)
				}
				continue
			}
			for c := range cin {
				tapGrad9x32(k1-k0, dt, xpad[c*lx.Plane()+k0:], r, gT[c*9*cout+t*tw:], cout)
			}
		}
	}
}

// tapGrad9x32 adds to the 9×32 tile g (row stride ldg) the products of k
// steps: g[ky·3+kx][i] += Σ_j dt[j·32+i] · x[ky·r+kx+j] (the nine taps
// of one input channel against 32 output channels).
func tapGrad9x32(k int, dt, x []float32, r int, g []float32, ldg int) {
	_ = dt[k*32-1]
	_ = x[2*r+2+k-1]
	_ = g[8*ldg+31]
	if tapAsm {
		tapGrad9x32AVX512(k, &dt[0], &x[0], r, &g[0], ldg)
		return
	}
	var off [25]int
	tapGradGo(k, 32, dt, x, tapOffsets(&off, 3, r, 0, 1), g, ldg)
}

// tapGrad18x16 adds to the 18×16 tile g the products of k steps for two
// input channels, the second's plane plane floats after the first's: rows
// 0–8 are the first channel's taps, 9–17 the second's.
func tapGrad18x16(k int, dt, x []float32, r, plane int, g []float32, ldg int) {
	_ = dt[k*16-1]
	_ = x[plane+2*r+2+k-1]
	_ = g[17*ldg+15]
	if tapAsm {
		tapGrad18x16AVX512(k, &dt[0], &x[0], r, plane, &g[0], ldg)
		return
	}
	var off [25]int
	tapGradGo(k, 16, dt, x, tapOffsets(&off, 3, r, plane, 2), g, ldg)
}

// tapTranspose writes the transpose of the rows×cols block of src (row
// stride lds) to dst (row stride ldd): dst[j·ldd+i] = src[i·lds+j], for
// rows, cols ≤ 16, with transposeAVX512 where tapAsm allows.
func tapTranspose(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	_ = dst[(cols-1)*ldd+rows-1]
	_ = src[(rows-1)*lds+cols-1]
	if tapAsm {
		transposeAVX512(&dst[0], ldd, &src[0], lds, rows, cols)
		return
	}
	for i := range rows {
		for j := range cols {
			dst[j*ldd+i] = src[i*lds+j]
		}
	}
}

// tapOffsets returns, in dst, the offsets in x of the taps of the
// kernels' tiles: channels planes of a kk×kk window on rows r floats
// apart, the planes plane floats apart, tap ky·kk+kx of channel c at
// c·plane + ky·r + kx (at most 25 taps).
func tapOffsets(dst *[25]int, kk, r, plane, channels int) []int {
	off := dst[:0]
	for c := range channels {
		for ky := range kk {
			for kx := range kk {
				off = append(off, c*plane+ky*r+kx)
			}
		}
	}
	return off
}

// tapGradGo is the kernels' loop: for each tap t (row t of g, at offset
// off[t] in x) and each of tw output channels, a sum formed in increasing
// j from zero and then added to g, as the assembly does (which fuses each
// multiply-add into one rounding).
func tapGradGo(k, tw int, dt, x []float32, off []int, g []float32, ldg int) {
	var acc [25 * 32]float32
	for j := range k {
		d := dt[j*tw : (j+1)*tw]
		for t, o := range off {
			v := x[o+j]
			a := acc[t*tw : (t+1)*tw]
			for i, dv := range d {
				a[i] += dv * v
			}
		}
	}
	for t := range off {
		row := g[t*ldg : t*ldg+tw]
		for i := range row {
			row[i] += acc[t*tw+i]
		}
	}
}

// ValidWeightGrad5x5OK reports whether ValidWeightGrad5x5 takes a layer
// with cout output channels on this machine: a multiple of 16, and the
// AVX-512 kernel present.
func ValidWeightGrad5x5OK(cout int) bool { return tapAsm && cout > 0 && cout%16 == 0 }

// validGrid returns the steps of ValidWeightGrad5x5's kernel for an image
// h×w and output oh×ow: output pixel (y, x) is grid column y·w + x, and
// the grid stops after the last one, so that the taps (ky·w + kx further)
// stay inside the image.
func validGrid(w, oh, ow int) int { return (oh-1)*w + ow }

// ValidWeightGrad5x5Scratch returns the floats of scratch that
// ValidWeightGrad5x5 needs for an h×w image (any h ≥ 5), w ≥ 5 wide, and
// cout output channels.
func ValidWeightGrad5x5Scratch(h, w, cout int) int { return validGrid(w, h-4, w-4) * cout }

// ValidWeightGrad5x5 adds one image's weight gradient of a 5×5
// convolution with stride 1 and no padding, transposed, to gT [25·C, Cout]
// (row stride cout):
//
//	gT[c·25+ky·5+kx][co] += Σ_{y,x} dy[co][y][x] · x[c][y+ky][x+kx]
//
// for x [C, H, W] and dy [Cout, H−4, W−4], both read in place: the
// tap-broadcast kernel of TabWeightGrad with the image's own rows as the
// grid (the columns x ≥ W−4 of each grid row get a zero dY, so the taps
// that wrap into the next row add nothing). dyT is scratch of
// ValidWeightGrad5x5Scratch(h, w, cout) floats. Sums run in increasing
// grid column within blocks of about tapKB, blocks added in order. It
// panics unless cout is a positive multiple of 16 and the image at least
// 5×5.
func ValidWeightGrad5x5(x, dy []float32, c, h, w, cout int, dyT, gT []float32) {
	oh, ow := h-4, w-4
	if c < 1 || oh < 1 || ow < 1 || cout < 1 || cout%16 != 0 {
		panic(fmt.Sprintf("kernels: ValidWeightGrad5x5 of %d×%d×%d input, %d outputs: want an image of 5×5 or more and a multiple of 16 outputs", c, h, w, cout))
	}
	k := validGrid(w, oh, ow)
	if len(x) < c*h*w || len(dy) < cout*oh*ow || len(dyT) < k*cout || len(gT) < 25*c*cout {
		panic(fmt.Sprintf("kernels: ValidWeightGrad5x5: x %d, dY %d, scratch %d, gradient %d floats, want %d, %d, %d, %d",
			len(x), len(dy), len(dyT), len(gT), c*h*w, cout*oh*ow, k*cout, 25*c*cout))
	}
	// dyT holds tile t of dY on the grid, transposed: [K, 16] at t·K·16.
	ohw := oh * ow
	for t := 0; t < cout/16; t++ {
		dt := dyT[t*k*16 : (t+1)*k*16]
		src := dy[t*16*ohw:]
		for y := 0; y < oh; y++ {
			row := dt[y*w*16:]
			for x0 := 0; x0 < ow; x0 += 16 {
				tapTranspose(row[x0*16:], 16, src[y*ow+x0:], ohw, 16, min(16, ow-x0))
			}
			if y < oh-1 {
				clear(row[ow*16 : w*16])
			}
		}
	}
	nb := (k + tapKB - 1) / tapKB
	for b := range nb {
		k0, k1 := b*k/nb, (b+1)*k/nb
		for t := 0; t < cout/16; t++ {
			dt := dyT[t*k*16+k0*16:]
			for ci := range c {
				tapGrad25x16(k1-k0, dt, x[ci*h*w+k0:], w, gT[ci*25*cout+t*16:], cout)
			}
		}
	}
}

// tapGrad25x16 adds to the 25×16 tile g (row stride ldg) the products of
// k steps: g[ky·5+kx][i] += Σ_j dt[j·16+i] · x[ky·w+kx+j].
func tapGrad25x16(k int, dt, x []float32, w int, g []float32, ldg int) {
	_ = dt[k*16-1]
	_ = x[4*w+4+k-1]
	_ = g[24*ldg+15]
	if tapAsm {
		tapGrad25x16AVX512(k, &dt[0], &x[0], w, &g[0], ldg)
		return
	}
	var off [25]int
	tapGradGo(k, 16, dt, x, tapOffsets(&off, 5, w, 0, 1), g, ldg)
}
