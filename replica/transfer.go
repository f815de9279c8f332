package replica

import (
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/lattice"
)

// A peer whose acknowledgement is older than the retained deltas (it fell
// behind the buffer, joined empty, or this replica restarted and lost D)
// gets the whole state. A state larger than one message travels as a
// transfer: a snapshot of the state at counter s0, cut into pieces that
// each fit in one message (the lattice's own Split, applied until they
// do), every piece merged and acknowledged on its own. Once p has
// acknowledged every piece, A[p] = s0 and delta-groups take over from there.
//
// Pieces are lattice values below the state, so a lost piece is sent again,
// a duplicated or reordered one changes nothing, and a receiver that
// crashes mid-transfer keeps what it merged (it persisted each piece before
// acknowledging it). Config.Window pieces are in flight to a peer at once;
// a piece not acknowledged in time goes again. The last part of the
// lattice's first Split goes only after every other piece is acknowledged,
// so that a splitter can put there what claims the rest is present.

// transfer is the whole state as of counter seq, cut into encoded pieces;
// every peer that needs the whole state while it is recent enough shares
// it.
type transfer struct {
	seq    uint64
	pieces [][]byte
	// sealed is where the pieces that wait for all the others start
	// (len(pieces) when none wait).
	sealed int
}

// sending is one peer's progress through a transfer.
type sending struct {
	t        *transfer
	acked    []bool
	sent     []bool
	sentAt   []time.Duration
	left     int // pieces not acknowledged
	unsealed int // pieces before t.sealed not acknowledged
	next     int // where the next round starts looking, so that a lost piece does not hold back the others
}

// sendPieces sends p the next pieces of its transfer, starting one if
// there is none: as many as keep Config.Window unacknowledged pieces in
// flight.
func (r *Node[L]) sendPieces(ctx core.Context, p core.NodeID) error {
	s := r.sending[p]
	if s == nil {
		t, err := r.pieces()
		if err != nil {
			return err
		}
		n := len(t.pieces)
		s = &sending{t: t, acked: make([]bool, n), sent: make([]bool, n), sentAt: make([]time.Duration, n),
			left: n, unsealed: t.sealed}
		r.sending[p] = s
	}
	now, wait := ctx.Now(), r.resend(p)
	inFlight := func(i int) bool { return s.sent[i] && !s.acked[i] && now-s.sentAt[i] < wait }
	busy := 0
	for i := range s.acked {
		if inFlight(i) {
			busy++
		}
	}
	limit := len(s.acked)
	if s.unsealed > 0 {
		limit = s.t.sealed
	}
	start := s.next
	for k := 0; k < limit && busy < r.cfg.Window; k++ {
		i := (start + k) % limit
		if s.acked[i] || inFlight(i) {
			continue
		}
		enc := s.t.pieces[i]
		if len(enc) > MaxPiece {
			r.oversized(ctx, p, len(enc))
			continue
		}
		r.send(ctx, p, Piece{Seq: s.t.seq, Index: uint32(i), Count: uint32(len(s.acked)), State: enc})
		s.sent[i], s.sentAt[i] = true, now
		s.next = (i + 1) % limit
		busy++
	}
	return nil
}

// pieceAck records that p merged one piece; once it merged them all, A[p]
// rises to the transfer's counter.
func (r *Node[L]) pieceAck(ctx core.Context, p core.NodeID, m PieceAck) {
	s := r.sending[p]
	i := int(m.Index)
	if s == nil || s.t.seq != m.Seq || i >= len(s.acked) || s.acked[i] {
		return // a duplicate, or from a transfer that is over
	}
	if s.sent[i] {
		r.sample(p, ctx.Now()-s.sentAt[i])
	}
	s.acked[i] = true
	s.left--
	if i < s.t.sealed {
		s.unsealed--
	}
	r.progress = true
	if s.left == 0 {
		delete(r.sending, p)
		r.ack(ctx, p, s.t.seq)
	}
}

