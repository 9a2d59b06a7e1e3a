//go:build unix

package bench

import (
	"runtime"
	"syscall"
)

// peakRSSRusage returns getrusage's maximum resident set size in MiB
// (reported in KiB on Linux and the BSDs, in bytes on macOS).
func peakRSSRusage() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return float64(ru.Maxrss) / (1 << 20)
	}
	return float64(ru.Maxrss) / 1024
}
