package kernels

import "unsafe"

// hugePage is the size of a transparent huge page on amd64 and arm64 Linux.
const hugePage = 2 << 20

// hugeMin: buffers of fewer bytes are allocated plainly; a huge page would
// not cover enough of them to matter.
const hugeMin = 1 << 20

// MakeFloats returns a zeroed slice of n float32 values for large buffers
// that are read again and again (an engine's pre-packed weights, through
// Slab). It is ordinary garbage-collected memory; on Linux, for n·4 of at
// least hugeMin bytes, it is laid out on whole 2 MiB pages and the kernel
// is asked to back them with transparent huge pages (madvise
// MADV_HUGEPAGE). Under virtualisation each 4 KiB TLB miss costs a
// two-dimensional page walk; with the packed weights on huge pages
// ResNet-18 and ResNet-50 ran 2–5 % faster at batch 1 on the development
// machine (SGEMM's own pack buffers measured level, so they stay plain).
// The contents and the slice's behaviour are the same either way.
func MakeFloats(n int) []float32 {
	if n*4 < hugeMin || !hugeAdvise {
		return make([]float32, n)
	}
	// Whole huge pages, plus one so that the slice can start on a page
	// boundary: huge pages must be aligned.
	span := roundUp(n*4, hugePage)
	raw := make([]float32, (span+hugePage)/4)
	addr := uintptr(unsafe.Pointer(&raw[0]))
	skip := int((hugePage - addr%hugePage) % hugePage / 4)
	adviseHuge(unsafe.Pointer(&raw[skip]), span)
	return raw[skip : skip+n : skip+n]
}

// Slab hands out float32 slices carved one after another from
// huge-page-backed chunks (MakeFloats), so that many small buffers used
// together (a model's packed weights) share a few TLB entries instead of
// one per 4 KiB page. Slices are 64-byte aligned and zeroed. A Slab is not
// safe for concurrent use; its memory is freed by the garbage collector
// when no slice of it is reachable.
type Slab struct {
	free []float32 // the unused rest of the current chunk
}

// slabChunk is the size, in float32 values, of a Slab's chunks: two huge
// pages.
const slabChunk = 2 * hugePage / 4

// Make returns a zeroed slice of n values from s.
func (s *Slab) Make(n int) []float32 {
	if s == nil {
		return make([]float32, n)
	}
	if n > slabChunk/4 {
		return MakeFloats(n)
	}
	if len(s.free) < n {
		s.free = MakeFloats(slabChunk)
	}
	f := s.free[:n:n]
	s.free = s.free[min(roundUp(n, 16), len(s.free)):]
	return f
}
