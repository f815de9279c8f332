package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progress shows that long work is alive, on stderr. On a terminal it keeps
// one self-overwriting status line (redrawn at most ten times a second);
// anywhere else (a pipe, a CI log) it prints a plain line every
// progressEvery, starting only once the work has run that long, so short
// commands print nothing and long ones never look hung.
type progress struct {
	w     io.Writer
	tty   bool
	start time.Time
	last  time.Time
	drawn bool
}

// progressEvery is how often a non-terminal progress line is printed.
const progressEvery = 5 * time.Second

func newProgress() *progress { return newProgressTo(os.Stderr) }

// newProgressTo shows progress on w (a terminal only if w is one).
func newProgressTo(w io.Writer) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, tty: ok && isTerminal(f), start: time.Now()}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// update shows the status line if it is time to.
func (p *progress) update(format string, args ...any) {
	now := time.Now()
	if p.tty {
		if now.Sub(p.last) < 100*time.Millisecond {
			return
		}
		p.last, p.drawn = now, true
		fmt.Fprintf(p.w, "\r\033[K"+format, args...)
		return
	}
	since := p.last
	if since.IsZero() {
		since = p.start
	}
	if now.Sub(since) < progressEvery {
		return
	}
	p.last = now
	fmt.Fprintf(p.w, "[%s] "+format+"\n", append([]any{now.Sub(p.start).Round(time.Second)}, args...)...)
}

// done clears the terminal line.
func (p *progress) done() {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
