package kernels

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadCacheSizes reads a fake sysfs tree: data and unified caches
// count, instruction caches and unreadable sizes do not.
func TestReadCacheSizes(t *testing.T) {
	dir := t.TempDir()
	write := func(idx, level, typ, size string) {
		d := filepath.Join(dir, idx)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, v := range map[string]string{"level": level, "type": typ, "size": size} {
			if err := os.WriteFile(filepath.Join(d, name), []byte(v+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("index0", "1", "Data", "48K")
	write("index1", "1", "Instruction", "64K")
	write("index2", "2", "Unified", "2M")
	write("index3", "3", "Unified", "480M")
	got := readCacheSizes(dir)
	if want := (cacheSizes{l1: 48 << 10, l2: 2 << 20}); got != want {
		t.Errorf("readCacheSizes = %+v, want %+v", got, want)
	}
	if got := readCacheSizes(filepath.Join(dir, "missing")); got != defaultCaches {
		t.Errorf("readCacheSizes(missing) = %+v, want the defaults %+v", got, defaultCaches)
	}
	write("index2", "2", "Unified", "lots")
	if got := readCacheSizes(dir); got.l2 != defaultCaches.l2 {
		t.Errorf("unreadable L2 size gave %d, want the default %d", got.l2, defaultCaches.l2)
	}
}

// TestGemmBlocks checks the blocks derived from a few cache sizes: nc a
// multiple of every kernel's nr, both within their bounds.
func TestGemmBlocks(t *testing.T) {
	for _, cs := range []cacheSizes{defaultCaches, {48 << 10, 2 << 20}, {32 << 10, 256 << 10}, {64 << 10, 64 << 20}} {
		mc, nc := gemmBlocks(cs)
		if nc%gemmMaxNR != 0 || nc < 256 || nc > 4096 || mc < 48 || mc > 1024 {
			t.Errorf("gemmBlocks(%+v) = mc %d, nc %d", cs, mc, nc)
		}
	}
	if mc, nc := gemmBlocks(cacheSizes{48 << 10, 2 << 20}); mc != 512 || nc != 1024 {
		t.Errorf("2 MiB L2: mc %d, nc %d, want 512, 1024", mc, nc)
	}
}
