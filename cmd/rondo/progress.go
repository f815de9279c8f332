package main

import (
	"fmt"
	"os"
	"time"
)

// progress prints a self-overwriting status line on stderr, only when both
// stdout and stderr are terminals: long work shows it is alive to a person
// and stays silent for scripts and CI logs.
type progress struct {
	on   bool
	last time.Time
}

func newProgress() *progress {
	return &progress{on: isTerminal(os.Stdout) && isTerminal(os.Stderr)}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// update redraws the line at most ten times a second.
func (p *progress) update(format string, args ...any) {
	if !p.on || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(os.Stderr, "\r\033[K"+format, args...)
}

// done clears the line.
func (p *progress) done() {
	if p.on {
		fmt.Fprint(os.Stderr, "\r\033[K")
	}
}
