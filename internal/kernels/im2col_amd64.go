//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// im2colTapAVX512 writes the rows of one kernel tap of Im2col for a
// stride-1 column: for oy < oh, with y = y0 + oy·sh, row oy of dst (ow
// values) is src[y·w + x0 + ox] for ox in [lo, hi) and 0 elsewhere, or all
// 0 when y is outside [0, h) (im2col_amd64.s).
//
//go:noescape
func im2colTapAVX512(dst, src *float32, oh, ow, w, h, y0, sh, x0, lo, hi int)

// im2colTap2AVX512 is im2colTapAVX512 for a column stride of 2: input
// column x0 + 2·ox feeds output column ox (lo and hi are not read).
//
//go:noescape
func im2colTap2AVX512(dst, src *float32, oh, ow, w, h, y0, sh, x0, lo, hi int)

// im2colTapSmallAVX512 and col2imTapSmallAVX512 are im2colTapAVX512 and
// col2imTapAVX512 for rows of ow ≤ 32 columns, with the masks of the
// row's two chunks formed once per tap.
//
//go:noescape
func im2colTapSmallAVX512(dst, src *float32, oh, ow, w, h, y0, sh, x0, lo, hi int)

//go:noescape
func col2imTapSmallAVX512(img, col *float32, oh, ow, w, h, y0, sh, x0, lo, hi int)

// col2imTapAVX512 is the adjoint of im2colTapAVX512: for each oy whose y is
// inside [0, h), img[y·w + x0 + ox] += col[oy·ow + ox] for ox in [lo, hi).
//
//go:noescape
func col2imTapAVX512(img, col *float32, oh, ow, w, h, y0, sh, x0, lo, hi int)

// im2colAsm reports whether Im2col uses the AVX-512 tap kernels for
// column strides 1 and 2, and Col2im for stride 1; tests may turn it off while no kernel runs.
var im2colAsm = cpu.X86.HasAVX512F

// col2imRowAVX512 adds n ≥ 1 taps into one image row of w ≤ 16 floats at
// dst (im2col_amd64.s; see col2imSmall): tap t adds the floats at col +
// offs[t] + lane, for the lanes set in masks[t], to lane of the row. The
// row is read and written once.
//
//go:noescape
func col2imRowAVX512(dst *float32, w int, col *float32, offs *int, masks *uint16, n int)
