package replica

import (
	"fmt"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/lattice"
)

const gossipTimer = "replica/gossip"

// entry is one retained delta and where it came from: this replica (a local
// operation) or the peer that sent it. A delta is never shipped back to the
// peer it came from (that peer has it): the "avoid back-propagation"
// optimisation of Enes, Almeida, Baquero and Leitão, "Efficient
// Synchronization of State-based CRDTs", ICDE 2019.
type entry[L any] struct {
	d    L
	from core.NodeID
	size int // encoded bytes, for Config.MaxDeltaBytes and Config.Budget
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

	armed    bool          // the gossip timer is set…
	due      time.Duration // …to fire then
	interval time.Duration
	progress bool // some peer acknowledged something new since the last round
	stats    Stats
	quiet    bool
	logged   int // deltas logged in Storage since the state was last written
	buffered int // encoded bytes of the deltas in D
	fullEnc  []byte
	fullAt   uint64 // the c fullEnc encodes

	flight  map[core.NodeID]flight        // the last delta-group sent to each peer
	rtt     map[core.NodeID]time.Duration // smoothed acknowledgement round trip per peer
	snap    *transfer                     // the latest whole state in pieces
	sending map[core.NodeID]*sending      // whole-state transfers in progress
	warn    warnLimit
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
	r.flight = make(map[core.NodeID]flight)
	r.rtt = make(map[core.NodeID]time.Duration)
	r.sending = make(map[core.NodeID]*sending)
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
		r.snapshot(ctx, r.cfg.OutputState == StateOnChange)
		if r.cfg.OnChange != nil {
			r.cfg.OnChange(r.state)
		}
		r.wake(ctx)
	}
}

// Handle applies an operation, merges a delta-group or a piece, records an
// acknowledgement or runs a gossip round.
func (r *Node[L]) Handle(ctx core.Context, ev core.Event) {
	switch ev := ev.(type) {
	case core.Request:
		switch b := ev.Body.(type) {
		case Read[L]:
			b(r.state)
		case Op:
			r.operate(ctx, b.Body, b.Done)
		default:
			r.operate(ctx, b, nil)
		}
	case core.Message:
		switch m := ev.Body.(type) {
		case Delta:
			r.receive(ctx, ev.From, m.State, Ack{Seq: m.Hi})
		case Piece:
			r.receive(ctx, ev.From, m.State, PieceAck{Seq: m.Seq, Index: m.Index})
		case Ack:
			r.ack(ctx, ev.From, m.Seq)
		case PieceAck:
			r.pieceAck(ctx, ev.From, m)
		}
	case core.Timer:
		if ev.Key == gossipTimer {
			r.armed = false
			r.round(ctx)
		}
	}
}

// operate runs a client operation through the δ-mutator and records its
// delta; done, if set, learns the outcome.
func (r *Node[L]) operate(ctx core.Context, op any, done func(error)) {
	reply := func(a Applied, err error) {
		ctx.Output(a)
		if done != nil {
			done(err)
		}
	}
	delta, err := r.cfg.Apply(ctx, r.state, op)
	if err != nil {
		reply(Applied{Op: op, Error: err.Error()}, err)
		return
	}
	if lattice.IsBot(delta) {
		reply(Applied{Op: op, Noop: true}, nil)
		return
	}
	enc, err := r.cfg.Codec.Append(nil, delta)
	switch {
	case err != nil:
		err = fmt.Errorf("delta does not encode: %w", err)
	case len(enc) > r.cfg.Budget && r.cfg.broken != oneMessage:
		err = fmt.Errorf("%w: its delta is %d bytes, one message carries at most %d", ErrTooLarge, len(enc), r.cfg.Budget)
	}
	if err != nil {
		// The mutator may have changed the state in place already: undo it
		// by reloading what is durable, which is every change recorded.
		if r.reload(ctx) {
			reply(Applied{Op: op, Error: err.Error()}, err)
		}
		return
	}
	r.state.Merge(delta) // idempotent: the mutator may already have joined it
	if r.record(ctx, delta, enc, r.self) != nil {
		return // the node stops: nothing may leave it
	}
	reply(Applied{Op: op, Delta: enc}, nil)
	if r.cfg.broken == fireAndForget {
		for _, p := range r.peers {
			r.send(ctx, p, Delta{Lo: r.seq - 1, Hi: r.seq, State: enc})
		}
		return
	}
	r.wake(ctx)
}