// pieces returns the transfer peers start now: the latest one while its
// counter is still in D's range (a peer that completes it can go on with
// delta-groups), else a fresh cut of the state.
func (r *Node[L]) pieces() (*transfer, error) {
	if r.snap != nil && r.snap.seq >= r.lowest {
		return r.snap, nil
	}
	whole, err := r.cfg.Codec.Append(nil, r.state)
	if err != nil {
		return nil, err
	}
	t := &transfer{seq: r.seq, pieces: [][]byte{whole}, sealed: 1}
	sp, ok := any(r.state).(lattice.Splitter[L])
	if len(whole) > r.cfg.Budget && ok {
		// Aim below the budget, so that parts of uneven size mostly fit
		// without another cut.
		parts := sp.Split(max(2, 1+len(whole)/(r.cfg.Budget*3/4)))
		if len(parts) > 1 {
			t.pieces = t.pieces[:0]
			for i, part := range parts {
				if i == len(parts)-1 {
					t.sealed = len(t.pieces)
				}
				if t.pieces, err = r.cut(t.pieces, part, 0); err != nil {
					return nil, err
				}
			}
			if len(t.pieces) == 0 { // every part ⊥: a splitter's mistake
				t.pieces, t.sealed = [][]byte{whole}, 1
			}
		}
	}
	r.snap = t
	return t, nil
}

// maxCuts bounds how many times a piece is split again: a splitter that
// keeps returning parts as large as the whole would loop for ever.
const maxCuts = 24

// cut appends the encoding of part, split again into pieces that fit
// Config.Budget if it does not; a part that cannot be split further is
// appended as it is (and refused at send time if it exceeds a message).
func (r *Node[L]) cut(out [][]byte, part L, depth int) ([][]byte, error) {
	if lattice.IsBot(part) {
		return out, nil
	}
	enc, err := r.cfg.Codec.Append(nil, part)
	if err != nil {
		return out, err
	}
	if len(enc) <= r.cfg.Budget || depth >= maxCuts {
		return append(out, enc), nil
	}
	sp, ok := any(part).(lattice.Splitter[L])
	if !ok {
		return append(out, enc), nil
	}
	parts := sp.Split(max(2, 1+len(enc)/(r.cfg.Budget*3/4)))
	if len(parts) < 2 {
		return append(out, enc), nil
	}
	for _, sub := range parts {
		if out, err = r.cut(out, sub, depth+1); err != nil {
			return out, err
		}
	}
	return out, nil
}

// oversized reports a piece no message can carry: the lattice cannot split
// its state finely enough. It is logged at WARN, at most once a minute of
// the node's clock with the count held back, and counted in Stats.
func (r *Node[L]) oversized(ctx core.Context, to core.NodeID, size int) {
	r.stats.Oversized++
	if k, ok := r.warn.allow(ctx.Now()); ok {
		ctx.Logger().Warn("replica: a piece of the state is larger than one message and cannot be sent; "+
			"this peer will not catch up (the lattice does not implement lattice.Splitter, or cannot split finer)",
			"to", to, "bytes", size, "limit", MaxPiece, "suppressed", k)
	}
}

// warnLimit lets one warning through per period of the node's clock and
// counts the ones held back.
type warnLimit struct {
	last       time.Duration
	said       bool
	suppressed int
}

const warnPeriod = time.Minute

func (w *warnLimit) allow(now time.Duration) (suppressed int, ok bool) {
	if w.said && now-w.last < warnPeriod {
		w.suppressed++
		return 0, false
	}
	k := w.suppressed
	w.last, w.said, w.suppressed = now, true, 0
	return k, true
}

// sendUnbounded is the anti-entropy of the oneMessage variant: the whole
// interval, or the whole state, in one message whatever its size.
func (r *Node[L]) sendUnbounded(ctx core.Context, p core.NodeID) error {
	lo := r.acked[p]
	if lo < r.lowest {
		enc, err := r.fullState()
		if err != nil {
			return err
		}
		r.sending[p] = &sending{t: &transfer{seq: r.seq, pieces: [][]byte{enc}, sealed: 1},
			acked: make([]bool, 1), sent: []bool{true}, sentAt: make([]time.Duration, 1), left: 1, unsealed: 1}
		r.send(ctx, p, Piece{Seq: r.seq, Index: 0, Count: 1, State: enc})
		return nil
	}
	enc, err := r.cfg.Codec.Append(nil, r.group(lo, r.seq, p))
	if err != nil {
		return err
	}
	r.send(ctx, p, Delta{Lo: lo, Hi: r.seq, State: enc})
	return nil
}
