package rounds

import (
	"iter"

	"github.com/rondo-dev/rondo/core"
)

// Outbox collects what a process sends in one round: at most one message per
// receiver (a later To or Broadcast replaces an earlier one). The runtime and
// the checker build it; Send fills it.
type Outbox[M any] struct {
	msgs []M
	to   Set
}

// NewOutbox returns an empty outbox for n processes.
func NewOutbox[M any](n int) *Outbox[M] {
	return &Outbox[M]{msgs: make([]M, n)}
}

// Reset empties the outbox for a system of n processes, keeping storage.
func (o *Outbox[M]) Reset(n int) {
	if cap(o.msgs) < n {
		o.msgs = make([]M, n)
	}
	o.msgs = o.msgs[:n]
	clear(o.msgs)
	o.to = 0
}

// Broadcast sends m to every process, the sender included.
func (o *Outbox[M]) Broadcast(m M) {
	for i := range o.msgs {
		o.msgs[i] = m
	}
	o.to = All(len(o.msgs))
}

// To sends m to process p (ids outside 0..n-1 are ignored).
func (o *Outbox[M]) To(p core.NodeID, m M) {
	if int(p) >= len(o.msgs) {
		return
	}
	o.msgs[p] = m
	o.to = o.to.Add(p)
}

// Receivers is the set of processes a message goes to.
func (o *Outbox[M]) Receivers() Set { return o.to }

// Get returns the message for p, if any.
func (o *Outbox[M]) Get(p core.NodeID) (M, bool) {
	if !o.to.Has(p) {
		var zero M
		return zero, false
	}
	return o.msgs[p], true
}

// All iterates over (receiver, message) in increasing receiver order.
func (o *Outbox[M]) All() iter.Seq2[core.NodeID, M] {
	return func(yield func(core.NodeID, M) bool) {
		for p := range o.to.IDs() {
			if !yield(p, o.msgs[p]) {
				return
			}
		}
	}
}

// Mailbox holds the messages a process heard in one round, at most one per
// sender. It is passed by value and only valid during the Update call.
type Mailbox[M any] struct {
	msgs []M
	from Set
}

// NewMailbox returns an empty mailbox for n processes.
func NewMailbox[M any](n int) Mailbox[M] { return Mailbox[M]{msgs: make([]M, n)} }

// Reset empties the mailbox, keeping storage.
func (m *Mailbox[M]) Reset() {
	clear(m.msgs)
	m.from = 0
}

// Put records msg from sender p (a second message from p replaces the
// first; ids outside 0..n-1 are ignored).
func (m *Mailbox[M]) Put(p core.NodeID, msg M) {
	if int(p) >= len(m.msgs) {
		return
	}
	m.msgs[p] = msg
	m.from = m.from.Add(p)
}

// Len is the number of messages.
func (m Mailbox[M]) Len() int { return m.from.Len() }

// Senders is the set of processes heard from.
func (m Mailbox[M]) Senders() Set { return m.from }

// Has reports whether a message from p arrived.
func (m Mailbox[M]) Has(p core.NodeID) bool { return m.from.Has(p) }

// Get returns p's message, if any.
func (m Mailbox[M]) Get(p core.NodeID) (M, bool) {
	if !m.from.Has(p) {
		var zero M
		return zero, false
	}
	return m.msgs[p], true
}

// All iterates over (sender, message) in increasing sender order.
func (m Mailbox[M]) All() iter.Seq2[core.NodeID, M] {
	return func(yield func(core.NodeID, M) bool) {
		for p := range m.from.IDs() {
			if !yield(p, m.msgs[p]) {
				return
			}
		}
	}
}

// Count returns how many messages satisfy pred.
func (m Mailbox[M]) Count(pred func(M) bool) int {
	c := 0
	for p := range m.from.IDs() {
		if pred(m.msgs[p]) {
			c++
		}
	}
	return c
}
