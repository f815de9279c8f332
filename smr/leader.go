package smr

import (
	"errors"
	"slices"
	"time"

	"github.com/rondo-dev/rondo/rounds"
)

// leader is what a node does while it leads: it queues the commands taken
// here or forwarded to it, and proposes them in batches, keeping a window
// of instances in flight. Batches form by themselves: while the pipeline is
// full, commands queue up, and the next free instance takes as many as fit
// in MaxBatchBytes. With one client, every command goes out alone at once.
// The leader keeps at most Pipeline batches in flight (Config.Pipeline).
type leader struct {
	queue      []command
	queueBytes int
	// pending holds every command queued or in flight here, so that a
	// retry is not proposed twice by this leader (the session table
	// catches what slips through, such as a retry sent to another leader).
	pending map[key]bool
	// inflight: the batches this node proposed, by instance, until applied.
	inflight      map[uint64]proposal
	inflightBytes int
	// lastProposed is the highest instance proposed here; idleTicks
	// counts heartbeats sent with nothing else to do.
	lastProposed uint64
	idleTicks    int
}

type proposal struct {
	value string
	cmds  []command
}

func newLeader() leader {
	return leader{pending: map[key]bool{}, inflight: map[uint64]proposal{}}
}

// leading reports whether this node holds the lease: it proposes only then,
// so that every instance it starts is covered by the lease's promise.
func (n *Node) leading() bool {
	st := n.rt.Lease()
	return st.Held && st.Leader == n.id
}

// enqueue queues a command at the leader unless it is queued, in flight or
// applied already.
func (n *Node) enqueue(c command) {
	k := c.key()
	if n.lead.pending[k] {
		return
	}
	if _, oc := n.sess.check(c.client, c.seq); oc != fresh {
		return
	}
	n.lead.pending[k] = true
	n.lead.queue = append(n.lead.queue, c)
	n.lead.queueBytes += c.size()
}

// forget drops a command from the leader's books once it is applied.
func (l *leader) forget(k key) { delete(l.pending, k) }

// pump proposes the queued commands while the window has room.
func (n *Node) pump() {
	l := &n.lead
	if len(l.queue) == 0 {
		return
	}
	if st := n.rt.Lease(); st.Leader != n.id {
		// Deposed: the replicas that took these commands send them to the
		// new leader when they retry.
		for _, c := range l.queue {
			delete(l.pending, c.key())
		}
		l.queue, l.queueBytes = nil, 0
		return
	}
	if !n.leading() {
		return // the lease is not held yet
	}
	for len(l.queue) > 0 && len(l.inflight) < n.cfg.Pipeline && l.inflightBytes < n.cfg.WindowBytes {
		size, k := uvarintLen(0), 0
		for k < len(l.queue) && size+l.queue[k].size()+uvarintLen(uint64(k+1)) <= n.cfg.MaxBatchBytes {
			size += l.queue[k].size()
			k++
		}
		if k == 0 {
			k = 1 // cannot happen: commands are checked against MaxCommandBytes
		}
		cmds := append([]command(nil), l.queue[:k]...)
		v := encodeBatch(cmds)
		inst, err := n.rt.ProposeNext(n.ctx, v)
		if err != nil {
			if !errors.Is(err, rounds.ErrWindowFull) {
				n.ctx.Logger().Warn("smr: proposal refused", "err", err)
			}
			return
		}
		l.queue = l.queue[k:]
		if len(l.queue) == 0 {
			l.queue = nil
		}
		for _, c := range cmds {
			l.queueBytes -= c.size()
		}
		l.inflight[inst] = proposal{value: v, cmds: cmds}
		l.inflightBytes += len(v)
		l.lastProposed = max(l.lastProposed, inst)
		n.stats.Batches++
		n.stats.Commands += len(cmds)
		n.stats.BatchBytes += len(v)
	}
}

