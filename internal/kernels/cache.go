package kernels

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cacheSizes are the per-core data cache sizes, in bytes, that the SGEMM
// blocking is derived from.
type cacheSizes struct {
	l1, l2 int
}

// defaultCaches are assumed where the machine does not say: 32 KiB of L1
// and 1 MiB of L2, at or below what x86 server cores of the last decade
// have, so the blocks still fit.
var defaultCaches = cacheSizes{l1: 32 << 10, l2: 1 << 20}

// readCacheSizes reads the data and unified caches of CPU 0 from Linux's
// sysfs (/sys/devices/system/cpu/cpu0/cache/index*/{level,type,size}).
// Levels it cannot read keep defaultCaches' values; an implausible size
// (under 8 KiB or over 64 MiB) counts as unreadable.
func readCacheSizes(dir string) cacheSizes {
	cs := defaultCaches
	idx, _ := filepath.Glob(filepath.Join(dir, "index*"))
	for _, d := range idx {
		read := func(name string) string {
			b, _ := os.ReadFile(filepath.Join(d, name))
			return strings.TrimSpace(string(b))
		}
		if t := read("type"); t != "Data" && t != "Unified" {
			continue
		}
		size, ok := parseCacheSize(read("size"))
		if !ok || size < 8<<10 || size > 64<<20 {
			continue
		}
		switch read("level") {
		case "1":
			cs.l1 = size
		case "2":
			cs.l2 = size
		}
	}
	return cs
}

// parseCacheSize reads a sysfs cache size such as "48K", "2048K" or "2M".
func parseCacheSize(s string) (int, bool) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n * mult, true
}

// gemmBlocks returns the SGEMM block sizes gemmMC and gemmNC for caches cs
// (gemmKC is fixed; see gemm.go). The packed kc×nc block of B, which every
// row block of A streams through, takes half of L2; the packed mc×kc block
// of A, whose micro-panels are read from L2 into L1 one at a time, a
// quarter. nc is a multiple of gemmMaxNR, hence of every kernel's nr.
func gemmBlocks(cs cacheSizes) (mc, nc int) {
	nc = cs.l2 / 2 / (4 * gemmKC) / gemmMaxNR * gemmMaxNR
	mc = cs.l2 / 4 / (4 * gemmKC)
	return min(max(mc, 48), 1024), min(max(nc, 256), 4096)
}
