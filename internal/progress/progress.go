package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Bar reports the progress of a job of a known number of steps.
type Bar struct {
	w        io.Writer
	tty      bool
	label    string
	total    int
	every    int
	start    time.Time
	lastDraw time.Time
	width    int
	drawn    bool
	now      func() time.Time
}

// IsTerminal reports whether w is a character device (a terminal).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// New starts a bar for total steps on w. On a terminal the bar redraws in
// place at most ten times a second; elsewhere a line is written every
// `every` steps (and for the last one). A nil w discards everything.
func New(w io.Writer, label string, total, every int) *Bar {
	if w == nil {
		w = io.Discard
	}
	if every < 1 {
		every = 1
	}
	return &Bar{w: w, tty: IsTerminal(w), label: label, total: total, every: every, width: 30, start: time.Now(), now: time.Now}
}

// Step reports that step (1-based) is done, with a short status text.
func (b *Bar) Step(step int, status string) {
	now := b.now()
	elapsed := now.Sub(b.start).Round(10 * time.Millisecond)
	if !b.tty {
		if step%b.every == 0 || step == b.total || step == 1 {
			fmt.Fprintf(b.w, "%s %d/%d %s (%s)\n", b.label, step, b.total, status, elapsed)
		}
		return
	}
	if step != b.total && now.Sub(b.lastDraw) < 100*time.Millisecond {
		return
	}
	b.lastDraw = now
	frac := 0.0
	if b.total > 0 {
		frac = min(1, float64(step)/float64(b.total))
	}
	full := int(frac * float64(b.width))
	bar := strings.Repeat("█", full) + strings.Repeat("░", b.width-full)
	fmt.Fprintf(b.w, "\r\033[K%s [%s] %d/%d %s %s", b.label, bar, step, b.total, status, elapsed)
	b.drawn = true
}

// Done ends the bar with a final message (a newline on a terminal).
func (b *Bar) Done(msg string) {
	if b.tty && b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
	}
	if msg != "" {
		fmt.Fprintln(b.w, msg)
	}
}
