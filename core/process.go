package core

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// NodeID names one process of a cluster. IDs are dense: a cluster of n nodes
// has IDs 0..n-1.
type NodeID uint32

func (id NodeID) String() string { return fmt.Sprintf("n%d", uint32(id)) }

// A Process is a sans-IO state machine. The world that runs it (the simulator
// or the real runtime) calls Init once per incarnation and then Handle for
// every event, never concurrently.
type Process interface {
	// Init starts an incarnation. After a crash the world builds a fresh
	// Process value and calls Init again; only what the previous incarnation
	// put in ctx.Storage() is still there, and a Restart event follows Init.
	Init(ctx Context)
	// Handle reacts to one event: a Message, a Timer, a Request or a Restart.
	Handle(ctx Context, ev Event)
}

// Context is everything a process may touch. It is valid only during the
// Init or Handle call it was passed to.
type Context interface {
	// ID is this process's own identity.
	ID() NodeID
	// Nodes lists every node of the cluster, this one included, in order.
	Nodes() []NodeID
	// Now is virtual time in the simulator and monotonic time since the node
	// started on the real runtime.
	Now() time.Duration
	// Send hands msg to the network for delivery to node to. Delivery is not
	// guaranteed: the world may lose, duplicate, delay or reorder it. Sending
	// to oneself is delivered like any other message. The message leaves
	// the node only once what the handler (and every earlier one) wrote to
	// Storage is durable.
	Send(to NodeID, msg any)
	// SetTimer arms (or re-arms) the timer named key to fire after the given
	// duration as a Timer event. Timers do not survive a crash.
	SetTimer(key string, after time.Duration)
	// CancelTimer disarms the timer named key, if armed.
	CancelTimer(key string)
	// Rand is this incarnation's source of randomness; seeded in the
	// simulator so that runs replay exactly.
	Rand() *rand.Rand
	// Storage is what survives a crash of this node. What a handler writes
	// there is durable before anything it sends or outputs leaves the node
	// (see Storage for the contract and how each world keeps it).
	Storage() Storage
	// Output reports a value to the environment: a delivery, a decision, a
	// reply to a client. Outputs are what properties are checked on. Like a
	// message, an output is seen only once what the handler wrote is
	// durable.
	Output(v any)
	// Logger logs with the node's identity attached.
	Logger() *slog.Logger
	// Fail stops this node for good (fail-stop): nothing the current Init or
	// Handle call does after it leaves the node (no send, timer or output),
	// and no further event reaches the process. A process calls it when it
	// cannot go on safely, such as when what it persisted does not decode.
	// The world logs err at ERROR; a real node's OS process exits non-zero.
	// A failed Storage write calls it implicitly: see Storage.
	Fail(err error)
}
