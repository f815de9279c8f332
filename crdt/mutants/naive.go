// Package mutants holds deliberately broken CRDTs, kept as counterexamples:
// the law checker (lattice/latticetest) and the convergence campaigns
// (replica) are shown, and tested, to catch them. Never use them for
// anything else.
package mutants

import "maps"

// NaiveORSet is a deliberately broken set: it ships adds and removes as
// deltas by value, with no causal context, and applies them in arrival
// order. A remove therefore cannot tell the add it saw from a concurrent
// one, and replicas that receive the same deltas in a different order
// disagree for ever (TestNaiveORSetDiverges). crdt.AWSet fixes exactly this
// with dots. Its Merge is not commutative, which the law checker reports
// too.
type NaiveORSet[T comparable] struct {
	Present map[T]bool `json:"present,omitempty"` // true: present; false: removed
}

// Add inserts x and returns the delta "add x".
func (s *NaiveORSet[T]) Add(x T) *NaiveORSet[T] { return s.apply(x, true) }

// Remove deletes x and returns the delta "remove x".
func (s *NaiveORSet[T]) Remove(x T) *NaiveORSet[T] { return s.apply(x, false) }

func (s *NaiveORSet[T]) apply(x T, present bool) *NaiveORSet[T] {
	if s.Present == nil {
		s.Present = make(map[T]bool)
	}
	s.Present[x] = present
	return &NaiveORSet[T]{Present: map[T]bool{x: present}}
}

// Contains reports whether x is present.
func (s *NaiveORSet[T]) Contains(x T) bool { return s.Present[x] }

// Merge applies o's adds and removes over s's: the last delivery wins.
func (s *NaiveORSet[T]) Merge(o *NaiveORSet[T]) bool {
	changed := false
	for x, p := range o.Present {
		if q, ok := s.Present[x]; !ok || q != p {
			if s.Present == nil {
				s.Present = make(map[T]bool)
			}
			s.Present[x] = p
			changed = true
		}
	}
	return changed
}

// LessEq compares by containment of the recorded operations.
func (s *NaiveORSet[T]) LessEq(o *NaiveORSet[T]) bool {
	for x, p := range s.Present {
		if q, ok := o.Present[x]; !ok || q != p {
			return false
		}
	}
	return true
}

// IsBot reports whether nothing was recorded.
func (s *NaiveORSet[T]) IsBot() bool { return len(s.Present) == 0 }

// Clone copies s.
func (s *NaiveORSet[T]) Clone() *NaiveORSet[T] { return &NaiveORSet[T]{Present: maps.Clone(s.Present)} }