// record makes delta D[c], persists it (enc is its encoding), and reports
// the change. It returns the storage error that stopped the node, if any.
func (r *Node[L]) record(ctx core.Context, delta L, enc []byte, from core.NodeID) error {
	r.deltas[r.seq] = entry[L]{delta, from, len(enc)}
	r.seq++
	r.buffered += len(enc)
	for len(r.deltas) > r.cfg.MaxDeltas || (r.buffered > r.cfg.MaxDeltaBytes && len(r.deltas) > 1) {
		r.drop(r.lowest)
		r.lowest++
	}
	if err := r.persist(ctx, enc); err != nil {
		return err
	}
	r.snapshot(ctx, r.cfg.OutputState == StateOnChange)
	if r.cfg.OnChange != nil {
		r.cfg.OnChange(r.state)
	}
	return nil
}

func (r *Node[L]) snapshot(ctx core.Context, withState bool) {
	s := Snapshot{Seq: r.seq}
	if r.cfg.Value != nil {
		s.Value = r.cfg.Value(r.state)
	}
	if withState {
		s.State, _ = r.cfg.Codec.Append(nil, r.state)
	}
	ctx.Output(s)
}

// receive merges a delta-group or a piece of a whole state. Merging is
// idempotent and commutative, so a duplicate or a stale one is harmless; the
// acknowledgement goes out after the merge is persisted, and goes out even
// when nothing changed (the previous acknowledgement may have been lost).
func (r *Node[L]) receive(ctx core.Context, from core.NodeID, state []byte, ack any) {
	d, err := r.cfg.Codec.Decode(state)
	if err != nil {
		ctx.Logger().Warn("replica: a delta-group does not decode; dropped, the sender will resend", "from", from, "err", err)
		return
	}
	if r.state.Merge(d) {
		if r.cfg.broken == fireAndForget {
			r.seq++
			if r.persist(ctx, state) != nil {
				return
			}
			r.snapshot(ctx, r.cfg.OutputState == StateOnChange)
			return
		}
		// Record it, to forward it: peers that did not hear from the
		// origin hear from us.
		if r.record(ctx, d, state, from) != nil {
			return
		}
		r.wake(ctx)
	}
	if r.cfg.broken != fireAndForget {
		r.send(ctx, from, ack)
	}
}

// ack raises A[from]. An acknowledgement above c cannot be genuine (it would
// come from a previous incarnation's counter only if c were not persisted,
// and it is) and is capped so that it never hides a delta.
func (r *Node[L]) ack(ctx core.Context, from core.NodeID, seq uint64) {
	seq = min(seq, r.seq)
	if f, ok := r.flight[from]; ok && seq >= f.hi {
		r.sample(from, ctx.Now()-f.at)
		delete(r.flight, from)
	}
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

// wake brings the gossip timer back to the base interval, firing sooner if
// it was backing off: something new should not wait out a backoff meant for
// an unreachable peer (and a timer due sooner anyway is left alone).
func (r *Node[L]) wake(ctx core.Context) {
	r.quiet = false
	r.interval = r.cfg.Interval
	if at := ctx.Now() + r.interval; !r.armed || at < r.due {
		r.arm(ctx)
	}
}

// arm sets the gossip timer to fire after r.interval.
func (r *Node[L]) arm(ctx core.Context) {
	r.armed, r.due = true, ctx.Now()+r.interval
	ctx.SetTimer(gossipTimer, r.interval)
}
