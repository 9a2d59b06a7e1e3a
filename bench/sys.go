package bench

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// peakRSSMB returns the peak resident set size of this process in MiB:
// VmHWM from /proc/self/status where there is one, else the maximum RSS
// getrusage reports (peakRSSRusage), else 0.
func peakRSSMB() float64 {
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
			if !ok {
				continue
			}
			fields := strings.Fields(rest) // "123456 kB"
			if len(fields) == 2 && fields[1] == "kB" {
				if kb, err := strconv.ParseFloat(fields[0], 64); err == nil {
					return kb / 1024
				}
			}
		}
	}
	return peakRSSRusage()
}

// loadAverage returns the 1-minute load average from /proc/loadavg, or 0
// where there is none.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(fields[0], 64)
	return v
}
