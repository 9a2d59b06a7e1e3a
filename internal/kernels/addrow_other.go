//go:build !amd64 || noasm

package kernels

// addRow sets dst[i] += src[i] for i < len(dst) (src may be longer).
func addRow(dst, src []float32) { addRowGo(dst, src) }
