package kernels

import "fmt"

// Winograd F(4×4, 3×3) convolution (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", arXiv:1509.09308), for 3×3 kernels with
// stride 1 and dilation 1, in three passes that an engine runs over its own
// goroutines:
//
//  1. WinogradInput: every 6×6 input tile d (tiles step 4 pixels, reading
//     zeros in the padding) becomes V = Bᵀ d B, scattered into 36 matrices
//     V[ξ] [C, N] (N tiles as columns).
//  2. 36 independent GEMMs  M[ξ] [Cout, N] = U[ξ] [Cout, C] · V[ξ] [C, N],
//     U = G g Gᵀ being the weights transformed once by WinogradWeights.
//  3. WinogradOutput: every tile's 6×6 m gathered from the M[ξ] becomes the
//     4×4 output block Aᵀ m A, finished by an Epilogue.
//
// Interpolation points 0, ±1, ±2, ∞. The transforms multiply by small
// integers only (G's fractions are applied in float64 to the weights), so
// the error over a direct convolution comes from the GEMM's sums of
// transformed values, whose magnitude is up to ~100× the input's: expect a
// relative error of order 1e-5…1e-4 of the output's scale in float32.

// Winograd tile sizes: WinogradAlpha = WinogradTile + 3 − 1.
const (
	WinogradTile  = 4
	WinogradAlpha = 6
	WinogradN     = WinogradAlpha * WinogradAlpha // 36 GEMMs
)

// WinogradGeom is the geometry of one Winograd convolution of an image.
type WinogradGeom struct {
	H, W       int // input height and width
	PadT, PadL int // zero padding before the first row / column
	OH, OW     int // output height and width (OH ≤ H + PadT + PadB − 2)
	TH, TW     int // tiles down and across: ⌈OH/4⌉, ⌈OW/4⌉

	plan *winoPlan // chunks of the AVX-512 transforms, or nil (computed per call)
}

// NewWinogradGeom returns the geometry of a 3×3 stride-1 convolution of an
// h×w input with padding padT, padL giving an oh×ow output. With the
// AVX-512 transforms it also describes, once, their chunks of tiles.
func NewWinogradGeom(h, w, padT, padL, oh, ow int) WinogradGeom {
	g := WinogradGeom{H: h, W: w, PadT: padT, PadL: padL, OH: oh, OW: ow,
		TH: (oh + WinogradTile - 1) / WinogradTile, TW: (ow + WinogradTile - 1) / WinogradTile}
	if winoVector && g.Tiles() > 0 {
		g.plan = newWinoPlan(&g)
	}
	return g
}

// Tiles returns the number of tiles of one image: TH·TW.
func (g *WinogradGeom) Tiles() int { return g.TH * g.TW }

// WinogradWeights transforms w [cout, cin, 3, 3] into u [36, cout, cin]:
// u[ξ][o][c] = (G w[o][c] Gᵀ)[ξ], computed in float64 and rounded once. u
// must hold 36·cout·cin values.
func WinogradWeights(cout, cin int, w, u []float32) {
	if len(w) < cout*cin*9 || len(u) < WinogradN*cout*cin {
		panic(fmt.Sprintf("kernels: WinogradWeights %d×%d: w %d, u %d elements are too few", cout, cin, len(w), len(u)))
	}
	g3 := func(a, b, c float64) [6]float64 {
		return [6]float64{a / 4, -(a + b + c) / 6, -(a - b + c) / 6, a/24 + b/12 + c/6, a/24 - b/12 + c/6, c}
	}
	plane := cout * cin
	for o := 0; o < cout; o++ {
		for c := 0; c < cin; c++ {
			k := w[(o*cin+c)*9:][:9]
			var t [3][6]float64 // G g, column by column: t[j] = G·(column j of g)
			for j := 0; j < 3; j++ {
				t[j] = g3(float64(k[j]), float64(k[3+j]), float64(k[6+j]))
			}
			for i := 0; i < 6; i++ {
				r := g3(t[0][i], t[1][i], t[2][i]) // row i of (G g) Gᵀ
				for j := 0; j < 6; j++ {
					u[(i*6+j)*plane+o*cin+c] = float32(r[j])
				}
			}
		}
	}
}

