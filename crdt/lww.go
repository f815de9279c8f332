package crdt

import "github.com/rondo-dev/rondo/core"

// LWW is the last-writer-wins register (Shapiro et al., §3.2.1): the write
// with the larger (timestamp, node) wins, the node breaking ties so that
// every replica picks the same winner. As a lattice it is a DomPair keyed
// by a total order, so the caveat of lattice.DomPair does not bite. The
// zero value holds no value.
//
// A (timestamp, node) pair must name one write: Set enforces it on the
// writing node by moving its timestamp past any it has seen (a Lamport
// clock over the caller's clock).
type LWW[T any] struct {
	ts   uint64
	node core.NodeID
	val  T
	ok   bool
}

// Set writes v as node at time ts (any clock: wall, hybrid, logical) and
// returns the delta. The write is stamped after any write already seen.
func (r *LWW[T]) Set(node core.NodeID, ts uint64, v T) *LWW[T] {
	if r.ok && !after(ts, node, r.ts, r.node) {
		ts = r.ts + 1
	}
	r.ts, r.node, r.val, r.ok = ts, node, v, true
	d := *r
	return &d
}

// Get returns the value and whether one was written.
func (r *LWW[T]) Get() (T, bool) { return r.val, r.ok }

// Stamp returns the winning write's timestamp and node.
func (r *LWW[T]) Stamp() (uint64, core.NodeID) { return r.ts, r.node }

func after(ts uint64, n core.NodeID, ts2 uint64, n2 core.NodeID) bool {
	return ts > ts2 || (ts == ts2 && n > n2)
}

// Merge keeps the later write.
func (r *LWW[T]) Merge(o *LWW[T]) bool {
	if !o.ok || (r.ok && !after(o.ts, o.node, r.ts, r.node)) {
		return false
	}
	*r = *o
	return true
}

// LessEq reports whether r's write is not later than o's.
func (r *LWW[T]) LessEq(o *LWW[T]) bool {
	return !r.ok || (o.ok && !after(r.ts, r.node, o.ts, o.node))
}

// IsBot reports whether nothing was written.
func (r *LWW[T]) IsBot() bool { return !r.ok }

// Clone copies r (the value itself is copied shallowly).
func (r *LWW[T]) Clone() *LWW[T] { c := *r; return &c }
