package kv

import (
	"maps"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt"
	"github.com/rondo-dev/rondo/lattice"
)

// MV is the causal half of a Store: an observed-remove map of multi-value
// registers (crdt.ORMap of crdt.MVRegister).
type MV = crdt.ORMap[string, *crdt.MVRegister[string]]

// Version names one write: the writer's clock reading and its node. Versions
// are totally ordered (time first, node breaking ties), so every replica
// picks the same winner among concurrent writes.
type Version struct {
	Time uint64      `json:"time"`
	Node core.NodeID `json:"node"`
}

// Less orders versions.
func (v Version) Less(o Version) bool {
	return v.Time < o.Time || (v.Time == o.Time && v.Node < o.Node)
}

// Entry is one key's last-writer-wins register: the winning write's
// version, its value, and whether that write was a delete (a tombstone,
// kept so that a delete beats an older put arriving late).
type Entry struct {
	Version Version
	Value   []byte
	Deleted bool
}

// Store is the replicated state of the lattice KV: a map from key to
// last-writer-wins register, merged key by key, and the session clock —
// for each replica, how many writes it made — merged by pointwise max. It
// is a join-semilattice (Merge is associative, commutative, idempotent); the
// zero value is ⊥. Entries are immutable once in a Store: a write replaces
// the pointer.
//
// In causal mode (Options.Causal) keys live in mv instead: each key is a
// multi-value register, so concurrent writes are all kept, as siblings,
// until a write that has seen them all.
type Store struct {
	keys  map[string]*Entry
	mv    *MV
	clock lattice.VClock
}

// Get returns the entry under key, or nil.
func (s *Store) Get(key string) *Entry { return s.keys[key] }

// Len is the number of keys, tombstones included, plus the causal keys.
func (s *Store) Len() int {
	n := len(s.keys)
	if s.mv != nil {
		n += s.mv.Len()
	}
	return n
}

// Values returns the causal values under key (several when concurrent
// writes are siblings), ordered alike on every replica.
func (s *Store) Values(key string) []string {
	if s.mv == nil {
		return nil
	}
	if r := s.mv.Get(key); r != nil {
		return r.Values()
	}
	return nil
}

// WriteCausal writes value under key in the causal map (or removes key),
// replacing every value this replica has seen there, and returns the delta.
func (s *Store) WriteCausal(node core.NodeID, key string, value []byte, remove bool) *Store {
	if s.mv == nil {
		s.mv = &MV{}
	}
	var d *MV
	if remove {
		d = s.mv.Remove(key)
	} else {
		d = s.mv.Update(key, func(r *crdt.MVRegister[string]) *crdt.MVRegister[string] { return r.Write(node, string(value)) })
	}
	return &Store{mv: d, clock: *s.clock.Tick(node)}
}

// Clock returns the session clock (shared: do not modify).
func (s *Store) Clock() *lattice.VClock { return &s.clock }

// Write stores e under key as a write of node and returns the delta: the
// entry and node's clock entry.
func (s *Store) Write(node core.NodeID, key string, e *Entry) *Store {
	if s.keys == nil {
		s.keys = make(map[string]*Entry)
	}
	if cur := s.keys[key]; cur == nil || cur.Version.Less(e.Version) {
		s.keys[key] = e
	}
	return &Store{keys: map[string]*Entry{key: e}, clock: *s.clock.Tick(node)}
}

// Merge joins o into s and reports whether s changed.
func (s *Store) Merge(o *Store) bool {
	changed := false
	for k, e := range o.keys {
		if cur := s.keys[k]; cur == nil || cur.Version.Less(e.Version) {
			if s.keys == nil {
				s.keys = make(map[string]*Entry, len(o.keys))
			}
			s.keys[k] = e
			changed = true
		}
	}
	if lattice.MergeInto(&s.mv, o.mv) {
		changed = true
	}
	if s.clock.Merge(&o.clock) {
		changed = true
	}
	return changed
}

// LessEq reports s ⊑ o.
func (s *Store) LessEq(o *Store) bool {
	for k, e := range s.keys {
		if cur := o.keys[k]; cur == nil || cur.Version.Less(e.Version) {
			return false
		}
	}
	return lattice.LessEq(s.mv, o.mv) && s.clock.LessEq(&o.clock)
}

// IsBot reports whether s is empty.
func (s *Store) IsBot() bool { return len(s.keys) == 0 && lattice.IsBot(s.mv) && s.clock.IsBot() }

// Clone copies s; entries are shared, being immutable.
func (s *Store) Clone() *Store {
	c := &Store{keys: maps.Clone(s.keys), clock: *s.clock.Clone()}
	if s.mv != nil {
		c.mv = s.mv.Clone()
	}
	return c
}
