// Package broadcast is eager reliable broadcast, the first protocol written
// on Rondo's core: every node that delivers a message relays it once to every
// other node, over perfect links built from lossy ones by retransmission
// until acknowledged.
//
// Reference: Cachin, Guerraoui & Rodrigues, Introduction to Reliable and
// Secure Distributed Programming (2011), §3.3 "Eager Reliable Broadcast", on
// §2.4's perfect links (retransmit forever, deduplicate at the receiver).
//
// Fault threshold: any number of crash-stop nodes (f < n), fair-lossy links
// (a message sent infinitely often arrives infinitely often), duplication,
// reordering, partitions that heal. Properties, for the correct nodes (those
// that never crash): validity (a message broadcast by a correct node is
// delivered by every correct node), agreement (a message delivered by one
// correct node is delivered by all), integrity (a message is delivered at
// most once per incarnation, and only if it was broadcast). A node that
// crashes and restarts keeps its sequence number (it is in Storage), not its
// delivered set, so it is not counted among the correct. A node that cannot
// write its sequence number, or finds a stored one that does not decode,
// stops (fail-stop, core.Context.Fail): reusing a message identity would
// make peers drop the new message as a duplicate.
package broadcast

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// Retransmission timing: the first retransmission after RetryBase, doubling
// while nothing is acknowledged, up to RetryMax.
const (
	RetryBase = 50 * time.Millisecond
	RetryMax  = time.Second
)

const (
	retryTimer = "retry"
	seqKey     = "broadcast/seq"
)

// options select the protocol's parts; tests turn parts off to show that the
// property checks catch what then breaks.
type options struct {
	relay      bool // relay a message on first delivery (the "eager" part)
	retransmit bool // retransmit until acknowledged (the "perfect links" part)
}

// Node is one eager-reliable-broadcast process. A core.Request whose Body is
// a string broadcasts it; every delivery is a Delivery output.
type Node struct {
	opt       options
	self      core.NodeID
	seq       uint64
	delivered []seqSet // per origin
	links     []link   // outgoing perfect link per peer
	retry     time.Duration
	armed     bool
}

// link holds what was sent to one peer, in the order it was sent (so that
// retransmission order is deterministic), and which of it the peer acked.
// Each message enters a link at most once: a node relays only on its first
// delivery.
type link struct {
	order []Data
	acked []seqSet // per origin
}

// New returns a correct broadcast node.
func New() *Node { return &Node{opt: options{relay: true, retransmit: true}} }

// Init loads the sequence number, the one thing that survives a crash: it
// keeps message identities unique across incarnations.
func (b *Node) Init(ctx core.Context) {
	b.self = ctx.ID()
	n := len(ctx.Nodes())
	b.delivered = make([]seqSet, n)
	b.links = make([]link, n)
	for i := range b.links {
		b.links[i].acked = make([]seqSet, n)
	}
	b.retry = RetryBase
	if v, ok := ctx.Storage().Get(seqKey); ok {
		seq, k := binary.Uvarint(v)
		if k <= 0 || k != len(v) {
			// Read as 0, it would reuse the identities of messages this
			// node broadcast before, which peers drop as duplicates.
			ctx.Fail(fmt.Errorf("broadcast: the stored sequence number %q is corrupt (%d bytes: %x)", seqKey, len(v), v))
			return
		}
		b.seq = seq
	}
}

// Handle reacts to a broadcast request, a message, an ack or the retry timer.
func (b *Node) Handle(ctx core.Context, ev core.Event) {
	switch ev := ev.(type) {
	case core.Request:
		payload, ok := ev.Body.(string)
		if !ok {
			ctx.Logger().Warn("broadcast: request body is not a string; ignored", "type", fmt.Sprintf("%T", ev.Body))
			return
		}
		b.seq++
		if err := ctx.Storage().Put(seqKey, binary.AppendUvarint(nil, b.seq)); err != nil {
			// The world's Storage has stopped this node (core.FailStop):
			// broadcasting a message whose identity is not durable could
			// reuse it after a restart.
			b.seq--
			return
		}
		m := Data{Origin: b.self, Seq: b.seq, Payload: payload}
		b.deliver(ctx, m)
		b.sendAll(ctx, m, b.self)
	case core.Message:
		switch m := ev.Body.(type) {
		case Data:
			if b.opt.retransmit {
				ctx.Send(ev.From, Ack{Origin: m.Origin, Seq: m.Seq})
			}
			if b.deliver(ctx, m) && b.opt.relay {
				b.sendAll(ctx, m, ev.From)
			}
		case Ack:
			b.acked(ev.From, m)
		}
	case core.Timer:
		if ev.Key == retryTimer {
			b.armed = false
			b.retransmit(ctx)
		}
	}
}

// deliver outputs m unless it was delivered before; it reports whether it
// was new.
func (b *Node) deliver(ctx core.Context, m Data) bool {
	if int(m.Origin) >= len(b.delivered) || !b.delivered[m.Origin].add(m.Seq) {
		return false // a duplicate, or from a node outside the cluster
	}
	ctx.Output(Delivery(m))
	return true
}

// sendAll sends m to every node but this one, the origin and the node it
// came from (they have it).
func (b *Node) sendAll(ctx core.Context, m Data, from core.NodeID) {
	var boxed any = m // box once, not once per peer
	for _, to := range ctx.Nodes() {
		if to == b.self || to == m.Origin || to == from {
			continue
		}
		ctx.Send(to, boxed)
		if b.opt.retransmit {
			b.links[to].order = append(b.links[to].order, m)
		}
	}
	if b.opt.retransmit && !b.armed {
		b.arm(ctx)
	}
}

func (b *Node) acked(from core.NodeID, a Ack) {
	if int(from) >= len(b.links) || int(a.Origin) >= len(b.links) {
		return
	}
	if b.links[from].acked[a.Origin].add(a.Seq) {
		b.retry = RetryBase // the peer is reachable again: retry briskly
	}
}

// retransmit resends everything unacknowledged, then backs off.
func (b *Node) retransmit(ctx core.Context) {
	waiting := false
	for to := range b.links {
		l := &b.links[to]
		kept := l.order[:0]
		for _, m := range l.order {
			if !l.acked[m.Origin].has(m.Seq) {
				ctx.Send(core.NodeID(to), m)
				kept = append(kept, m)
			}
		}
		clear(l.order[len(kept):])
		l.order = kept
		waiting = waiting || len(kept) > 0
	}
	if waiting {
		b.retry = min(2*b.retry, RetryMax)
		b.arm(ctx)
	}
}

func (b *Node) arm(ctx core.Context) {
	b.armed = true
	ctx.SetTimer(retryTimer, b.retry)
}
