package smr

import (
	"fmt"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// Catch-up. A node learns from its peers' Pings and Pongs how far they
// applied the log. When it is behind and its log has not moved for
// RetryAfter (the runtime's own recovery — a decision learned from a
// peer's decision log — did not bring it along), it fetches the entries
// from the peer furthest ahead. A peer whose log starts after the asked
// index (a snapshot truncated it) sends its snapshot instead, piece by
// piece (each piece asked for when the previous one arrived), and the node
// installs it and fetches the entries after it.
type catchUp struct {
	// askedAt is when the last Fetch or FetchSnap left; tries counts the
	// requests in a row that brought nothing, to give up on a peer that
	// stopped answering (it was heard from before it crashed).
	askedAt time.Duration
	tries   int
	// A snapshot being received: its index, its size, the bytes so far,
	// and the peer sending it.
	snap    []byte
	snapAt  uint64
	snapLen uint64
	from    core.NodeID
}

// maxFetchTries bounds the fetches without progress before a node stops
// asking (until it hears anew that it is behind).
const maxFetchTries = 20

func (c *catchUp) active(n *Node) bool {
	_, behind := n.furthest()
	return behind && c.tries < maxFetchTries
}

// catchUpIfBehind fetches from the peer furthest ahead when this node is
// behind and its log has stalled.
func (n *Node) catchUpIfBehind(now time.Duration) {
	c := &n.catch
	p, behind := n.furthest()
	if !behind || c.tries >= maxFetchTries || now-n.progress < n.cfg.RetryAfter || now-c.askedAt < n.cfg.RetryAfter {
		return
	}
	c.askedAt = now
	c.tries++
	if c.snap != nil && c.from == p {
		n.ctx.Send(p, FetchSnap{Index: c.snapAt, Offset: uint64(len(c.snap))})
		return
	}
	n.ctx.Send(p, Fetch{From: n.applied + 1})
}

// serveFetch answers a peer's Fetch: entries from this node's log, or the
// first piece of its snapshot if the log starts after From.
func (n *Node) serveFetch(from core.NodeID, f Fetch) {
	if f.From > n.applied {
		return
	}
	if f.From <= n.snap.index {
		n.sendChunk(from, 0)
		return
	}
	st := n.ctx.Storage()
	e := Entries{From: f.From}
	size := 0
	for idx := f.From; idx <= n.applied && (len(e.Values) == 0 || size < fetchBytes); idx++ {
		v, ok := st.Get(logKey(idx))
		if !ok {
			break
		}
		e.Values = append(e.Values, string(v))
		size += len(v)
	}
	if len(e.Values) > 0 {
		n.ctx.Send(from, e)
	}
}

// entries applies a peer's log entries that follow this node's log, then
// truncates the runtime up to them (its own instances there are decided
// now, and Next must hand out the index after them), and asks for more if
// still behind.
func (n *Node) entries(from core.NodeID, e Entries) {
	before := n.applied
	for i, v := range e.Values {
		idx := e.From + uint64(i)
		if idx != n.applied+1 {
			continue
		}
		n.commit(idx, v)
		if n.failed != nil {
			return
		}
	}
	if n.applied == before {
		return
	}
	n.stats.Fetched += int(n.applied - before)
	n.catch.tries = 0
	if err := n.truncateRuntime(n.applied); err != nil {
		n.failed = err
		return
	}
	if p, behind := n.furthest(); behind {
		n.catch.askedAt = n.ctx.Now()
		n.ctx.Send(p, Fetch{From: n.applied + 1})
	}
}

// sendChunk sends piece i of this node's snapshot.
func (n *Node) sendChunk(to core.NodeID, i int) {
	data, ok := n.readChunk(i)
	if !ok {
		return
	}
	n.ctx.Send(to, SnapChunk{Index: n.snap.index, Total: n.snap.total, Offset: uint64(i) * chunkBytes, Data: data})
}

// serveSnap answers a FetchSnap: the piece asked for, or the first piece
// of the current snapshot if the one asked for was replaced meanwhile.
func (n *Node) serveSnap(from core.NodeID, f FetchSnap) {
	if f.Index != n.snap.index || f.Offset%chunkBytes != 0 {
		n.sendChunk(from, 0)
		return
	}
	n.sendChunk(from, int(f.Offset/chunkBytes))
}

// snapChunk takes a piece of a peer's snapshot: pieces are taken in order,
// from one snapshot at a time (a first piece starts over); the last one
// installs it.
func (n *Node) snapChunk(from core.NodeID, c SnapChunk) {
	k := &n.catch
	if c.Index <= n.applied || c.Total > maxSnapshotBytes {
		return
	}
	if c.Offset == 0 {
		k.snap, k.snapAt, k.snapLen, k.from = make([]byte, 0, min(c.Total, 64<<20)), c.Index, c.Total, from
	}
	if k.snap == nil || c.Index != k.snapAt || c.Total != k.snapLen || c.Offset != uint64(len(k.snap)) {
		return
	}
	k.snap = append(k.snap, c.Data...)
	k.tries = 0
	k.askedAt = n.ctx.Now()
	if uint64(len(k.snap)) < k.snapLen {
		n.ctx.Send(from, FetchSnap{Index: c.Index, Offset: uint64(len(k.snap))})
		return
	}
	blob := k.snap
	k.snap = nil
	if uint64(len(blob)) != c.Total {
		return
	}
	if err := n.install(c.Index, blob); err != nil {
		n.ctx.Logger().Warn("smr: a peer's snapshot was refused", "from", from, "index", c.Index, "err", err)
	}
}

// maxSnapshotBytes bounds a snapshot taken from a peer (1 TiB: a bound on
// memory a hostile size field could ask for up front, not on real states,
// whose buffer grows as pieces arrive).
const maxSnapshotBytes = 1 << 40

// install replaces this node's state with a peer's snapshot at index: the
// state machine and the session table, the stored snapshot, the log (all
// of it is older), the runtime's instances up to index; then the requests
// waiting here that the snapshot knows of are answered.
func (n *Node) install(index uint64, blob []byte) error {
	idx, sess, state, err := decodeSnapshot(blob, n.cfg.SessionWindow, n.cfg.MaxSessions)
	if err != nil {
		return err
	}
	if idx != index {
		return fmt.Errorf("smr: a snapshot announced at %d holds %d", index, idx)
	}
	sm := n.cfg.New()
	if err := sm.Restore(state); err != nil {
		return fmt.Errorf("smr: the state machine refuses the snapshot: %w", err)
	}
	if err := n.storeSnapshot(index, blob); err != nil {
		n.failed = fmt.Errorf("smr: cannot store the snapshot at %d: %w", index, err)
		return nil
	}
	if err := n.deleteLog(^uint64(0)); err != nil {
		n.failed = err
		return nil
	}
	n.sm, n.sess, n.applied, n.logBytes = sm, sess, index, 0
	n.progress = n.ctx.Now()
	n.stats.Installed++
	if err := n.truncateRuntime(index); err != nil {
		n.failed = err
		return nil
	}
	n.lead.dropInflight(n, index)
	n.waiters.answerFromSessions(n)
	if p, behind := n.furthest(); behind {
		n.catch.askedAt = n.ctx.Now()
		n.ctx.Send(p, Fetch{From: n.applied + 1})
	}
	return nil
}
