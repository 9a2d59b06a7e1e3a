package kernels

import (
	"runtime"
	"testing"
)

// TestFreeListKeepsItemsAcrossGC checks that items put back survive
// garbage collections (which empty a sync.Pool), come back last in first
// out, that an empty list makes new ones, and that it holds at most
// 4·GOMAXPROCS items.
func TestFreeListKeepsItemsAcrossGC(t *testing.T) {
	made := 0
	l := FreeList[[64]float32]{New: func() *[64]float32 { made++; return new([64]float32) }}
	a, b := l.Get(), l.Get()
	if made != 2 || a == b {
		t.Fatalf("two Gets from an empty list: %d made, distinct %v", made, a != b)
	}
	l.Put(a)
	l.Put(b)
	runtime.GC()
	runtime.GC()
	if got := l.Get(); got != b {
		t.Fatal("first Get after two collections did not return the item put last")
	}
	if got := l.Get(); got != a {
		t.Fatal("second Get after two collections did not return the other item")
	}
	if made != 2 {
		t.Fatalf("%d items made, want 2", made)
	}
	limit := 4 * runtime.GOMAXPROCS(0)
	for range limit + 3 {
		l.Put(new([64]float32))
	}
	if len(l.free) != limit {
		t.Fatalf("list holds %d items, want at most %d", len(l.free), limit)
	}
}
