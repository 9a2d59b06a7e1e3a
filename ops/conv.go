package ops

import (
	"fmt"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// Conv2dOptions configures a 2-D convolution. Zero values mean PyTorch's
// defaults: stride 1, no padding, dilation 1, one group.
type Conv2dOptions struct {
	Stride   [2]int // vertical, horizontal step
	Padding  [4]int // zero padding: top, left, bottom, right
	Dilation [2]int // spacing between kernel taps
	Groups   int    // Cin and Cout are split into this many independent groups
}

// SymmetricPadding returns padding of ph rows above and below and pw columns
// left and right (PyTorch's padding=(ph, pw)).
func SymmetricPadding(ph, pw int) [4]int { return [4]int{ph, pw, ph, pw} }

// ValidPadding returns no padding ("valid": the kernel stays inside the
// input).
func ValidPadding() [4]int { return [4]int{} }

// SamePadding returns the padding that makes the output size ceil(in /
// stride) ("same"; for stride 1 the output keeps the input's height and
// width). When the total padding is odd the extra row/column goes to the
// bottom/right, as TensorFlow, ONNX's SAME_UPPER and PyTorch's
// padding="same" do.
func SamePadding(h, w, kh, kw int, stride, dilation [2]int) [4]int {
	s := normPair(stride)
	d := normPair(dilation)
	one := func(in, k, s, d int) (int, int) {
		out := (in + s - 1) / s
		total := max((out-1)*s+(k-1)*d+1-in, 0)
		return total / 2, total - total/2
	}
	t, b := one(h, kh, s[0], d[0])
	l, r := one(w, kw, s[1], d[1])
	return [4]int{t, l, b, r}
}

// ConvOutputSize returns the output length of a convolution over in
// elements: ⌊(in + padBefore + padAfter − dilation·(k−1) − 1) / stride⌋ + 1.
func ConvOutputSize(in, k, stride, padBefore, padAfter, dilation int) int {
	return (in+padBefore+padAfter-dilation*(k-1)-1)/stride + 1
}

// normPair replaces zero entries (unset options) by 1.
func normPair(p [2]int) [2]int {
	if p[0] == 0 {
		p[0] = 1
	}
	if p[1] == 0 {
		p[1] = 1
	}
	return p
}

// convColCacheMax is the largest unfolded input (in elements, all images
// and groups) that Conv2d keeps from the forward pass for the weight
// gradient, instead of unfolding every image again in the backward pass.
// Larger ones (a CIFAR ResNet's layers at batch 128 unfold to tens of
// millions of elements per layer) are recomputed, which costs less than
// holding them. Tests may change it while no convolution runs.
var convColCacheMax = 1 << 22

// A layer with fewer than convWideMaxOHW output pixels per image and at
// least convWideMinWeights weights takes its weight gradient as one product
// over the whole batch, dW = dY·colᵀ with the batch's images side by side
// along the pixels ([Cout, N·OH·OW] times [N·OH·OW, Cin·KH·KW]), instead of
// one product per image summed into per-chunk partials. Per image, such a
// product runs fewer than one packed panel's depth (gemmKC = 256) of
// multiply-adds per pass over the gradient, and a gradient of that many
// weights does not stay in L2 between the images, so the per-image route
// moved all of it through memory once per image. Batch 16, two threads,
// ms per weight gradient, per image → wide: ResNet-18's 512-channel 3×3
// layers at 7×7 (2.4 M weights, 49 pixels per image) 73 → 23, ResNet-50's
// 512 → 2048 1×1 layers at 7×7 18.7 → 12.6; 256 channels at 14×14 (0.6 M
// weights) 22.9 → 23.6 and 1024 → 256 1×1 at 14×14 (0.26 M) 10.7 → 11.0
// are level, and batch-128 ResNet-20's 64-channel 8×8 layers (37 K
// weights, whose gradient stays in L2) lose, 6.1 → 7.3. The unfolded batch
// is built in the backward pass (or kept in this layout by the forward
// pass, within convColCacheMax) when it holds at most convWideMax
// elements. Tests may change these limits while no convolution runs.
var (
	convWideMaxOHW     = 256
	convWideMinWeights = 1 << 19
)

// convWideMax bounds the unfolded batch [Cin·KH·KW, N·OH·OW] of the wide
// weight gradient, in elements.
var convWideMax = 1 << 23

// convColTile is the most elements of an image's unfolded input that a
// weight gradient unfolds at a time (whole output rows, at least one): it
// multiplies each block while the block is in L2 instead of unfolding the
// whole image first. ResNet-18's 7×7 stem at batch 16 unfolds 1.8 M
// elements per image, which the product then read back from memory: its
// weight gradient took 72–80 ms, in blocks 62 ms (two threads). Tests may
// change it while no convolution runs.
var convColTile = 1 << 17

// convValid5 enables ValidWeightGrad5x5 for 5×5 convolutions without
// padding (see valid5 in Conv2d); tests turn it off to compare with the
// im2col route.
var convValid5 = true

// convGradChunks is the fixed number of batch chunks whose weight gradients
// are accumulated separately and then summed in order, so that the result
// does not depend on the number of threads.
const convGradChunks = 8

// Conv2d convolves x [N, Cin, H, W] with weight [Cout, Cin/groups, KH, KW]
// and adds bias [Cout] (bias may be nil), giving [N, Cout, OH, OW]. As in
// PyTorch it is a cross-correlation (the kernel is not flipped). Input
// channel group g (channels g·Cin/groups …) feeds output channels
// g·Cout/groups …; groups = Cin with Cout = m·Cin is a depthwise
// convolution with channel multiplier m.
func Conv2d(x, weight, bias *Var, o Conv2dOptions) *Var {
	xs, ws := x.Value.Shape(), weight.Value.Shape()
	if len(xs) != 4 || len(ws) != 4 {
		panic(fmt.Sprintf("ops: Conv2d wants input [N, C, H, W] and weight [Cout, Cin/groups, KH, KW], got %v and %v", xs, ws))
	}
	groups := max(o.Groups, 1)
	n, cin, h, w := xs[0], xs[1], xs[2], xs[3]
	cout, cg, kh, kw := ws[0], ws[1], ws[2], ws[3]
	if cin%groups != 0 || cout%groups != 0 || cg != cin/groups {
		panic(fmt.Sprintf("ops: Conv2d input %v, weight %v, groups %d: channels do not match", xs, ws, groups))
	}
	if bias != nil && (bias.Value.NDim() != 1 || bias.Value.Dim(0) != cout) {
		panic(fmt.Sprintf("ops: Conv2d bias %v for %d output channels", bias.Value.Shape(), cout))
	}
	s, d := normPair(o.Stride), normPair(o.Dilation)
	p := o.Padding
	for _, v := range p {
		if v < 0 {
			panic(fmt.Sprintf("ops: Conv2d negative padding %v", p))
		}
	}
	oh := ConvOutputSize(h, kh, s[0], p[0], p[2], d[0])
	ow := ConvOutputSize(w, kw, s[1], p[1], p[3], d[1])
	if oh <= 0 || ow <= 0 {
		panic(fmt.Sprintf("ops: Conv2d input %v with kernel %dx%d (stride %v, padding %v, dilation %v) gives an empty output", xs, kh, kw, s, p, d))
	}
	g := &kernels.ConvGeom{C: cg, H: h, W: w, KH: kh, KW: kw, SH: s[0], SW: s[1],
		PadT: p[0], PadL: p[1], DH: d[0], DW: d[1], OH: oh, OW: ow}
	if depthwiseDirect && groups == cin && cg == 1 {
		return conv2dDepthwise(x, weight, bias, o, g, n, cout/cin)
	}
	og := cout / groups                                                // output channels per group
	ckk := cg * kh * kw                                                // rows of the unfolded input
	ohw := oh * ow                                                     // output pixels per image
	direct := kh == 1 && kw == 1 && s == [2]int{1, 1} && p == [4]int{} // 1×1: the input is its own im2col
	tabGeom := tabGeometry(g, groups, p)                               // 3×3 that can be read in place (conv_tab.go)
	wino := tabGeom && winoPays(n, cin, cout, oh, ow)                  // by Winograd (conv_wino.go)
	tab := tabGeom && !wino && tabForwardPays(g)                       // or the forward pass reads it in place
	xd, wd := x.Value.Data(), weight.Value.Data()
	// wide: the weight gradient is one product over the batch (see
	// convWideMaxOHW), except where the TabLayout route's weight gradient
	// reads the padded input in place by dot products (few output
	// channels). Its routes for more channels work per image and lose to
	// the wide product where that applies: ResNet-18's step doubled when
	// the packed route took the 256- and 512-channel layers, and was 8–10 %
	// slower with tap broadcasts (kernels.TabWeightGrad) there.
	wide := groups == 1 && ohw < convWideMaxOHW && cout*ckk >= convWideMinWeights && GradEnabled() &&
		needs(weight) && ckk*n*ohw <= convWideMax && !(tabGeom && kernels.SgemmNTTabInPlace(cout))

	// valid5: a 5×5 convolution with stride 1 and no padding (LeNet-5's
	// second) forms its weight gradient per image by tap broadcasts from
	// the input itself (kernels.ValidWeightGrad5x5), which needs no
	// unfolded input: LeNet-5's training step, batch 64, two threads,
	// 3.15/3.09/3.16 → 2.83/2.91/2.81 ms (medians of 40, interleaved).
	valid5 := convValid5 && groups == 1 && kh == 5 && kw == 5 && s == [2]int{1, 1} && d == [2]int{1, 1} && p == [4]int{} &&
		!wide && GradEnabled() && needs(weight) && kernels.ValidWeightGrad5x5OK(cout)

	out, pooled := newValue([]int{n, cout, oh, ow}, x, weight, bias)
	od := out.Data()
	colLen := 0
	if !direct {
		colLen = ckk * ohw
	}
	// cache holds the unfolded input of image i, group gi at
	// (i·groups+gi)·colLen when the weight gradient will want it (see
	// convColCacheMax) — for the wide weight gradient as one [ckk, N·OH·OW]
	// matrix, image i's columns at i·OH·OW; the backward pass reads it and
	// returns it to gradPool. Im2col writes every element, so it need not
	// be zeroed.
	var cache []float32
	if colLen > 0 && !tab && !wino && !valid5 && GradEnabled() && needs(weight) && n*groups*colLen <= convColCacheMax {
		cache, _ = gradPool.getDirty(n * groups * colLen)
	}
	ldCol := ohw // row stride of the unfolded image that the product reads
	if wide && cache != nil {
		ldCol = n * ohw
	}
	// packedW: with an image per goroutine (convForEachImage's serial
	// products) and few output pixels per image, each group's weights are
	// packed once for the whole batch instead of once per image by
	// SgemmSerial, which costs 1/OH·OW of the image's product; the products
	// have the same bits. Forward pass, batch 128, two threads, ms (medians
	// of 40, three runs): 64 channels at 8×8 4.14 / 4.09 / 4.14 → 3.67 /
	// 3.81 / 3.62, 32 → 64 stride 2 to 8×8 2.89 / 2.93 / 2.87 → 2.67 / 2.84
	// / 2.81; at 16×16 outputs (16 → 32 stride 2) it was level or worse.
	// The packs go into a pooled buffer, given back after the products:
	// the size of the weights, every step.
	var packedW []*kernels.PackedA
	var packBuf []float32
	if !wino && !tab && n >= kernels.Threads() && ohw < convWideMaxOHW {
		packedW = make([]*kernels.PackedA, groups)
		plen := kernels.PackedALen(og, ckk)
		packBuf, _ = gradPool.getDirty(groups * plen)
		for gi := range packedW {
			packedW[gi] = kernels.PackAInto(packBuf[gi*plen:], og, ckk, wd[gi*og*ckk:], ckk)
		}
	}
	// forwardImage computes image i; gemm is Sgemm or SgemmSerial.
	forwardImage := func(i int, col []float32, gemm gemmFn) {
		for gi := 0; gi < groups; gi++ {
			img := xd[(i*cin+gi*cg)*h*w : (i*cin+(gi+1)*cg)*h*w]
			src := img
			ld := ohw
			if !direct {
				switch {
				case ldCol != ohw: // wide: groups is 1
					col = cache[i*ohw:]
					kernels.Im2colLd(g, img, col, ldCol)
					ld = ldCol
				case cache != nil:
					col = cache[(i*groups+gi)*colLen:][:colLen]
					kernels.Im2col(g, img, col)
				default:
					kernels.Im2col(g, img, col)
				}
				src = col
			}
			dst := od[(i*cout+gi*og)*ohw : (i*cout+(gi+1)*og)*ohw]
			if packedW != nil {
				ws := gemmScratchPool.Get()
				kernels.GemmPacked(packedW[gi], false, ohw, src, ld, dst, ohw, nil, 0, og, 0, ohw, ws)
				gemmScratchPool.Put(ws)
			} else {
				gemm(false, false, og, ohw, ckk, 1, wd[gi*og*ckk:], ckk, src, ld, 0, dst, ohw)
			}
			if bias != nil {
				addChannelBias(dst, bias.Value.Data()[gi*og:(gi+1)*og], ohw)
			}
		}
	}
	scratch := colLen
	if cache != nil {
		scratch = 0
	}
	var bd []float32
	if bias != nil {
		bd = bias.Value.Data()
	}
	switch {
	case wino:
		winoConv(xd, n, cin, h, w, wd, cout, 1, 1, oh, ow, bd, od, false)
	case tab:
		tabForward(xd, wd, bd, od, n, cin, cout, h, w)
	default:
		convForEachImage(n, scratch, forwardImage)
	}
	if packBuf != nil {
		gradPool.put(packBuf)
	}

	return resultAttrs("conv2d", o, out, func(res *Var) {
		gy := res.Grad.Data() // [N, Cout, OH, OW]
		needX, needW := needs(x), needs(weight)
		var gx, gw []float32
		// setX: gx is a fresh, unzeroed buffer (see gradDst); each image's
		// part is cleared just before its contributions are added, while
		// it is in cache, instead of the whole buffer in a pass of its own.
		var setX bool
		if needX {
			var t *tensor.Tensor
			t, setX = x.gradDst()
			gx = t.Data()
		}
		chunks := min(n, convGradChunks)
		chunkW := needW && !wide // the chunks below form the weight gradient
		var partial [][]float32  // per-chunk weight gradients
		if needW {
			gw = weight.gradBuf().Data()
		}
		if chunkW {
			partial = make([][]float32, chunks)
		}
		if wide {
			var cols []float32
			if ldCol != ohw {
				cols = cache
			}
			convWideWeightGrad(g, xd, gy, n, cin, cout, h*w, ohw, direct, cols, gw)
		}
		// winoX: the input gradient by Winograd, for the whole batch
		// before the chunks; chunkX: by the chunks.
		winoX := tabGeom && needX && winoPays(n, cout, cin, h, w)
		chunkX := needX && !winoX
		tabX := tabGeom && chunkX
		if winoX {
			rot := tabRotated(wd, cin, cout)
			winoConv(gy, n, cout, oh, ow, rot, cin, 1, 1, h, w, nil, gx, !setX)
			gradPool.put(rot)
		}
		// The TabLayout route (conv_tab.go): the input gradient as the
		// convolution of the padded dY with the turned weights wR, and the
		// weight gradient from the padded input (unless the forward pass
		// kept the unfolded input). Gathering the 32- and 64-channel
		// layers' operand through the table instead of Im2colRows took
		// ResNet-20's step (batch 128, two threads, medians of five
		// interleaved pairs) from 215 to 197 ms.
		tabW := tabGeom && chunkW && cache == nil
		// tapW: the TabLayout route's weight gradient by tap broadcasts
		// (kernels.TabWeightGrad), per-chunk partials held transposed.
		// ResNet-20, batch 128, one image's weight gradient on one thread,
		// µs: 16 channels 40 → 31, 32 channels 41 → 27, 64 channels 37 →
		// 28 (against SgemmNTTab, transpositions included).
		tapW := tabW && kernels.TabWeightGradOK(cin, cout)
		validW := valid5 && chunkW // (the weight may have been frozen since)
		// wT[gi] is group gi's Wᵀ [ckk, og], packed once for the input
		// gradients of all the images instead of once per image.
		// Pooled, as packedW is in the forward pass.
		var wT []*kernels.PackedA
		if chunkX && !direct && !tabX {
			wT = make([]*kernels.PackedA, groups)
			plen := kernels.PackedALen(ckk, og)
			wTBuf, _ := gradPool.getDirty(groups * plen)
			defer gradPool.put(wTBuf)
			for gi := range wT {
				wT[gi] = kernels.PackATInto(wTBuf[gi*plen:], ckk, og, wd[gi*og*ckk:], ckk)
			}
		}
		ly := kernels.TabLayout{C: cout, H: oh, W: ow}
		lx := kernels.TabLayout{C: cin, H: h, W: w}
		var wR *kernels.PackedA
		var offY, offX []int
		// colX: where the TabLayout forward pass does not pay (its grid
		// wastes column tiles on small images), the input gradient unfolds
		// dY with im2col instead and multiplies it by the same turned
		// weights, as the forward pass does its input: 64 channels at 8×8,
		// batch 128, two threads, 5.05 → 4.27 ms per input gradient
		// (medians of 3 runs of 100).
		colX := tabX && !tabForwardPays(g)
		gdy := kernels.ConvGeom{C: cout, H: oh, W: ow, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, DH: 1, DW: 1, OH: h, OW: w}
		// tapX: the input gradient as kernels.TabConvForward of the padded
		// dY by the turned weights, transposed into wtX [Cout·9, Cin] (see
		// tapConvImages), where its tiles fit Cin and the image width.
		tapX := tabX && !colX && tapForward && kernels.TabConvForwardOK(cin, w)
		var wtX []float32
		if tabX {
			// Turned, then packed into a pooled buffer given back after
			// the chunks: the same size as the weights, every step.
			rot := tabRotated(wd, cin, cout)
			if tapX {
				wtX, _ = gradPool.getDirty(cin * cout * 9)
				defer gradPool.put(wtX)
				kernels.TabConvWeights(wtX, rot, cin, cout*9)
			} else {
				wRBuf, _ := gradPool.getDirty(kernels.PackedALen(cin, cout*9))
				defer gradPool.put(wRBuf)
				wR = kernels.PackAInto(wRBuf, cin, cout*9, rot, cout*9)
				offY = ly.Offsets()
			}
			gradPool.put(rot)
		}
		if tabW && !tapW {
			offX = lx.Offsets()
		}
		kernels.ParallelFor(chunks, 1, func(clo, chi int) {
			// col [ckk, OH·OW] is scratch that Im2col or a beta = 0 SGEMM
			// overwrites before every read; a 1×1 convolution without
			// padding or stride needs none, nor does the TabLayout route
			// when it computes both gradients. dpad, xpad and gbuf are the
			// TabLayout route's padded dY, padded input and product grid,
			// dyT TabWeightGrad's transposed dY, each written in full
			// before it is read.
			var col, dpad, xpad, gbuf, dcol []float32
			var ws *kernels.GemmScratch
			if !direct && ((chunkX && !tabX) || (chunkW && !tabW && cache == nil)) {
				col, _ = gradPool.getDirty(ckk * ohw)
				defer gradPool.put(col)
			}
			if !direct {
				ws = gemmScratchPool.Get()
				defer gemmScratchPool.Put(ws)
			}
			if tabX || tabW {
				dpad, _ = gradPool.getDirty(ly.Len())
				defer gradPool.put(dpad)
			}
			switch {
			case tapX && !setX:
				gbuf, _ = gradPool.getDirty(cin * h * w) // the image's dX, added after
				defer gradPool.put(gbuf)
			case tabX && !tapX && !tabDirect(ow):
				gbuf, _ = gradPool.getDirty(cin * ly.Grid())
				defer gradPool.put(gbuf)
			}
			if colX {
				dcol, _ = gradPool.getDirty(cout * 9 * h * w)
				defer gradPool.put(dcol)
			}
			if tabW {
				xpad, _ = gradPool.getDirty(lx.Len())
				defer gradPool.put(xpad)
			}
			var dyT []float32
			switch {
			case tapW:
				dyT, _ = gradPool.getDirty(kernels.TabWeightGradScratch(ly))
				defer gradPool.put(dyT)
			case validW:
				dyT, _ = gradPool.getDirty(kernels.ValidWeightGrad5x5Scratch(h, w, cout))
				defer gradPool.put(dyT)
			}
			for c := clo; c < chi; c++ {
				var pw []float32
				if chunkW {
					pw = newPartial(len(wd))
					partial[c] = pw
				}
				for i := c * n / chunks; i < (c+1)*n/chunks; i++ {
					for gi := 0; gi < groups; gi++ {
						dy := gy[(i*cout+gi*og)*ohw : (i*cout+(gi+1)*og)*ohw] // [og, OH·OW]
						if tabW || (tabX && !colX) {
							ly.Pad(dy, dpad)
						}
						if tabW {
							// dW += dY · colᵀ over the grid, whose extra
							// column is zero in dpad's rows 1…H.
							lx.Pad(xd[i*cin*h*w:(i+1)*cin*h*w], xpad)
							if tapW {
								kernels.TabWeightGrad(lx, ly, xpad, dpad, dyT, pw) // pw is [ckk, cout]
							} else {
								kernels.SgemmNTTab(cout, ckk, ly.Grid(), dpad[1+ly.Stride():], ly.Plane(), xpad, offX, pw, ckk)
							}
						} else if chunkW {
							img := xd[(i*cin+gi*cg)*h*w : (i*cin+(gi+1)*cg)*h*w]
							// dW_g += dY_g · colᵀ   [og, ckk]; both are
							// read along the pixels (SgemmNT).
							switch {
							case validW:
								kernels.ValidWeightGrad5x5(img, dy, cin, h, w, cout, dyT, pw) // pw is [ckk, cout]
							case cache != nil:
								kernels.SgemmNT(og, ckk, ohw, dy, ohw, cache[(i*groups+gi)*colLen:][:colLen], ohw, pw[gi*og*ckk:], ckk)
							case direct:
								kernels.SgemmNT(og, ckk, ohw, dy, ohw, img, ohw, pw[gi*og*ckk:], ckk)
							default:
								// A few output rows at a time (see
								// convColTile), each block's product
								// added in turn.
								rows := max(1, convColTile/(ckk*ow))
								for oy0 := 0; oy0 < oh; oy0 += rows {
									oy1 := min(oh, oy0+rows)
									kb := (oy1 - oy0) * ow
									kernels.Im2colRows(g, img, col, oy0, oy1)
									kernels.SgemmNT(og, ckk, kb, dy[oy0*ow:], ohw, col, kb, pw[gi*og*ckk:], ckk)
								}
							}
						}
						if colX {
							dimg := gx[i*cin*h*w : (i+1)*cin*h*w]
							kernels.Im2col(&gdy, dy, dcol)
							dst := dimg
							if !setX {
								dst = gbuf[:cin*h*w]
							}
							kernels.GemmPacked(wR, false, h*w, dcol, h*w, dst, h*w, nil, 0, cin, 0, h*w, ws)
							if !setX {
								kernels.EngAdd(dimg, dst, dimg)
							}
						} else if tapX {
							dimg := gx[i*cin*h*w : (i+1)*cin*h*w]
							if setX {
								kernels.TabConvForward(ly, dpad, wtX, cin, dimg)
							} else {
								kernels.TabConvForward(ly, dpad, wtX, cin, gbuf)
								kernels.EngAdd(dimg, gbuf, dimg)
							}
						} else if tabX {
							dimg := gx[i*cin*h*w : (i+1)*cin*h*w]
							beta := 1 // add to dX, or write it (setX)
							if setX {
								beta = 0
							}
							tabProduct(wR, ly, dpad, offY, dimg, gbuf, beta, 0, tabColumnsOf(ly), ws)
							if !tabDirect(ly.W) {
								lx.Unpad(cin, gbuf, ly.Grid(), dimg, !setX)
							}
						} else if chunkX {
							dimg := gx[(i*cin+gi*cg)*h*w : (i*cin+(gi+1)*cg)*h*w]
							if setX {
								clear(dimg)
							}
							if direct {
								// dX_g += W_gᵀ · dY_g   [cg, H·W]
								kernels.SgemmSerial(true, false, ckk, ohw, og, 1, wd[gi*og*ckk:], ckk, dy, ohw, 1, dimg, ohw)
							} else {
								kernels.GemmPacked(wT[gi], false, ohw, dy, ohw, col, ohw, nil, 0, ckk, 0, ohw, ws)
								kernels.Col2im(g, col, dimg)
							}
						}
					}
				}
			}
		})
		if cache != nil {
			gradPool.put(cache)
			cache = nil
		}
		switch {
		case tapW || validW:
			addPartialsT(gw, partial, cout, ckk)
		case chunkW:
			addPartials(gw, partial)
		}
		if needs(bias) {
			convBiasGrad(bias.gradBuf().Data(), gy, n, cout, ohw)
		}
	}, x, weight, bias).owns(pooled)
}