// WinogradWeights32 is WinogradWeights in float32 arithmetic (G's
// fractions applied as products by their float32 values), for output
// channels [o0, o1) only, so that threads can share the transform of one
// layer's weights: u[ξ][o][c] = (G w[o][c] Gᵀ)[ξ] for o in [o0, o1). A
// training step transforms its weights afresh every step, which the
// float64 divisions of WinogradWeights made cost as much as the products
// of a deep layer at batch 16 (170 ns per weight pair, scalar).
func WinogradWeights32(cout, cin int, w, u []float32, o0, o1 int) {
	if len(w) < cout*cin*9 || len(u) < WinogradN*cout*cin || o0 < 0 || o1 > cout || o0 > o1 {
		panic(fmt.Sprintf("kernels: WinogradWeights32 %d×%d, channels [%d, %d): w %d, u %d elements", cout, cin, o0, o1, len(w), len(u)))
	}
	const q, s6, s12, s24 = 0.25, float32(1.0 / 6), float32(1.0 / 12), float32(1.0 / 24)
	g3 := func(a, b, c float32) (r0, r1, r2, r3, r4, r5 float32) {
		ac := a + c
		e, o := a*s24+c*s6, b*s12
		return a * q, -(ac + b) * s6, -(ac - b) * s6, e + o, e - o, c
	}
	plane := cout * cin
	var blk [WinogradN][16]float32 // 16 pairs' transforms, copied out row by row
	for o := o0; o < o1; o++ {
		for c0 := 0; c0 < cin; c0 += 16 {
			nc := min(16, cin-c0)
			for j := 0; j < nc; j++ {
				k := (*[9]float32)(w[(o*cin+c0+j)*9:])
				// G g, column by column, then each row of it times Gᵀ.
				a0, a1, a2, a3, a4, a5 := g3(k[0], k[3], k[6])
				b0, b1, b2, b3, b4, b5 := g3(k[1], k[4], k[7])
				d0, d1, d2, d3, d4, d5 := g3(k[2], k[5], k[8])
				blk[0][j], blk[1][j], blk[2][j], blk[3][j], blk[4][j], blk[5][j] = g3(a0, b0, d0)
				blk[6][j], blk[7][j], blk[8][j], blk[9][j], blk[10][j], blk[11][j] = g3(a1, b1, d1)
				blk[12][j], blk[13][j], blk[14][j], blk[15][j], blk[16][j], blk[17][j] = g3(a2, b2, d2)
				blk[18][j], blk[19][j], blk[20][j], blk[21][j], blk[22][j], blk[23][j] = g3(a3, b3, d3)
				blk[24][j], blk[25][j], blk[26][j], blk[27][j], blk[28][j], blk[29][j] = g3(a4, b4, d4)
				blk[30][j], blk[31][j], blk[32][j], blk[33][j], blk[34][j], blk[35][j] = g3(a5, b5, d5)
			}
			for xi := range blk {
				copy(u[xi*plane+o*cin+c0:][:nc], blk[xi][:nc])
			}
		}
	}
}

// bt6 computes Bᵀ z for a 6-vector z,
//
//	Bᵀ = [4  0 −5  0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0;
//	      0 −2 −1  2 1 0; 0  2 −1 −2 1 0; 0 4  0 −5 0 1],
//
// in the order of operations of the AVX-512 kernel (winograd_amd64.s),
// which computes each product by 2 or 4 and the following sum in one fused
// multiply-add: the factors are powers of two, so the products are exact
// and fused or not the results are the same bits.
func bt6(z0, z1, z2, z3, z4, z5 float32) (r0, r1, r2, r3, r4, r5 float32) {
	a, b, u := z4-z2, z0-z2, z3-z1
	r0 = a + 4*b
	r1 = (z3 + z4) - 4*(z1+z2)
	r2 = (z4 - z3) + 4*(z1-z2)
	r3 = a + 2*u
	r4 = a - 2*u
	r5 = (z5 - z3) - 4*u
	return
}

