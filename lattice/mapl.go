package lattice

import "maps"

// Map is the lattice of maps from keys to lattice values, merged pointwise
// (Bloom^L lmap). A missing key and a key mapped to ⊥ are the same thing,
// and Map never stores ⊥ values. The zero value is the empty map, ⊥.
type Map[K comparable, V Lattice[V]] struct {
	m map[K]V
}

// Get returns the value at k, or nil (⊥) when there is none. The result is
// shared with m: clone it before changing it.
func (m *Map[K, V]) Get(k K) V { return m.m[k] }

// Len is the number of keys with a value above ⊥.
func (m *Map[K, V]) Len() int { return len(m.m) }

// All iterates over keys and values in no particular order.
func (m *Map[K, V]) All() func(yield func(K, V) bool) { return maps.All(m.m) }

// MergeAt merges v into the value at k and returns the delta {k: v} when
// that changed anything, else ⊥.
func (m *Map[K, V]) MergeAt(k K, v V) *Map[K, V] {
	if IsBot(v) {
		return &Map[K, V]{}
	}
	if m.m == nil {
		m.m = make(map[K]V)
	}
	cur := m.m[k]
	if !MergeInto(&cur, v) {
		return &Map[K, V]{}
	}
	m.m[k] = cur
	return &Map[K, V]{m: map[K]V{k: v.Clone()}}
}

// Merge merges o pointwise.
func (m *Map[K, V]) Merge(o *Map[K, V]) bool {
	changed := false
	for k, v := range o.m {
		if IsBot(v) {
			continue
		}
		if m.m == nil {
			m.m = make(map[K]V, len(o.m))
		}
		cur := m.m[k]
		if MergeInto(&cur, v) {
			m.m[k] = cur
			changed = true
		}
	}
	return changed
}

// LessEq reports whether every value of m is ≤ o's value at the same key.
func (m *Map[K, V]) LessEq(o *Map[K, V]) bool {
	for k, v := range m.m {
		if !LessEq(v, o.m[k]) {
			return false
		}
	}
	return true
}

// IsBot reports whether every value is ⊥.
func (m *Map[K, V]) IsBot() bool {
	for _, v := range m.m {
		if !IsBot(v) {
			return false
		}
	}
	return true
}

// Clone deep-copies m.
func (m *Map[K, V]) Clone() *Map[K, V] {
	c := &Map[K, V]{}
	if m.m != nil {
		c.m = make(map[K]V, len(m.m))
		for k, v := range m.m {
			c.m[k] = clone(v)
		}
	}
	return c
}
