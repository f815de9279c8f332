package replica

import (
	"slices"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/lattice"
)

const gossipTimer = "replica/gossip"

// Read is a request body that reads a replica's state without changing it:
// the function is called with the state on the replica's own goroutine and
// must not keep or modify it. It works in-process only (a function does not
// cross the network); services such as package kv use it to serve reads.
type Read[L any] func(state L)

// entry is one retained delta and where it came from: this replica (a local
// operation) or the peer that sent it. A delta is never shipped back to the
// peer it came from (that peer has it): the "avoid back-propagation"
// optimisation of Enes, Almeida, Baquero and Leitão, "Efficient
// Synchronization of State-based CRDTs", ICDE 2019.
type entry[L any] struct {
	d    L
	from core.NodeID
	size int // encoded bytes, for Config.MaxDeltaBytes
}

// Node is one replica: a core.Process that applies client operations
// (core.Request bodies handed to Config.Apply) and runs delta-interval
// anti-entropy with every other node of the cluster.
type Node[L lattice.Lattice[L]] struct {
	cfg  Config[L]
	self core.NodeID

	state  L
	seq    uint64                 // c: the number of changes recorded
	deltas map[uint64]entry[L]    // D: retained deltas by sequence number
	lowest uint64                 // every l < lowest has left D
	acked  map[core.NodeID]uint64 // A: what each peer acknowledged
	peers  []core.NodeID

	armed    bool
	interval time.Duration
	progress bool // some peer acknowledged something new since the last round
	stats    Stats
	quiet    bool
	logged   int // deltas logged in Storage since the state was last written
	buffered int // encoded bytes of the deltas in D
	fullEnc  []byte
	fullAt   uint64 // the c fullEnc encodes
}

// New returns a replica for cfg. It panics when Bottom, Codec or Apply is
// missing: that is a programming error found at start-up.
func New[L lattice.Lattice[L]](cfg Config[L]) *Node[L] {
	if cfg.Bottom == nil || cfg.Codec == nil || cfg.Apply == nil {
		panic("replica: Config needs Bottom, Codec and Apply")
	}
	cfg.defaults()
	return &Node[L]{cfg: cfg}
}

// State returns the replica's state; it is shared, so the caller must not
// change it. It is meant for tests and for the goroutine that drives the
// process.
func (r *Node[L]) State() L { return r.state }

// Seq returns the replica's change counter c.
func (r *Node[L]) Seq() uint64 { return r.seq }

// Init loads the persisted state and counter, if any. D and A start empty:
// after a restart every peer gets the whole state once.
func (r *Node[L]) Init(ctx core.Context) {
	r.self = ctx.ID()
	r.state = r.cfg.Bottom(r.self)
	r.deltas = make(map[uint64]entry[L])
	r.acked = make(map[core.NodeID]uint64)
	r.peers = r.peers[:0]
	for _, id := range ctx.Nodes() {
		if id != r.self {
			r.peers = append(r.peers, id)
		}
	}
	r.interval = r.cfg.Interval
	r.quiet = true
	if err := r.restore(ctx.Storage()); err != nil {
		ctx.Logger().Error("replica: persisted state does not load; starting from ⊥ and recovering from peers", "err", err)
		r.state, r.seq = r.cfg.Bottom(r.self), 0
	}
	r.lowest = r.seq
	if r.seq > 0 {
		r.snapshot(ctx)
		if r.cfg.OnChange != nil {
			r.cfg.OnChange(r.state)
		}
		r.wake(ctx)
	}
}

// Handle applies an operation, merges a delta-group, records an
// acknowledgement or runs a gossip round.
func (r *Node[L]) Handle(ctx core.Context, ev core.Event) {
	switch ev := ev.(type) {
	case core.Request:
		if read, ok := ev.Body.(Read[L]); ok {
			read(r.state)
			return
		}
		r.operate(ctx, ev.Body)
	case core.Message:
		switch m := ev.Body.(type) {
		case Delta:
			r.receive(ctx, ev.From, m)
		case Ack:
			r.ack(ev.From, m.Seq)
		}
	case core.Timer:
		if ev.Key == gossipTimer {
			r.armed = false
			r.round(ctx)
		}
	}
}