// at6 computes Aᵀ m for a 6-vector m.
func at6(m0, m1, m2, m3, m4, m5 float32) (y0, y1, y2, y3 float32) {
	s12, d12 := m1+m2, m1-m2
	s34, d34 := m3+m4, m3-m4
	y0 = m0 + s12 + s34
	y1 = d12 + 2*d34
	y2 = s12 + 4*s34
	y3 = d12 + 8*d34 + m5
	return
}

// WinogradInput transforms channels [c0, c1) of the image x [C, H, W] into
// v: the transformed tile t (row-major over the TH×TW tiles) of channel c
// goes to v[ξ·vStride + c·ldv + col0 + t] for ξ in [0, 36). It runs on the
// calling goroutine and does not allocate.
func WinogradInput(g *WinogradGeom, x []float32, c0, c1 int, v []float32, vStride, ldv, col0 int) {
	hw := g.H * g.W
	if len(x) < c1*hw {
		panic(fmt.Sprintf("kernels: WinogradInput channels [%d, %d) of a %d×%d image: x has %d elements", c0, c1, g.H, g.W, len(x)))
	}
	if c0 >= c1 {
		return
	}
	if winoVector {
		if need := (WinogradN-1)*vStride + (c1-1)*ldv + col0 + g.Tiles(); len(v) < need || col0 < 0 {
			panic(fmt.Sprintf("kernels: WinogradInput channels [%d, %d) at column %d: v has %d elements, want %d", c0, c1, col0, len(v), need))
		}
		winogradInputVec(g, x, c0, c1, v, vStride, ldv, col0)
		return
	}
	var d [WinogradN]float32
	for c := c0; c < c1; c++ {
		src := x[c*hw : (c+1)*hw]
		base := c*ldv + col0
		for ty := 0; ty < g.TH; ty++ {
			y0 := ty*WinogradTile - g.PadT
			for tx := 0; tx < g.TW; tx++ {
				x0 := tx*WinogradTile - g.PadL
				if y0 >= 0 && x0 >= 0 && y0+WinogradAlpha <= g.H && x0+WinogradAlpha <= g.W {
					for i := 0; i < WinogradAlpha; i++ {
						k := (y0+i)*g.W + x0
						r := src[k : k+6 : k+6]
						d[i*6], d[i*6+1], d[i*6+2], d[i*6+3], d[i*6+4], d[i*6+5] = r[0], r[1], r[2], r[3], r[4], r[5]
					}
				} else {
					for i := 0; i < WinogradAlpha; i++ {
						iy := y0 + i
						for j := 0; j < WinogradAlpha; j++ {
							ix := x0 + j
							if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
								d[i*6+j] = src[iy*g.W+ix]
							} else {
								d[i*6+j] = 0
							}
						}
					}
				}
				// Columns: d ← Bᵀ d (per column j), then rows: d ← d B.
				for j := 0; j < 6; j++ {
					d[j], d[6+j], d[12+j], d[18+j], d[24+j], d[30+j] = bt6(d[j], d[6+j], d[12+j], d[18+j], d[24+j], d[30+j])
				}
				o := base + ty*g.TW + tx
				for i := 0; i < 6; i++ {
					r := d[i*6 : i*6+6 : i*6+6]
					a0, a1, a2, a3, a4, a5 := bt6(r[0], r[1], r[2], r[3], r[4], r[5])
					k := i * 6 * vStride
					v[o+k] = a0
					v[o+k+vStride] = a1
					v[o+k+2*vStride] = a2
					v[o+k+3*vStride] = a3
					v[o+k+4*vStride] = a4
					v[o+k+5*vStride] = a5
				}
			}
		}
	}
}

