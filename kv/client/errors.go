package client

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound: the key is absent (an answer, not a failure).
	ErrNotFound = errors.New("kv: no such key")
	// ErrNotTaken: the operation did not take effect, and the client gave
	// up retrying (the context ended): no replica could take it (no
	// leader, replicas down or overloaded). Definite.
	ErrNotTaken = errors.New("kv: not taken (the operation did not take effect)")
	// ErrUnknownOutcome: the operation may or may not have taken effect:
	// an attempt reached a replica and its answer never came back (or the
	// context ended while it was in flight), and the client gave up
	// before a retry could learn it. Indefinite. A retry of the same
	// operation is a new write: the client cannot resume the old one.
	ErrUnknownOutcome = errors.New("kv: outcome unknown (the operation may have taken effect)")
	// ErrUnreachable comes with ErrNotTaken when a Client with
	// Config.GiveUpUnreachable found nothing listening at any endpoint.
	ErrUnreachable = errors.New("kv: no endpoint reachable (is the service running there?)")
)

// Error is a request the service refused for what it is (a 4xx status
// other than 404 and 412): a key or value past the limits, malformed
// JSON. Definite: it did not take effect, and retrying it cannot help.
type Error struct {
	Op         string // get, put, delete, cas, list, status
	Key        string
	StatusCode int
	Message    string // the service's explanation
}

func (e *Error) Error() string {
	if e.Key != "" {
		return fmt.Sprintf("kv %s %q: %d: %s", e.Op, e.Key, e.StatusCode, e.Message)
	}
	return fmt.Sprintf("kv %s: %d: %s", e.Op, e.StatusCode, e.Message)
}

// failure is a gave-up error: the cause (ErrNotTaken or
// ErrUnknownOutcome) with the last attempt's reason.
type failure struct {
	op, key string
	cause   error // ErrNotTaken or ErrUnknownOutcome
	last    error // the last attempt's error
	tries   int
}

func (f *failure) Error() string {
	what := f.op
	if f.key != "" {
		what += fmt.Sprintf(" %q", f.key)
	}
	return fmt.Sprintf("%s: %v after %d attempts; last: %v", what, f.cause, f.tries, f.last)
}

func (f *failure) Unwrap() []error { return []error{f.cause, f.last} }

// Definite reports whether err means the operation did not take effect:
// ErrNotTaken or an *Error. ErrNotFound is an answer, not a failure, and
// is not definite in this sense; nil is not a failure either.
func Definite(err error) bool {
	var e *Error
	return errors.Is(err, ErrNotTaken) && !errors.Is(err, ErrUnknownOutcome) || errors.As(err, &e)
}