// operate runs a client operation through the δ-mutator and records its
// delta.
func (r *Node[L]) operate(ctx core.Context, op any) {
	delta, err := r.cfg.Apply(ctx, r.state, op)
	if err != nil {
		ctx.Output(Applied{Op: op, Error: err.Error()})
		return
	}
	if lattice.IsBot(delta) {
		ctx.Output(Applied{Op: op, Noop: true})
		return
	}
	enc, err := r.cfg.Codec.Append(nil, delta)
	if err != nil {
		ctx.Logger().Error("replica: a delta does not encode; operation dropped", "err", err)
		ctx.Output(Applied{Op: op, Error: "delta does not encode: " + err.Error()})
		return
	}
	r.state.Merge(delta) // idempotent: the mutator may already have joined it
	r.record(ctx, delta, enc, r.self)
	ctx.Output(Applied{Op: op, Delta: enc})
	if r.cfg.broken == fireAndForget {
		for _, p := range r.peers {
			r.send(ctx, p, Delta{Lo: r.seq - 1, Hi: r.seq, State: enc})
		}
		return
	}
	r.wake(ctx)
}

// record makes delta D[c], persists it (enc is its encoding), and reports
// the change.
func (r *Node[L]) record(ctx core.Context, delta L, enc []byte, from core.NodeID) {
	r.deltas[r.seq] = entry[L]{delta, from, len(enc)}
	r.seq++
	r.buffered += len(enc)
	for len(r.deltas) > r.cfg.MaxDeltas || (r.buffered > r.cfg.MaxDeltaBytes && len(r.deltas) > 1) {
		r.drop(r.lowest)
		r.lowest++
	}
	r.persist(ctx, enc)
	r.snapshot(ctx)
	if r.cfg.OnChange != nil {
		r.cfg.OnChange(r.state)
	}
}

func (r *Node[L]) snapshot(ctx core.Context) {
	s := Snapshot{Seq: r.seq}
	if r.cfg.Value != nil {
		s.Value = r.cfg.Value(r.state)
	}
	if r.cfg.OutputState {
		s.State, _ = r.cfg.Codec.Append(nil, r.state)
	}
	ctx.Output(s)
}

// receive merges a delta-group. Merging is idempotent and commutative, so a
// duplicate or a stale group is harmless; the acknowledgement goes out
// after the merge is persisted, and goes out even when nothing changed (the
// previous acknowledgement may have been lost).
func (r *Node[L]) receive(ctx core.Context, from core.NodeID, m Delta) {
	d, err := r.cfg.Codec.Decode(m.State)
	if err != nil {
		ctx.Logger().Warn("replica: a delta-group does not decode; dropped, the sender will resend", "from", from, "err", err)
		return
	}
	if r.state.Merge(d) {
		if r.cfg.broken == correct {
			r.record(ctx, d, m.State, from) // forward it: peers that did not hear from the origin hear from us
			r.wake(ctx)
		} else {
			r.seq++
			r.persist(ctx, m.State)
			r.snapshot(ctx)
		}
	}
	if r.cfg.broken == correct {
		r.send(ctx, from, Ack{Seq: m.Hi})
	}
}

// ack raises A[from]. An acknowledgement above c cannot be genuine (it would
// come from a previous incarnation's counter only if c were not persisted,
// and it is) and is capped so that it never hides a delta.
func (r *Node[L]) ack(from core.NodeID, seq uint64) {
	seq = min(seq, r.seq)
	if seq <= r.acked[from] {
		return
	}
	r.acked[from] = seq
	r.progress = true
	r.collect()
}

// collect drops the deltas every peer acknowledged.
func (r *Node[L]) collect() {
	low := r.seq
	for _, p := range r.peers {
		low = min(low, r.acked[p])
	}
	for ; r.lowest < low; r.lowest++ {
		r.drop(r.lowest)
	}
}