// WinogradOutput finishes output channels [o0, o1) of one image: tile t of
// channel o is gathered from m[ξ·mStride + o·ldm + col0 + t], transformed
// to its 4×4 block Aᵀ m A and written into y [Cout, OH, OW] (cut at the
// bottom and right edges), finished by ep: Bias indexed by o, Residual laid
// out like y (ep.ResLd is ignored), then the activation. The bias and the
// residual are added, and a ReLU applied (as max(v, 0), which also turns
// −0 into +0), while the block is in registers; other activations run over
// each band of 4 output rows (with the AVX-512 kernels, over the channels
// once finished). It runs on the calling goroutine and does not allocate.
func WinogradOutput(g *WinogradGeom, m []float32, mStride, ldm, col0 int, y []float32, ep *Epilogue, o0, o1 int) {
	ohw := g.OH * g.OW
	if len(y) < o1*ohw {
		panic(fmt.Sprintf("kernels: WinogradOutput channels [%d, %d) of %d×%d: y has %d elements", o0, o1, g.OH, g.OW, len(y)))
	}
	var act Activation
	if ep != nil {
		act = ep.Act
	}
	relu := act.Kind == ActReLU
	if o0 >= o1 {
		return
	}
	if winoVector {
		if need := (WinogradN-1)*mStride + (o1-1)*ldm + col0 + g.Tiles(); len(m) < need || col0 < 0 {
			panic(fmt.Sprintf("kernels: WinogradOutput channels [%d, %d) at column %d: m has %d elements, want %d", o0, o1, col0, len(m), need))
		}
		winogradOutputVec(g, m, mStride, ldm, col0, y, ep, relu, o0, o1)
		if !relu && act.Kind != ActNone {
			ApplyAct(act, y[o0*ohw:o1*ohw])
		}
		return
	}
	var t [WinogradTile * WinogradAlpha]float32 // Aᵀ m: 4 rows of 6
	s := 6 * mStride
	for o := o0; o < o1; o++ {
		dst := y[o*ohw : (o+1)*ohw]
		var res []float32
		var bias float32
		if ep != nil {
			if ep.Bias != nil {
				bias = ep.Bias[o]
			}
			if ep.Residual != nil {
				res = ep.Residual[o*ohw : (o+1)*ohw]
			}
		}
		base := o*ldm + col0
		for ty := 0; ty < g.TH; ty++ {
			oy := ty * WinogradTile
			rows := min(WinogradTile, g.OH-oy)
			for tx := 0; tx < g.TW; tx++ {
				ox := tx * WinogradTile
				cols := min(WinogradTile, g.OW-ox)
				p := base + ty*g.TW + tx
				for j := 0; j < 6; j++ {
					q := p + j*mStride
					t[j], t[6+j], t[12+j], t[18+j] = at6(m[q], m[q+s], m[q+2*s], m[q+3*s], m[q+4*s], m[q+5*s])
				}
				for i := 0; i < rows; i++ {
					r := t[i*6 : i*6+6 : i*6+6]
					var v [4]float32
					v[0], v[1], v[2], v[3] = at6(r[0], r[1], r[2], r[3], r[4], r[5])
					k := (oy+i)*g.OW + ox
					v[0] += bias
					v[1] += bias
					v[2] += bias
					v[3] += bias
					if res != nil {
						if cols == WinogradTile {
							rr := res[k : k+4 : k+4]
							v[0] += rr[0]
							v[1] += rr[1]
							v[2] += rr[2]
							v[3] += rr[3]
						} else {
							for c, rv := range res[k : k+cols] {
								v[c] += rv
							}
						}
					}
					if relu {
						v[0], v[1], v[2], v[3] = max(v[0], 0), max(v[1], 0), max(v[2], 0), max(v[3], 0)
					}
					if cols == WinogradTile {
						out := dst[k : k+4 : k+4]
						out[0], out[1], out[2], out[3] = v[0], v[1], v[2], v[3]
						continue
					}
					copy(dst[k:k+cols], v[:cols])
				}
			}
			if !relu && act.Kind != ActNone {
				ApplyAct(act, dst[oy*g.OW:(oy+rows)*g.OW])
			}
		}
	}
}

