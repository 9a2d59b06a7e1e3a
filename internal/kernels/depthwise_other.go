//go:build !amd64 || noasm

package kernels

// dwRowKernels returns no kernels: this build has only dwRowsGo.
func dwRowKernels() map[string]dwRowsFunc {
	return nil
}

// dwWeightKernels returns no kernels: this build has only dwWeightPlaneGo.
func dwWeightKernels() map[string]dwWeightPlaneFunc {
	return nil
}

// dwArchScratch is empty: this build has no whole-plane kernel.
type dwArchScratch struct{}
