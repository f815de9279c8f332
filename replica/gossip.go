package replica

import (
	"slices"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// flight is the last delta-group sent to a peer, not yet acknowledged.
type flight struct {
	lo, hi uint64
	at     time.Duration
}

// round is one gossip round: to each chosen lagging peer, the longest prefix
// of its delta-interval that fits in one message, or the next pieces of the
// whole state. Every round that reaches a peer moves it forward, however
// large the state. When every peer has acknowledged everything the replica
// falls quiet and sets no timer: a quiescent cluster sends nothing.
func (r *Node[L]) round(ctx core.Context) {
	lag := r.lagging()
	if len(lag) == 0 {
		if !r.quiet {
			r.quiet = true
			r.snap = nil // every transfer is done: free its pieces
			if r.cfg.OutputState == StateWhenQuiet {
				r.snapshot(ctx, true)
			}
			ctx.Output(r.stats)
		}
		return
	}
	r.stats.Rounds++
	if k := r.cfg.Fanout; k > 0 && k < len(lag) {
		ctx.Rand().Shuffle(len(lag), func(i, j int) { lag[i], lag[j] = lag[j], lag[i] })
		lag = lag[:k]
		slices.Sort(lag)
	}
	groups := map[[2]uint64][]byte{} // encodings shared by peers at the same point
	for _, p := range lag {
		var err error
		switch {
		case r.cfg.broken == oneMessage:
			err = r.sendUnbounded(ctx, p)
		case r.acked[p] < r.lowest:
			err = r.sendPieces(ctx, p)
		default:
			delete(r.sending, p) // an acknowledgement overtook the transfer
			err = r.sendInterval(ctx, p, groups)
		}
		if err != nil {
			ctx.Logger().Error("replica: state does not encode; not gossiping to this peer", "peer", p, "err", err)
		}
	}
	if r.stats.Rounds%r.cfg.StatsEvery == 0 {
		ctx.Output(r.stats)
	}
	if !r.progress {
		r.interval = min(2*r.interval, r.cfg.MaxInterval)
	} else {
		r.interval = r.cfg.Interval
	}
	r.progress = false
	r.arm(ctx)
}

// sendInterval sends p the delta-group [A[p], k) for the largest k whose
// deltas fit in Config.Budget — at least one delta, and every delta fits,
// since a local delta that does not is refused and a received one came in
// one message. p acknowledges k, and the next round goes on from there. A
// group still in flight is not sent again before its acknowledgement is
// overdue.
func (r *Node[L]) sendInterval(ctx core.Context, p core.NodeID, groups map[[2]uint64][]byte) error {
	lo := r.acked[p]
	hi, own := r.prefix(lo, p)
	now := ctx.Now()
	if f, ok := r.flight[p]; ok && f.lo == lo && f.hi == hi && now-f.at < r.resend(p) {
		return nil
	}
	var enc []byte
	for {
		key := [2]uint64{lo, hi}
		if b, ok := groups[key]; ok && !own {
			enc = b
			break
		}
		var err error
		if enc, err = r.cfg.Codec.Append(nil, r.group(lo, hi, p)); err != nil {
			return err
		}
		if len(enc) > r.cfg.Budget && hi-lo > 1 {
			// The join encodes larger than its deltas did (a codec with
			// per-value overhead that joining does not remove): halve.
			hi = lo + (hi-lo)/2
			own = r.sentBy(lo, hi, p)
			continue
		}
		if !own {
			groups[key] = enc
		}
		break
	}
	r.send(ctx, p, Delta{Lo: lo, Hi: hi, State: enc})
	r.flight[p] = flight{lo: lo, hi: hi, at: now}
	return nil
}

// prefix returns the end of the longest interval [lo, hi) whose deltas, less
// those from p, add up to at most Config.Budget encoded bytes (at least one
// delta), and whether some delta in it came from p.
func (r *Node[L]) prefix(lo uint64, p core.NodeID) (hi uint64, own bool) {
	size, n := 0, 0
	for hi = lo; hi < r.seq; hi++ {
		e := r.deltas[hi]
		if e.from == p {
			own = true
			continue
		}
		if n > 0 && size+e.size > r.cfg.Budget {
			break
		}
		size += e.size
		n++
	}
	return hi, own
}

// group is ⊔{D[l] | lo ≤ l < hi, D[l] not from peer to}.
func (r *Node[L]) group(lo, hi uint64, to core.NodeID) L {
	acc := r.cfg.Bottom(r.self)
	for l := lo; l < hi; l++ {
		if e := r.deltas[l]; e.from != to {
			acc.Merge(e.d)
		}
	}
	return acc
}

// sentBy reports whether some delta numbered lo..hi-1 came from peer p.
func (r *Node[L]) sentBy(lo, hi uint64, p core.NodeID) bool {
	for l := lo; l < hi; l++ {
		if r.deltas[l].from == p {
			return true
		}
	}
	return false
}

// sample folds one acknowledgement round trip to p into its smoothed
// estimate (7/8 of the old, 1/8 of the new, as TCP does).
func (r *Node[L]) sample(p core.NodeID, d time.Duration) {
	if old := r.rtt[p]; old > 0 {
		d = (7*old + d) / 8
	}
	r.rtt[p] = d
}

// resend is how long an unacknowledged message to p waits before it goes
// again: twice p's smoothed round trip, at least one gossip interval (so
// that small messages go every round, as loss wants) and at most
// MaxInterval. Without it a large group whose acknowledgement takes longer
// than a round to come back would be sent again every round, filling the
// link with copies.
func (r *Node[L]) resend(p core.NodeID) time.Duration {
	return min(max(2*r.rtt[p], r.cfg.Interval), r.cfg.MaxInterval)
}

// send sends a message and counts its bytes.
func (r *Node[L]) send(ctx core.Context, to core.NodeID, m any) {
	state := 0
	switch m := m.(type) {
	case Delta:
		r.stats.Deltas++
		state = len(m.State)
		r.stats.BytesSent += int64(uvarintLen(m.Lo) + uvarintLen(m.Hi) + uvarintLen(uint64(state)) + state)
		r.countFull()
	case Piece:
		r.stats.Pieces++
		state = len(m.State)
		r.stats.BytesSent += int64(uvarintLen(m.Seq) + uvarintLen(uint64(m.Index)) + uvarintLen(uint64(m.Count)) +
			uvarintLen(uint64(state)) + state)
		r.countFull()
	case Ack:
		r.stats.Acks++
		r.stats.BytesSent += int64(uvarintLen(m.Seq))
	case PieceAck:
		r.stats.Acks++
		r.stats.BytesSent += int64(uvarintLen(m.Seq) + uvarintLen(uint64(m.Index)))
	}
	ctx.Send(to, m)
}

// countFull adds to Stats.BytesFull what this message would have cost had
// it carried the whole state, as state-based anti-entropy ships it.
func (r *Node[L]) countFull() {
	if r.cfg.SkipFullStateStats {
		return
	}
	b, err := r.fullState()
	if err != nil {
		return
	}
	r.stats.BytesFull += int64(uvarintLen(0) + uvarintLen(r.seq) + uvarintLen(uint64(len(b))) + len(b))
}

// fullState is the encoded state, cached until the state changes: a peer
// that stays unreachable gets the same bytes every round.
func (r *Node[L]) fullState() ([]byte, error) {
	if r.fullEnc != nil && r.fullAt == r.seq {
		return r.fullEnc, nil
	}
	b, err := r.cfg.Codec.Append(nil, r.state)
	if err != nil {
		return nil, err
	}
	r.fullEnc, r.fullAt = b, r.seq
	return b, nil
}

func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}