// The AVX-512 transforms (winograd_amd64.s) work on chunks of up to 16
// tiles, one tile per lane of a ZMM register. A chunk's tiles are
// consecutive in the row-major tile order and may span several rows of
// tiles; each run of tiles within one row of tiles is a segment, described
// to the kernel by a winoInSeg or winoOutSeg. The transforms of all lanes
// run together; loads and stores use each segment's lane masks, so no
// memory outside the image, v or m is touched (a masked-off lane's address
// may lie outside them, which AVX-512 masked loads and stores allow).

// winoLanes is the number of tiles one AVX-512 transform handles at once.
const winoLanes = 16

// winoRStride is the row stride, in floats, of the input kernel's scratch:
// 6 rows (one per row of Bᵀ d) of up to 4·15 + 5·16 columns.
const winoRStride = 160

// winoInSeg describes to winoInAVX512 one segment of an input chunk: n ≤ 16
// consecutive tiles of one row of tiles, in lanes [lane, lane+n). The
// kernel first computes the column transform Bᵀ d of the segment's 6 input
// rows over its 4n + 2 input columns, 16 columns at a time (nb blocks),
// into the scratch R [6, winoRStride] from column 4·lane on (a segment
// leaves at least one lane free before the next, so its last two columns
// do not overlap the next segment's first); then, for the whole chunk, it
// deinterleaves each row of R into the 6 columns of the 16 tiles and
// finishes with the row transform.
//
// The field offsets are used by winograd_amd64.s: change both together.
type winoInSeg struct {
	off   int          // element offset in the channel of input row 4ty − PadT, column 4tx − PadL (may be negative)
	r     int          // byte offset in R of the segment's first column: 16·lane
	nb    int          // blocks of 16 columns: ⌈(4n + 2)/16⌉
	v     int          // element offset in v's rows of lane 0 from the chunk's first tile: t − t0 − lane
	smask int          // lanes to store: bits [lane, lane+n)
	lmask [6][5]uint16 // lanes of block q of input row i inside the image (0 for rows outside)
}

// winoInSegs describes the chunk of tiles starting at tile t0 in segs; it
// returns the number of segments and of tiles.
func winoInSegs(g *WinogradGeom, t0 int, segs *[winoLanes / 2]winoInSeg) (ns, nt int) {
	lane, t, tiles := 0, t0, g.Tiles()
	for lane < winoLanes && t < tiles {
		ty, tx := t/g.TW, t%g.TW
		n := min(g.TW-tx, winoLanes-lane)
		y0, x0 := ty*WinogradTile-g.PadT, tx*WinogradTile-g.PadL
		s := &segs[ns]
		s.off = y0*g.W + x0
		s.r = 4 * 4 * lane
		s.nb = (4*n + 2 + 15) / 16
		s.v = t - t0 - lane
		s.smask = (1<<n - 1) << lane
		for i := range s.lmask {
			for q := range s.lmask[i] {
				var mk uint16
				if y := y0 + i; y >= 0 && y < g.H && q < s.nb {
					c := x0 + 16*q // input column of the block's lane 0
					lo, hi := max(0, min(16, -c)), max(0, min(16, g.W-c))
					if hi > lo {
						mk = uint16(1<<hi - 1<<lo)
					}
				}
				s.lmask[i][q] = mk
			}
		}
		ns++
		lane += n + 1
		t += n
	}
	return ns, t - t0
}

// winogradInputVec is WinogradInput by the AVX-512 kernel, channel by
// channel, each channel chunk by chunk (so that the rows of v are written
// in order, whole cache lines at a time).
func winogradInputVec(g *WinogradGeom, x []float32, c0, c1 int, v []float32, vStride, ldv, col0 int) {
	var r [6 * winoRStride]float32
	hw := g.H * g.W
	p := g.planFor()
	if p == nil {
		var segs [winoLanes / 2]winoInSeg
		for t0, tiles := 0, g.Tiles(); t0 < tiles; {
			ns, nt := winoInSegs(g, t0, &segs)
			for c := c0; c < c1; c++ {
				winoInAVX512(&x[c*hw], g.W, &v[c*ldv+col0+t0], vStride, &segs[0], ns, &r[0])
			}
			t0 += nt
		}
		return
	}
	for c := c0; c < c1; c++ {
		for _, k := range p.inChunks {
			winoInAVX512(&x[c*hw], g.W, &v[c*ldv+col0+k.t0], vStride, &p.in[k.seg], k.nseg, &r[0])
		}
	}
}

