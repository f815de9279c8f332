package replica

import "errors"

// Read is a request body that reads a replica's state without changing it:
// the function is called with the state on the replica's own goroutine and
// must not keep or modify it. It works in-process only (a function does not
// cross the network); services such as package kv use it to serve reads.
type Read[L any] func(state L)

// Op is a request body that performs the operation Body like any other,
// then calls Done on the replica's goroutine with the outcome: nil once the
// operation's delta is recorded and durable (or it changed nothing), or why
// it was refused — errors.Is(err, ErrTooLarge) when its delta would not fit
// in one message. If the replica stops first (a storage write failed), Done
// is never called. It works in-process only, like Read.
type Op struct {
	Body any
	Done func(error)
}

// ErrTooLarge is why a local operation whose delta would not fit in one
// message (Config.Budget) is refused: anti-entropy could never ship it.
var ErrTooLarge = errors.New("delta larger than one message can carry")
