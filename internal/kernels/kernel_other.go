//go:build !amd64 || noasm

package kernels

// asmKernels returns no kernels: this build has only the pure-Go one.
func asmKernels() []*gemmKernel { return nil }