func (r *Node[L]) drop(l uint64) {
	r.buffered -= r.deltas[l].size
	delete(r.deltas, l)
}

// lagging lists the peers that have not acknowledged everything.
func (r *Node[L]) lagging() []core.NodeID {
	var out []core.NodeID
	for _, p := range r.peers {
		if r.acked[p] < r.seq {
			out = append(out, p)
		}
	}
	return out
}

// wake arms the gossip timer at the base interval, re-arming it if it was
// backing off: something new should not wait out a backoff meant for an
// unreachable peer.
func (r *Node[L]) wake(ctx core.Context) {
	r.quiet = false
	if !r.armed || r.interval > r.cfg.Interval {
		r.interval = r.cfg.Interval
		r.armed = true
		ctx.SetTimer(gossipTimer, r.interval)
	}
}

// round is one gossip round: a delta-group (or the whole state) to each
// chosen lagging peer. When every peer has acknowledged everything the
// replica falls quiet and sets no timer: a quiescent cluster sends nothing.
func (r *Node[L]) round(ctx core.Context) {
	lag := r.lagging()
	if len(lag) == 0 {
		if !r.quiet {
			r.quiet = true
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
	groups := map[uint64][]byte{} // one encoding per distinct starting point, unless a peer's own deltas are left out
	fullLen := -1
	for _, p := range lag {
		lo := r.acked[p]
		full := lo < r.lowest
		if full {
			lo = 0
		}
		own := !full && r.sentBy(lo, p)
		enc, ok := groups[lo]
		if full {
			var err error
			if enc, err = r.fullState(); err != nil {
				ctx.Logger().Error("replica: state does not encode; not gossiping", "err", err)
				return
			}
		} else if own || !ok {
			var err error
			if enc, err = r.cfg.Codec.Append(nil, r.group(lo, full, p)); err != nil {
				ctx.Logger().Error("replica: state does not encode; not gossiping", "err", err)
				return
			}
			if !own {
				groups[lo] = enc
			}
		}
		if fullLen < 0 && !r.cfg.SkipFullStateStats {
			b, _ := r.fullState()
			fullLen = len(b)
		}
		r.send(ctx, p, Delta{Lo: lo, Hi: r.seq, Full: full, State: enc})
		if fullLen >= 0 {
			r.stats.BytesFull += int64(deltaSize(0, r.seq, fullLen))
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
	r.armed = true
	ctx.SetTimer(gossipTimer, r.interval)
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

// group is ⊔{D[l] | lo ≤ l < c, D[l] not from peer to}, or the whole
// state.
func (r *Node[L]) group(lo uint64, full bool, to core.NodeID) L {
	if full {
		return r.state
	}
	acc := r.cfg.Bottom(r.self)
	for l := lo; l < r.seq; l++ {
		if e := r.deltas[l]; e.from != to || e.from == r.self {
			acc.Merge(e.d)
		}
	}
	return acc
}

// sentBy reports whether some delta numbered lo.. came from peer p.
func (r *Node[L]) sentBy(lo uint64, p core.NodeID) bool {
	for l := lo; l < r.seq; l++ {
		if r.deltas[l].from == p {
			return true
		}
	}
	return false
}

// send sends a message and counts its bytes.
func (r *Node[L]) send(ctx core.Context, to core.NodeID, m any) {
	switch m := m.(type) {
	case Delta:
		if m.Full {
			r.stats.Fulls++
		} else {
			r.stats.Deltas++
		}
		r.stats.BytesSent += int64(deltaSize(m.Lo, m.Hi, len(m.State)))
	case Ack:
		r.stats.Acks++
		r.stats.BytesSent += int64(uvarintLen(m.Seq))
	}
	ctx.Send(to, m)
}

// deltaSize is the encoded size of a Delta body, computed without encoding
// it again.
func deltaSize(lo, hi uint64, state int) int {
	return uvarintLen(lo) + uvarintLen(hi) + 1 + uvarintLen(uint64(state)) + state
}

func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}
