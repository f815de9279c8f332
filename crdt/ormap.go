package crdt

import (
	"maps"
	"slices"
)

// ORMap is the observed-remove map of nested causal CRDTs (Almeida et al.,
// §7.4): every value shares the map's one causal context, so removing a key
// drops exactly the dots observed under it, and a concurrent update of the
// value survives (update-wins). Values are EWFlag, MVRegister, AWSet or
// another ORMap. The zero value is the empty map.
type ORMap[K comparable, V Embeddable[V]] struct {
	entries map[K]V
	owner   map[Dot]K // the key each live dot is under
	ctx     *Context
}

// reindex records k's value v (nil: none) after it changed from holding
// the dots old.
// Only the difference between the old and new dots touches the index, so
// that updating one element of a large nested value stays cheap.
func (m *ORMap[K, V]) reindex(k K, old []Dot, v V, present bool) {
	var cur []Dot
	if present && !v.storeEmpty() {
		cur = dotsOf(v, true)
	}
	i, j := 0, 0
	for i < len(old) || j < len(cur) {
		switch {
		case j == len(cur) || (i < len(old) && cmpDot(old[i], cur[j]) < 0):
			delete(m.owner, old[i])
			i++
		case i == len(old) || cmpDot(cur[j], old[i]) < 0:
			if m.owner == nil {
				m.owner = make(map[Dot]K)
			}
			m.owner[cur[j]] = k
			j++
		default: // in both: already indexed under k
			i++
			j++
		}
	}
	if len(cur) == 0 {
		delete(m.entries, k)
		return
	}
	if m.entries == nil {
		m.entries = make(map[K]V)
	}
	m.entries[k] = v
}

// dotsOf returns v's dots, sorted.
func dotsOf[V Embeddable[V]](v V, ok bool) []Dot {
	var ds []Dot
	if ok {
		v.eachDot(func(d Dot) { ds = append(ds, d) })
		slices.SortFunc(ds, cmpDot)
	}
	return ds
}

func (m *ORMap[K, V]) c() *Context {
	if m.ctx == nil {
		m.ctx = &Context{}
	}
	return m.ctx
}

// Get returns the value at k, or nil. The value shares m's context: use
// Update to change it.
func (m *ORMap[K, V]) Get(k K) V { return m.entries[k] }

// Len is the number of keys.
func (m *ORMap[K, V]) Len() int { return len(m.entries) }

// Keys iterates over the keys in no particular order.
func (m *ORMap[K, V]) Keys() func(yield func(K) bool) { return maps.Keys(m.entries) }

// Update applies the delta mutator f to the value at k (an empty value if
// there is none) and returns the map's delta. f must return the delta its
// mutator returned, for example
//
//	m.Update(k, func(s *AWSet[string]) *AWSet[string] { return s.Add(node, "x") })
func (m *ORMap[K, V]) Update(k K, f func(V) V) *ORMap[K, V] {
	var zero V
	v, ok := m.entries[k]
	if !ok {
		v = zero.newIn(m.c())
	}
	old := dotsOf(v, ok)
	dv := f(v)
	m.reindex(k, old, v, true)
	dctx := dv.context()
	if dv.storeEmpty() { // a removal inside the value: its context says it all
		return &ORMap[K, V]{ctx: dctx}
	}
	return &ORMap[K, V]{entries: map[K]V{k: dv.cloneIn(dctx)}, ctx: dctx}
}

// Remove deletes k — the dots observed under it — and returns the delta.
func (m *ORMap[K, V]) Remove(k K) *ORMap[K, V] {
	v, ok := m.entries[k]
	dots := dotsOf(v, ok)
	m.reindex(k, dots, v, false)
	return &ORMap[K, V]{ctx: contextOf(slices.Clone(dots)...)}
}

// Merge joins o into m and reports whether m changed.
func (m *ORMap[K, V]) Merge(o *ORMap[K, V]) bool {
	changed := m.joinStore(o, ctxOrEmpty(o.ctx))
	if o.ctx != nil && m.c().Merge(o.ctx) {
		changed = true
	}
	return changed
}

func (m *ORMap[K, V]) joinStore(o *ORMap[K, V], oc *Context) bool {
	var zero V
	mc := m.c()
	changed := false
	join := func(k K) {
		v, ok := m.entries[k]
		ov, ook := o.entries[k]
		if !ook {
			ov = zero.newIn(oc)
		}
		if !ok {
			v = zero.newIn(mc)
		}
		old := dotsOf(v, ok)
		if v.joinStore(ov, oc) {
			changed = true
			m.reindex(k, old, v, true)
		}
	}
	// As in AWSet: with a small context (a delta), only the keys of o and
	// the keys owning a dot o has seen can change.
	if oc.count() < uint64(len(m.entries)) {
		keys := map[K]struct{}{}
		oc.each(func(d Dot) bool {
			if k, ok := m.owner[d]; ok {
				keys[k] = struct{}{}
			}
			return true
		})
		for k := range keys {
			join(k)
		}
	} else {
		for k := range m.entries {
			join(k)
		}
	}
	for k := range o.entries {
		join(k)
	}
	return changed
}

// LessEq reports m ≤ o.
func (m *ORMap[K, V]) LessEq(o *ORMap[K, V]) bool { return !o.Clone().Merge(m) }

// IsBot reports whether m has seen nothing.
func (m *ORMap[K, V]) IsBot() bool { return len(m.entries) == 0 && (m.ctx == nil || m.ctx.IsBot()) }

// Clone deep-copies m.
func (m *ORMap[K, V]) Clone() *ORMap[K, V] { return m.cloneIn(ctxOrEmpty(m.ctx).Clone()) }

func (m *ORMap[K, V]) newIn(ctx *Context) *ORMap[K, V] { return &ORMap[K, V]{ctx: ctx} }

func (m *ORMap[K, V]) cloneIn(ctx *Context) *ORMap[K, V] {
	c := &ORMap[K, V]{ctx: ctx}
	for k, v := range m.entries {
		c.reindex(k, nil, v.cloneIn(ctx), true)
	}
	return c
}

func (m *ORMap[K, V]) storeEmpty() bool { return len(m.entries) == 0 }

func (m *ORMap[K, V]) eachDot(f func(Dot)) {
	for _, v := range m.entries {
		v.eachDot(f)
	}
}

func (m *ORMap[K, V]) context() *Context { return m.c() }
