package cluster

import (
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// nodeContext is the core.Context of a node on the real runtime. Its
// methods run only on the node's goroutine, so they need no locks.
type nodeContext struct{ n *Node }

func (c *nodeContext) ID() core.NodeID       { return c.n.cfg.ID }
func (c *nodeContext) Nodes() []core.NodeID  { return c.n.nodes }
func (c *nodeContext) Now() time.Duration    { return time.Since(c.n.start) }
func (c *nodeContext) Rand() *rand.Rand      { return c.n.rng }
func (c *nodeContext) Storage() core.Storage { return c.n.store }
func (c *nodeContext) Logger() *slog.Logger  { return c.n.log }

func (c *nodeContext) SetTimer(key string, after time.Duration) {
	if c.n.failed == nil {
		c.n.timers.set(key, after)
	}
}
func (c *nodeContext) CancelTimer(key string) { c.n.timers.cancel(key) }

// Send encodes msg with the codec even for the node itself, so a message
// that cannot cross the network fails here too. A message to a peer leaves
// when the batch is committed; a message to self is handled in the same
// batch, after the messages to self sent before it.
func (c *nodeContext) Send(to core.NodeID, msg any) {
	n := c.n
	if n.failed != nil {
		return
	}
	payload, err := n.cfg.Codec.Append(nil, msg)
	if err != nil {
		n.log.Error("cannot encode message; not sent", "to", uint32(to), "type", typeName(msg), "reason", err.Error())
		return
	}
	if len(payload) > n.maxMsg {
		// The transport would refuse it (and does, for a peer); a message to
		// self is held to the same limit so that no world is laxer.
		n.tooLarge(to, msg, len(payload))
		return
	}
	if to == n.cfg.ID {
		body, err := n.cfg.Codec.Decode(payload)
		if err != nil {
			n.log.Error("message to self does not decode; not sent", "type", typeName(msg), "reason", err.Error())
			return
		}
		n.local = append(n.local, core.Message{From: to, Body: body})
		return
	}
	n.cur.sends = append(n.cur.sends, outgoing{to, payload}) // leaves when the batch is committed
}

// Fail stops the node for good when the current handler returns; see
// core.Context.
func (c *nodeContext) Fail(err error) {
	if c.n.failed == nil {
		c.n.failed = err
	}
}

// Output is held until the batch is committed, then handed to
// NodeConfig.Output; At is when the process output it.
func (c *nodeContext) Output(v any) {
	if c.n.failed == nil && c.n.cfg.Output != nil {
		c.n.cur.outputs = append(c.n.cur.outputs, Output{Node: c.n.cfg.ID, Incarnation: c.n.cfg.Incarnation, At: c.Now(), Value: v})
	}
}

// tooLarge logs (rate-limited) a message the transport would refuse.
func (n *Node) tooLarge(to core.NodeID, msg any, size int) {
	n.tr.CountTooLarge(to)
	if k, ok := n.big.allow(time.Now()); ok {
		n.log.Warn("message larger than the frame limit; not sent (the protocol must split it)",
			"to", uint32(to), "type", typeName(msg), "bytes", size, "limit", n.maxMsg, "suppressed", k)
	}
}
