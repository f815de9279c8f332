package core

// An Event is what a Process handles: a Message, a Timer, a Request or a
// Restart.
type Event interface{ isEvent() }

// Message is a message from another node (or from this one).
type Message struct {
	From NodeID
	Body any
}

// Timer is a timer set with Context.SetTimer firing.
type Timer struct {
	Key string
}

// Request is an input from outside the cluster: a client command, a value to
// broadcast, a proposal. Body's type is the protocol's business.
type Request struct {
	Body any
}

// Restart follows Init when a node comes back after a crash, so that a
// process can tell a fresh start from a recovery and reload what it persisted.
type Restart struct {
	// Incarnation counts this node's starts: 0 for the first, 1 after the
	// first crash, and so on.
	Incarnation int
}

func (Message) isEvent() {}
func (Timer) isEvent()   {}
func (Request) isEvent() {}
func (Restart) isEvent() {}
