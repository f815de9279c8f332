package lattice

import (
	"cmp"
	"maps"
	"slices"
)

// Set is the lattice of sets under union (Bloom^L lset). The zero value is
// the empty set, ⊥.
type Set[T comparable] struct {
	m map[T]struct{}
}

// SetOf returns the set of the given elements.
func SetOf[T comparable](elems ...T) *Set[T] {
	s := &Set[T]{}
	for _, e := range elems {
		s.Add(e)
	}
	return s
}

// Add inserts e and returns the delta: {e} if e was new, else ⊥.
func (s *Set[T]) Add(e T) *Set[T] {
	if _, ok := s.m[e]; ok {
		return &Set[T]{}
	}
	if s.m == nil {
		s.m = make(map[T]struct{})
	}
	s.m[e] = struct{}{}
	return &Set[T]{m: map[T]struct{}{e: {}}}
}

// Contains reports whether e is in s.
func (s *Set[T]) Contains(e T) bool { _, ok := s.m[e]; return ok }

// Len is the number of elements.
func (s *Set[T]) Len() int { return len(s.m) }

// All iterates over the elements in no particular order.
func (s *Set[T]) All() func(yield func(T) bool) { return maps.Keys(s.m) }

// Merge adds every element of o.
func (s *Set[T]) Merge(o *Set[T]) bool {
	changed := false
	for e := range o.m {
		if _, ok := s.m[e]; !ok {
			if s.m == nil {
				s.m = make(map[T]struct{}, len(o.m))
			}
			s.m[e] = struct{}{}
			changed = true
		}
	}
	return changed
}

// LessEq reports s ⊆ o.
func (s *Set[T]) LessEq(o *Set[T]) bool {
	if len(s.m) > len(o.m) {
		return false
	}
	for e := range s.m {
		if _, ok := o.m[e]; !ok {
			return false
		}
	}
	return true
}

// IsBot reports whether s is empty.
func (s *Set[T]) IsBot() bool { return len(s.m) == 0 }

// Clone copies s.
func (s *Set[T]) Clone() *Set[T] { return &Set[T]{m: maps.Clone(s.m)} }

// Sorted returns the elements of an ordered set in increasing order.
func Sorted[T cmp.Ordered](s *Set[T]) []T { return slices.Sorted(maps.Keys(s.m)) }
