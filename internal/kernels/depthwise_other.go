//go:build !amd64 || noasm

package kernels

// dwRowKernels returns no kernels: this build has only dwRowsGo.
func dwRowKernels() map[string]dwRowsFunc {
	return nil
}
