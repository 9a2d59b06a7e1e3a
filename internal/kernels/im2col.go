package kernels

// ConvGeom describes a 2-D convolution (or pooling) window sliding over one
// image of one channel group.
type ConvGeom struct {
	C, H, W    int // input channels, height, width
	KH, KW     int // kernel height, width
	SH, SW     int // stride
	PadT, PadL int // zero padding before the first row / column
	DH, DW     int // dilation
	OH, OW     int // output height, width
}

// Im2col unfolds img [C, H, W] into col [C·KH·KW, OH·OW]: row (c·KH+i)·KW+j
// holds, for every output position, the input pixel under kernel tap (i, j)
// of channel c, or 0 where the tap falls in the padding.
func Im2col(g *ConvGeom, img, col []float32) {
	ohw := g.OH * g.OW
	for c := 0; c < g.C; c++ {
		plane := img[c*g.H*g.W : (c+1)*g.H*g.W]
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				row := col[((c*g.KH+i)*g.KW+j)*ohw:][:ohw]
				for oy := 0; oy < g.OH; oy++ {
					y := oy*g.SH - g.PadT + i*g.DH
					dst := row[oy*g.OW : (oy+1)*g.OW]
					if y < 0 || y >= g.H {
						clear(dst)
						continue
					}
					src := plane[y*g.W : (y+1)*g.W]
					x := -g.PadL + j*g.DW
					for ox := range dst {
						if x >= 0 && x < g.W {
							dst[ox] = src[x]
						} else {
							dst[ox] = 0
						}
						x += g.SW
					}
				}
			}
		}
	}
}

// Col2im is the adjoint of Im2col: it adds every entry of col
// [C·KH·KW, OH·OW] into the input pixel img [C, H, W] it was taken from
// (entries taken from the padding are dropped). img is accumulated into, not
// overwritten.
func Col2im(g *ConvGeom, col, img []float32) {
	ohw := g.OH * g.OW
	for c := 0; c < g.C; c++ {
		plane := img[c*g.H*g.W : (c+1)*g.H*g.W]
		for i := 0; i < g.KH; i++ {
			for j := 0; j < g.KW; j++ {
				row := col[((c*g.KH+i)*g.KW+j)*ohw:][:ohw]
				for oy := 0; oy < g.OH; oy++ {
					y := oy*g.SH - g.PadT + i*g.DH
					if y < 0 || y >= g.H {
						continue
					}
					dst := plane[y*g.W : (y+1)*g.W]
					src := row[oy*g.OW : (oy+1)*g.OW]
					x := -g.PadL + j*g.DW
					for ox := range src {
						if x >= 0 && x < g.W {
							dst[x] += src[ox]
						}
						x += g.SW
					}
				}
			}
		}
	}
}
