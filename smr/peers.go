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
	if applied > pr.applied && applied > n.applied {
		// News that this node is behind: catch-up, if it gave up on
		// peers that did not answer, starts again.
		n.catch.tries = 0
	}
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

// furthest is the peer to catch up from, if one is ahead of this node:
// among the peers that said they applied more, the one heard from last
// (then the one furthest ahead, then the lowest id). The one furthest
// ahead may have crashed since it said so; fetching from it alone, a
// replica that lagged behind a partition stayed behind for good once the
// replica it had heard furthest ahead crash-stopped.
func (n *Node) furthest() (core.NodeID, bool) {
	best, found := core.NodeID(0), false
	for i, p := range n.peers {
		id := core.NodeID(i)
		if id == n.id || p.applied <= n.applied {
			continue
		}
		if b := n.peers[best]; !found || p.heard > b.heard || p.heard == b.heard && p.applied > b.applied {
			best, found = id, true
		}
	}
	return best, found
}
