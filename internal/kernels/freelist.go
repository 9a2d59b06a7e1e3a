package kernels

import (
	"runtime"
	"sync"
)

// FreeList is a free list of *T for scratch buffers that a steady stream
// of calls takes and gives back (the SGEMM and convolution workspaces).
// Unlike sync.Pool, which drops what has sat unused through two garbage
// collections, it keeps what it holds: a training step collects about
// once, and with sync.Pool the next products kept allocating workspaces
// afresh, megabytes that the first writes page-fault in (on the
// development VM, about 8 µs per 4 KiB page). It holds at most
// 4·GOMAXPROCS items, about as many as are ever in use at once; Put drops
// the rest. New makes an item when the list is empty. Safe for concurrent
// use.
type FreeList[T any] struct {
	New  func() *T
	mu   sync.Mutex
	free []*T
}

// Get returns a held item, the one put last, or a new one.
func (l *FreeList[T]) Get() *T {
	l.mu.Lock()
	if n := len(l.free); n > 0 {
		x := l.free[n-1]
		l.free[n-1] = nil
		l.free = l.free[:n-1]
		l.mu.Unlock()
		return x
	}
	l.mu.Unlock()
	return l.New()
}

// Put gives x back for a later Get, unless the list is full.
func (l *FreeList[T]) Put(x *T) {
	l.mu.Lock()
	if len(l.free) < 4*runtime.GOMAXPROCS(0) {
		l.free = append(l.free, x)
	}
	l.mu.Unlock()
}