// decided settles the batch this node proposed at index, if any: when the
// instance decided another value (a coordinator after a timeout chose a
// no-op, another leader's batch), its commands are proposed again.
func (l *leader) decided(n *Node, index uint64, v string) {
	p, ok := l.inflight[index]
	if !ok {
		return
	}
	delete(l.inflight, index)
	l.inflightBytes -= len(p.value)
	if v != p.value {
		l.requeue(n, p.cmds)
	}
}

// dropInflight forgets the proposals at or below index (a snapshot was
// installed past them) and queues their commands again, in instance order.
func (l *leader) dropInflight(n *Node, index uint64) {
	var insts []uint64
	for inst := range l.inflight {
		if inst <= index {
			insts = append(insts, inst)
		}
	}
	slices.Sort(insts)
	var cmds []command
	for _, inst := range insts {
		p := l.inflight[inst]
		delete(l.inflight, inst)
		l.inflightBytes -= len(p.value)
		cmds = append(cmds, p.cmds...)
	}
	l.requeue(n, cmds)
}

// requeue puts commands whose instance did not decide them back at the
// head of the queue, while this node leads; the session table drops those
// that were applied anyway (in another instance). A deposed leader drops
// them: the replicas that took them retry with the new leader.
func (l *leader) requeue(n *Node, cmds []command) {
	leads := n.rt.Lease().Leader == n.id
	var again []command
	for _, c := range cmds {
		if _, oc := n.sess.check(c.client, c.seq); oc != fresh || !leads {
			delete(l.pending, c.key())
			continue
		}
		again = append(again, c)
		l.queueBytes += c.size()
	}
	n.stats.Requeued += len(again)
	l.queue = append(again, l.queue...)
}

// active reports whether the leader has work for its timer: commands to
// propose or in flight, a gap in the log, or peers to keep informed (for a
// bounded number of heartbeats after its last work, so that a cluster
// with a crashed peer still falls quiet).
func (l *leader) active(n *Node) bool {
	if n.rt.Lease().Leader != n.id {
		return false
	}
	if len(l.queue) > 0 || len(l.inflight) > 0 || n.gap() > 0 {
		return true
	}
	return n.anyPeerBehind() && l.idleTicks < lingerTicks
}

// lingerTicks bounds the heartbeats a leader sends with nothing but
// lagging peers to inform.
const lingerTicks = 50

// heartbeat: the leader pings its peers every tick while it is active, so
// that they hear from it (and do not campaign), learn how far the log is
// decided (and catch up), and tell it how far they are.
func (n *Node) heartbeat() {
	l := &n.lead
	if !l.active(n) {
		return
	}
	if len(l.queue) == 0 && len(l.inflight) == 0 && n.gap() == 0 {
		l.idleTicks++
	} else {
		l.idleTicks = 0
	}
	n.pingAll(0)
}

// gap is how many instances this node knows of beyond its log: instances
// it or its peers have seen that it has not applied.
func (n *Node) gap() uint64 {
	h := n.knownHighest()
	if h <= n.applied {
		return 0
	}
	return h - n.applied
}

// fillGaps: the leader drives every instance between its log and the
// highest instance known, once the log has stalled for RetryAfter, by
// proposing the no-op in it. An instance that runs already is left alone
// (the runtime refuses: ErrStarted, ErrDecided); one this node never saw
// runs with the no-op, and if a value was chosen in it, the prepare round
// finds it (Paxos): the value, not the no-op, is decided. Without this an
// instance started by a deposed leader, or whose only trace is in peers'
// records, would hold the log back for ever.
func (n *Node) fillGaps(now time.Duration) {
	if !n.leading() || n.gap() == 0 {
		return
	}
	if now-n.progress < n.cfg.RetryAfter {
		return
	}
	last := min(n.knownHighest(), n.applied+uint64(n.cfg.Window))
	for inst := n.applied + 1; inst <= last; inst++ {
		err := n.rt.Propose(n.ctx, inst, noop)
		if err != nil && !errors.Is(err, rounds.ErrStarted) && !errors.Is(err, rounds.ErrDecided) && !errors.Is(err, rounds.ErrForgotten) {
			n.ctx.Logger().Warn("smr: cannot fill a gap in the log", "instance", inst, "err", err)
			return
		}
	}
}