// winoChunk is one chunk of a winoPlan: tiles [t0, t0+nt), segments
// [seg, seg+nseg) of the plan's list.
type winoChunk struct{ t0, nt, seg, nseg int }

// winoPlan lists the chunks of the AVX-512 input and output transforms of
// one geometry, described once when the geometry is made.
type winoPlan struct {
	shape     [8]int // the geometry it describes (winoShape)
	in        []winoInSeg
	inChunks  []winoChunk
	out       []winoOutSeg
	outChunks []winoChunk
}

// winoShape is the part of a geometry that a plan depends on.
func winoShape(g *WinogradGeom) [8]int {
	return [8]int{g.H, g.W, g.PadT, g.PadL, g.OH, g.OW, g.TH, g.TW}
}

// planFor returns g's plan if it still describes g: the fields of a
// WinogradGeom are exported, and a plan for other sizes would make the
// kernels write outside the checked slices. Otherwise the transforms
// describe their chunks per call.
func (g *WinogradGeom) planFor() *winoPlan {
	if g.plan != nil && g.plan.shape == winoShape(g) {
		return g.plan
	}
	return nil
}

// newWinoPlan describes all chunks of g.
func newWinoPlan(g *WinogradGeom) *winoPlan {
	p := &winoPlan{shape: winoShape(g)}
	var in [winoLanes / 2]winoInSeg
	var out [winoLanes]winoOutSeg
	for t0, tiles := 0, g.Tiles(); t0 < tiles; {
		ns, nt := winoInSegs(g, t0, &in)
		p.inChunks = append(p.inChunks, winoChunk{t0, nt, len(p.in), ns})
		p.in = append(p.in, in[:ns]...)
		t0 += nt
	}
	for t0, tiles := 0, g.Tiles(); t0 < tiles; {
		ns, nt := winoOutSegs(g, t0, &out)
		p.outChunks = append(p.outChunks, winoChunk{t0, nt, len(p.out), ns})
		p.out = append(p.out, out[:ns]...)
		t0 += nt
	}
	return p
}

// winoOutSeg describes to winoOutAVX512 one segment of an output chunk: n
// consecutive tiles of one row of tiles, in lanes [lane, lane+n). The
// kernel's 4 output rows of the chunk are 64 values each (4 per lane); the
// segment's part of row i is stored at element off + i·OW under mask.
//
// The field offsets are used by winograd_amd64.s: change both together.
type winoOutSeg struct {
	off  int       // element offset in the channel of output row 4ty, column 4tx, less 4·lane (may be negative)
	rows int       // output rows of the tiles inside the image: min(4, OH − 4ty)
	mask [4]uint16 // of each 16 values of an output row, those of the segment inside the image
}

// winoOutSegs describes the chunk of tiles starting at tile t0 in segs; it
// returns the number of segments and of tiles.
func winoOutSegs(g *WinogradGeom, t0 int, segs *[winoLanes]winoOutSeg) (ns, nt int) {
	lane, t, tiles := 0, t0, g.Tiles()
	for lane < winoLanes && t < tiles {
		ty, tx := t/g.TW, t%g.TW
		n := min(g.TW-tx, winoLanes-lane)
		oy, ox := ty*WinogradTile, tx*WinogradTile
		s := &segs[ns]
		s.off = oy*g.OW + ox - 4*lane
		s.rows = min(WinogradTile, g.OH-oy)
		cols := min(4*n, g.OW-ox)
		mk := (uint64(1)<<cols - 1) << (4 * lane)
		for q := range s.mask {
			s.mask[q] = uint16(mk >> (16 * q))
		}
		ns++
		lane += n
		t += n
	}
	return ns, t - t0
}

