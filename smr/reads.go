package smr

import (
	"fmt"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// Linearizable reads without a log entry: the read index.
//
// A read taken here starts a round: this node sends every peer a Ping
// carrying the round's number, and each answers with a Pong carrying the
// highest instance it has seen (rounds.RuntimeOf.Highest), read when the
// Ping arrived. Once a majority (this node included, its own Highest read
// when it sent the Ping) has answered, the read index is the highest of
// their Highest; the read waits until this node has applied every index up
// to it, then runs Query.
//
// Why it is linearizable. A command acknowledged before the read arrived
// was applied somewhere, so decided, so accepted by a majority, each of
// which had seen its instance (and Highest never decreases, across
// restarts too: records and the truncation floor are durable). That
// majority and the one that answered share a node, which answered after
// the read arrived: the read index is at least the command's instance, and
// the state read includes it. Conversely everything in the state read was
// decided before the Query ran, within the read's interval. Reads of one
// round share the round trip.
//
// The classic read index (the leader confirms with a majority that it
// still leads, then reads at its commit index) is not enough here: in the
// Heard-Of rounds an instance whose round times out moves to the next
// ballot, whose coordinator can decide it — and, through a deposed
// leader's proposal that reached one acceptor, decide an instance the
// current leader never saw — without any node adopting that ballot. Asking
// a majority for what they have seen covers every way an instance is
// decided, needs no leader, and costs the same round trip; any replica
// serves reads.
type readIndex struct {
	list []*pendingRead
	// The current round: its number (0: none), when it was sent, the
	// highest instance among the answers so far and who answered.
	seq     uint64
	sentAt  time.Duration
	highest uint64
	heard   rounds.Set
	next    uint64 // the next round's number
}

type pendingRead struct {
	id       uint64
	query    []byte
	done     func(Reply)
	deadline time.Duration
	round    uint64 // the round it waits for (0: the next one)
	index    uint64
	indexed  bool
}

// read takes a client's read.
func (n *Node) read(r Read) {
	n.reads.list = append(n.reads.list, &pendingRead{id: r.ID, query: r.Query, done: r.Done,
		deadline: n.ctx.Now() + n.cfg.RequestTimeout})
	n.startReadRound()
}

// startReadRound starts a round for the reads not in one, unless a round
// is under way (they take the next, when it ends).
func (n *Node) startReadRound() {
	ri := &n.reads
	if ri.seq != 0 {
		return
	}
	waiting := false
	for _, r := range ri.list {
		if !r.indexed && r.round == 0 {
			waiting = true
		}
	}
	if !waiting {
		return
	}
	ri.next++
	ri.seq, ri.sentAt, ri.highest, ri.heard = ri.next, n.ctx.Now(), n.rt.Highest(), rounds.Set(0).Add(n.id)
	for _, r := range ri.list {
		if !r.indexed && r.round == 0 {
			r.round = ri.seq
		}
	}
	n.stats.ReadRounds++
	n.pingAll(ri.seq)
	n.endReadRound() // a cluster of one
}

// readPong counts a peer's answer to a read round.
func (n *Node) readPong(from core.NodeID, p Pong) {
	ri := &n.reads
	if ri.seq == 0 || p.Seq != ri.seq {
		return
	}
	ri.heard = ri.heard.Add(from)
	ri.highest = max(ri.highest, p.Highest)
	n.endReadRound()
}

// endReadRound ends the round once a majority answered: its reads have
// their index; the reads that came meanwhile start the next round.
func (n *Node) endReadRound() {
	ri := &n.reads
	if 2*ri.heard.Len() <= n.n {
		return
	}
	for _, r := range ri.list {
		if r.round == ri.seq && !r.indexed {
			r.index, r.indexed = ri.highest, true
		}
	}
	ri.seq = 0
	n.startReadRound()
}

// serveReads answers, in the order they came, the reads whose index this
// node has applied.
func (n *Node) serveReads() {
	kept := n.reads.list[:0]
	for _, r := range n.reads.list {
		if !r.indexed || r.index > n.applied {
			kept = append(kept, r)
			continue
		}
		res := n.sm.Query(r.query)
		n.stats.Reads++
		n.answerRead(r, Reply{Result: res, Index: n.applied})
	}
	clear(n.reads.list[len(kept):])
	n.reads.list = kept
}

func (n *Node) answerRead(r *pendingRead, rep Reply) {
	out := ReadDone{ID: r.id, Index: rep.Index, Result: rep.Result}
	if rep.Err != nil {
		out.Err = rep.Err.Error()
	}
	n.ctx.Output(out)
	if r.done != nil {
		r.done(rep)
	}
}

// expire fails the reads past their deadline, and sends the current round
// again when it has waited RetryAfter (its Pings or Pongs were lost): under
// a new number, so that late answers to the old one do not count twice
// against a changed Highest.
func (ri *readIndex) expire(n *Node, now time.Duration) {
	kept := ri.list[:0]
	for _, r := range ri.list {
		if now < r.deadline {
			kept = append(kept, r)
			continue
		}
		err := fmt.Errorf("%w: no read index within %v", ErrUnavailable, n.cfg.RequestTimeout)
		if r.indexed {
			err = fmt.Errorf("%w: this replica did not apply up to the read index %d (it is at %d) within %v", ErrUnavailable, r.index, n.applied, n.cfg.RequestTimeout)
		}
		n.answerRead(r, Reply{Err: err})
	}
	clear(ri.list[len(kept):])
	ri.list = kept
	if ri.seq != 0 && now-ri.sentAt >= n.cfg.RetryAfter {
		for _, r := range ri.list {
			if r.round == ri.seq {
				r.round = 0
			}
		}
		ri.seq = 0
		n.startReadRound()
	}
}
