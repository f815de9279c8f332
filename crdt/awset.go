package crdt

import (
	"maps"
	"slices"

	"github.com/rondo-dev/rondo/core"
)

// AWSet is the add-wins observed-remove set (Shapiro et al.'s OR-set in
// the delta form of Almeida et al., §7.2): each element carries the dots of
// the adds that put it there; a remove drops the dots it has observed, so a
// concurrent add — with a dot the remover never saw — survives. The zero
// value is the empty set.
type AWSet[T comparable] struct {
	entries map[T][]Dot
	owner   map[Dot]T // the element each live dot belongs to
	ctx     *Context
}

// set replaces x's dots, keeping the owner index exact.
func (s *AWSet[T]) set(x T, ds []Dot) {
	for _, d := range s.entries[x] {
		delete(s.owner, d)
	}
	if len(ds) == 0 {
		delete(s.entries, x)
		return
	}
	if s.entries == nil {
		s.entries = make(map[T][]Dot)
		s.owner = make(map[Dot]T)
	}
	s.entries[x] = ds
	for _, d := range ds {
		s.owner[d] = x
	}
}

func (s *AWSet[T]) c() *Context {
	if s.ctx == nil {
		s.ctx = &Context{}
	}
	return s.ctx
}

// Add inserts x as node and returns the delta.
func (s *AWSet[T]) Add(node core.NodeID, x T) *AWSet[T] {
	d := s.c().Next(node)
	delta := &AWSet[T]{ctx: contextOf(append(slices.Clone(s.entries[x]), d)...)}
	delta.set(x, []Dot{d})
	s.set(x, []Dot{d})
	return delta
}

// Remove deletes x — the adds of x this replica has seen — and returns
// the delta, which is empty-handed but carries those dots in its context.
func (s *AWSet[T]) Remove(x T) *AWSet[T] {
	delta := &AWSet[T]{ctx: contextOf(slices.Clone(s.entries[x])...)}
	s.set(x, nil)
	return delta
}

// Contains reports whether x is in the set.
func (s *AWSet[T]) Contains(x T) bool { _, ok := s.entries[x]; return ok }

// Len is the number of elements.
func (s *AWSet[T]) Len() int { return len(s.entries) }

// Elements iterates over the elements in no particular order.
func (s *AWSet[T]) Elements() func(yield func(T) bool) { return maps.Keys(s.entries) }

// Merge joins o into s and reports whether s changed.
func (s *AWSet[T]) Merge(o *AWSet[T]) bool {
	changed := s.joinStore(o, ctxOrEmpty(o.ctx))
	if o.ctx != nil && s.c().Merge(o.ctx) {
		changed = true
	}
	return changed
}

func (s *AWSet[T]) joinStore(o *AWSet[T], oc *Context) bool {
	sc := ctxOrEmpty(s.ctx)
	changed := false
	join := func(x T) {
		mine := s.entries[x]
		out, ch := joinDots(mine, o.entries[x], sc, oc)
		if ch {
			changed = true
			s.set(x, out)
		}
	}
	// Only elements of o, and elements of s owning a dot o has seen, can
	// change. For a delta, whose context is a handful of dots, finding those
	// through the owner index beats scanning every element of s.
	if oc.count() < uint64(len(s.entries)) {
		oc.each(func(d Dot) bool {
			if x, ok := s.owner[d]; ok {
				join(x)
			}
			return true
		})
	} else {
		for x := range s.entries {
			join(x)
		}
	}
	for x := range o.entries {
		join(x)
	}
	return changed
}

// LessEq reports s ≤ o: merging s into o would not change o.
func (s *AWSet[T]) LessEq(o *AWSet[T]) bool { return !o.Clone().Merge(s) }

// IsBot reports whether s has seen nothing.
func (s *AWSet[T]) IsBot() bool { return len(s.entries) == 0 && (s.ctx == nil || s.ctx.IsBot()) }

// Clone deep-copies s.
func (s *AWSet[T]) Clone() *AWSet[T] { return s.cloneIn(ctxOrEmpty(s.ctx).Clone()) }

func (s *AWSet[T]) newIn(ctx *Context) *AWSet[T] { return &AWSet[T]{ctx: ctx} }

func (s *AWSet[T]) cloneIn(ctx *Context) *AWSet[T] {
	c := &AWSet[T]{ctx: ctx}
	for x, ds := range s.entries {
		c.set(x, append([]Dot(nil), ds...))
	}
	return c
}

func (s *AWSet[T]) storeEmpty() bool { return len(s.entries) == 0 }

func (s *AWSet[T]) eachDot(f func(Dot)) {
	for _, ds := range s.entries {
		for _, d := range ds {
			f(d)
		}
	}
}

func (s *AWSet[T]) context() *Context { return s.c() }
