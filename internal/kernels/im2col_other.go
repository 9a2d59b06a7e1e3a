//go:build !amd64 || noasm

package kernels

// im2colAsm is false: this build has only the Go loops.
var im2colAsm = false

func im2colTapAVX512(dst, src *float32, oh, ow, w, h, y0, sh, x0, lo, hi int) {
	panic("kernels: no assembly in this build")
}

func col2imTapAVX512(img, col *float32, oh, ow, w, h, y0, sh, x0, lo, hi int) {
	panic("kernels: no assembly in this build")
}

func im2colTap2AVX512(dst, src *float32, oh, ow, w, h, y0, sh, x0, lo, hi int) {
	panic("kernels: no assembly in this build")
}

func im2colTapSmallAVX512(dst, src *float32, oh, ow, w, h, y0, sh, x0, lo, hi int) {
	panic("kernels: no assembly in this build")
}

func col2imTapSmallAVX512(img, col *float32, oh, ow, w, h, y0, sh, x0, lo, hi int) {
	panic("kernels: no assembly in this build")
}

func col2imRowAVX512(dst *float32, w int, col *float32, offs *int, masks *uint16, n int) {
	panic("kernels: no col2im row kernel")
}
