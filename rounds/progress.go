package rounds

import (
	"fmt"
	"time"
)

// ProgressKind says how a round waits.
type ProgressKind uint8

const (
	// ProgressTimeout: wait for messages until the timeout, then end the
	// round (the zero value).
	ProgressTimeout ProgressKind = iota
	// ProgressWait: wait for more messages, without a timeout.
	ProgressWait
	// ProgressGoAhead: end the round now.
	ProgressGoAhead
	// ProgressSync: wait until K peers have reached this round (messages or
	// catch-up show it), then end the round.
	ProgressSync
	// ProgressUnchanged: keep the previous progress (EventRound.Receive).
	ProgressUnchanged
)

func (k ProgressKind) String() string {
	switch k {
	case ProgressTimeout:
		return "timeout"
	case ProgressWait:
		return "wait"
	case ProgressGoAhead:
		return "go-ahead"
	case ProgressSync:
		return "sync"
	case ProgressUnchanged:
		return "unchanged"
	}
	return fmt.Sprintf("progress(%d)", uint8(k))
}

// Progress is how a round goes on: the runtime reads it, the checker (which
// explores every HO set anyway) does not. The zero value is Timeout(0).
//
// A strict progress forbids catch-up: a process does not jump to a later
// round on seeing a message from it before its own round has ended.
type Progress struct {
	kind    ProgressKind
	strict  bool
	k       int
	timeout time.Duration
}

// Timeout waits for messages until d has passed since the round started
// (0: the runtime's default, adaptive timeout).
func Timeout(d time.Duration) Progress { return Progress{kind: ProgressTimeout, timeout: d} }

// StrictTimeout is Timeout(d) without catch-up.
func StrictTimeout(d time.Duration) Progress { return Timeout(d).Strict() }

// WaitMessage waits for more messages, with no timeout.
func WaitMessage() Progress { return Progress{kind: ProgressWait} }

// GoAhead ends the round now.
func GoAhead() Progress { return Progress{kind: ProgressGoAhead} }

// Sync waits until k peers have reached this round.
func Sync(k int) Progress { return Progress{kind: ProgressSync, k: k} }

// Unchanged keeps the round's previous progress.
func Unchanged() Progress { return Progress{kind: ProgressUnchanged} }

// Strict returns p without catch-up.
func (p Progress) Strict() Progress { p.strict = true; return p }

// Kind is how the round waits.
func (p Progress) Kind() ProgressKind { return p.kind }

// IsStrict reports whether catch-up is forbidden.
func (p Progress) IsStrict() bool { return p.strict }

// K is Sync's peer count.
func (p Progress) K() int { return p.k }

// TimeoutAfter is Timeout's duration (0: the runtime's default).
func (p Progress) TimeoutAfter() time.Duration { return p.timeout }

func (p Progress) String() string {
	s := p.kind.String()
	switch p.kind {
	case ProgressTimeout:
		if p.timeout > 0 {
			s += "(" + p.timeout.String() + ")"
		}
	case ProgressSync:
		s += fmt.Sprintf("(%d)", p.k)
	}
	if p.strict {
		s = "strict-" + s
	}
	return s
}