// winogradOutputVec is WinogradOutput by the AVX-512 kernel, chunk by
// chunk, with the bias, the residual and (if relu) the ReLU; the caller
// applies any other activation.
func winogradOutputVec(g *WinogradGeom, m []float32, mStride, ldm, col0 int, y []float32, ep *Epilogue, relu bool, o0, o1 int) {
	var segs [winoLanes]winoOutSeg
	var t [WinogradTile * WinogradAlpha * winoLanes]float32 // Aᵀ m: [4, 6, 16 lanes]
	ohw := g.OH * g.OW
	var biasv, res []float32
	if ep != nil {
		biasv, res = ep.Bias, ep.Residual
		if res != nil && len(res) < o1*ohw {
			panic(fmt.Sprintf("kernels: WinogradOutput channels [%d, %d) of %d×%d: residual has %d elements", o0, o1, g.OH, g.OW, len(res)))
		}
	}
	chunk := func(o, t0, nt int, segs []winoOutSeg) {
		var bias float32
		if biasv != nil {
			bias = biasv[o]
		}
		var rp *float32
		if res != nil {
			rp = &res[o*ohw]
		}
		winoOutAVX512(&m[o*ldm+col0+t0], mStride, nt, &y[o*ohw], rp, g.OW, bias, relu, &segs[0], len(segs), &t[0])
	}
	p := g.planFor()
	if p == nil {
		for t0, tiles := 0, g.Tiles(); t0 < tiles; {
			ns, nt := winoOutSegs(g, t0, &segs)
			for o := o0; o < o1; o++ {
				chunk(o, t0, nt, segs[:ns])
			}
			t0 += nt
		}
		return
	}
	for o := o0; o < o1; o++ {
		for _, k := range p.outChunks {
			chunk(o, k.t0, k.nt, p.out[k.seg:k.seg+k.nseg])
		}
	}
}

// WinogradPackedWeights transforms the weights w [Cout, Cin, 3, 3] as
// WinogradWeights32 does and packs each of the 36 matrices U_ξ [Cout, Cin]
// for GemmPacked in the same pass: packed[ξ] is what PackAInto(buf[ξ·plen:],
// cout, cin, U_ξ, cin) returns, bit for bit, with plen = PackedALen(cout,
// cin) (buf holds WinogradN·plen floats). Each panel of output channels
// gathers its filters input channel by input channel, so the transform's
// results land in the micro-panels' columns with no transposing pass; the
// panels are shared out over the threads. It reports false, doing
// nothing, where the build or CPU has no AVX-512 kernel for it: the caller
// then transforms and packs in two steps.
func WinogradPackedWeights(cout, cin int, w, buf []float32, packed *[WinogradN]*PackedA) bool {
	if !winoVector || cout < 1 || cin < 1 {
		return false
	}
	kern := gemmKernelFor(cout)
	mr := kern.mr
	mrr := roundUp(cout, mr)
	plen := mrr * cin
	if len(w) < cout*cin*9 || len(buf) < WinogradN*plen {
		panic(fmt.Sprintf("kernels: WinogradPackedWeights %d×%d: w %d, buf %d elements", cout, cin, len(w), len(buf)))
	}
	ParallelFor(mrr/mr, max(1, WinogradWeightGrain/(mr*cin)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			o0 := r * mr
			rows := min(mr, cout-o0)
			for pc := 0; pc < cin; pc += prepackKC {
				kb := min(prepackKC, cin-pc)
				// Column p of panel r of block pc of each ξ's PackedA.
				winoWeightsPanelAVX512(&w[(o0*cin+pc)*9], cin*9, kb, &buf[mrr*pc+r*mr*kb], mr, plen, rows, mr)
			}
		}
	})
	for xi := range packed {
		packed[xi] = &PackedA{M: cout, K: cin, kern: kern, mr: mr, data: buf[xi*plen : (xi+1)*plen]}
	}
	return true
}

// WinogradWeightGrain is the fewest weight pairs (output · input channels)
// worth a goroutine of a weight transform: WinogradPackedWeights's, and a
// caller's split of WinogradWeights32 over output channels.
const WinogradWeightGrain = 4096
