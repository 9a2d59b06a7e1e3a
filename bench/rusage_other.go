//go:build !unix

package bench

// peakRSSRusage returns 0: this system has no getrusage.
func peakRSSRusage() float64 { return 0 }
