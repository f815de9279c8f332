package smr

import (
	"time"

	"github.com/rondo-dev/rondo/core"
)

// What a node knows of its peers, from their Pings and Pongs: the highest
// instance each has seen, how far each has applied the log, and when each
// was last heard from (any message).
type peer struct {
	highest, applied uint64
	heard            time.Duration
}

// pingAll sends every peer a Ping: a heartbeat (seq 0) or a read round.
func (n *Node) pingAll(seq uint64) {
	p := Ping{Seq: seq, Highest: n.rt.Highest(), Applied: n.applied}
	for _, q := range n.ctx.Nodes() {
		if q != n.id {
			n.ctx.Send(q, p)
		}
	}
}

func (n *Node) pinged(from core.NodeID, p Ping) {
	n.learn(from, p.Highest, p.Applied)
	n.ctx.Send(from, Pong{Seq: p.Seq, Highest: n.rt.Highest(), Applied: n.applied})
}

func (n *Node) ponged(from core.NodeID, p Pong) {
	n.learn(from, p.Highest, p.Applied)
	n.readPong(from, p)
}

func (n *Node) learn(from core.NodeID, highest, applied uint64) {
	pr := &n.peers[from]
	pr.highest = max(pr.highest, highest)
	pr.applied = max(pr.applied, applied)
}

// knownHighest is the highest instance this node or any peer has seen.
func (n *Node) knownHighest() uint64 {
	h := n.rt.Highest()
	for _, p := range n.peers {
		h = max(h, p.highest)
	}
	return h
}

// anyPeerBehind reports whether some peer has said it applied less than
// this node.
func (n *Node) anyPeerBehind() bool {
	for i, p := range n.peers {
		if core.NodeID(i) != n.id && p.applied < n.applied {
			return true
		}
	}
	return false
}

// furthest is the peer that has applied the most, if it is ahead of this
// node (the lowest id among equals).
func (n *Node) furthest() (core.NodeID, bool) {
	best, at := core.NodeID(0), n.applied
	for i, p := range n.peers {
		if core.NodeID(i) != n.id && p.applied > at {
			best, at = core.NodeID(i), p.applied
		}
	}
	return best, at > n.applied
}
