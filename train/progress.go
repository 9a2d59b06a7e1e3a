package train

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress draws a one-line progress bar. On a terminal it is redrawn in
// place with '\r' at most every 100 ms; into a file or pipe it writes a
// plain line every 10 s instead, so logs stay readable.
type progress struct {
	w     io.Writer
	tty   bool
	label string
	total int
	last  time.Time
	drawn bool
}

func newProgress(w io.Writer, label string, total int) *progress {
	return &progress{w: w, tty: isTerminal(w), label: label, total: total}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// update redraws the bar after done of total batches.
func (p *progress) update(done int, loss, imgPerS float64) {
	every := 10 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if p.w == io.Discard || time.Since(p.last) < every {
		return
	}
	p.last = time.Now()
	const width = 30
	fill := width * done / max(p.total, 1)
	line := fmt.Sprintf("%s [%s%s] %d/%d  loss %.4f  %.0f img/s", p.label,
		strings.Repeat("=", fill), strings.Repeat(" ", width-fill), done, p.total, loss, imgPerS)
	if !p.tty {
		fmt.Fprintln(p.w, line)
		return
	}
	fmt.Fprint(p.w, "\r"+line+" ")
	p.drawn = true
}

// done clears the bar's line on a terminal.
func (p *progress) done() {
	if p.drawn {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", 100)+"\r")
		p.drawn = false
	}
}
