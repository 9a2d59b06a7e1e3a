package train

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws a one-line progress bar, redrawn in place with '\r' at most
// every 100 ms.
type progress struct {
	w     io.Writer
	label string
	total int
	last  time.Time
	drawn bool
}

func newProgress(w io.Writer, label string, total int) *progress {
	return &progress{w: w, label: label, total: total}
}

// update redraws the bar after done of total batches.
func (p *progress) update(done int, loss, imgPerS float64) {
	if p.w == io.Discard || (time.Since(p.last) < 100*time.Millisecond && done < p.total) {
		return
	}
	p.last = time.Now()
	const width = 30
	fill := width * done / max(p.total, 1)
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d  loss %.4f  %.0f img/s ", p.label,
		strings.Repeat("=", fill), strings.Repeat(" ", width-fill), done, p.total, loss, imgPerS)
	p.drawn = true
}

// done clears the bar's line.
func (p *progress) done() {
	if p.drawn {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", 100)+"\r")
		p.drawn = false
	}
}
