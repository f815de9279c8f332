package lattice

import "cmp"

// Max is the lattice of a totally ordered value under max (Bloom^L lmax).
// The zero value is ⊥, below every value of T.
type Max[T cmp.Ordered] struct {
	v  T
	ok bool
}

// MaxOf returns the Max lattice holding v.
func MaxOf[T cmp.Ordered](v T) *Max[T] { return &Max[T]{v: v, ok: true} }

// Value returns the value and whether m is above ⊥.
func (m *Max[T]) Value() (T, bool) { return m.v, m.ok }

// Merge keeps the larger value.
func (m *Max[T]) Merge(o *Max[T]) bool {
	if !o.ok || (m.ok && o.v <= m.v) {
		return false
	}
	m.v, m.ok = o.v, true
	return true
}

// LessEq reports m ≤ o.
func (m *Max[T]) LessEq(o *Max[T]) bool { return !m.ok || (o.ok && m.v <= o.v) }

// IsBot reports whether m holds no value.
func (m *Max[T]) IsBot() bool { return !m.ok }

// Clone copies m.
func (m *Max[T]) Clone() *Max[T] { c := *m; return &c }

// Set raises m to v and returns the delta, which is ⊥ when v does not
// exceed the current value.
func (m *Max[T]) Set(v T) *Max[T] {
	d := MaxOf(v)
	if !m.Merge(d) {
		return &Max[T]{}
	}
	return d
}

// Min is the lattice of a totally ordered value under min (Bloom^L lmin):
// the dual of Max, so "growing" means getting smaller. The zero value is ⊥,
// above every value of T.
type Min[T cmp.Ordered] struct {
	v  T
	ok bool
}

// MinOf returns the Min lattice holding v.
func MinOf[T cmp.Ordered](v T) *Min[T] { return &Min[T]{v: v, ok: true} }

// Value returns the value and whether m is above ⊥.
func (m *Min[T]) Value() (T, bool) { return m.v, m.ok }

// Merge keeps the smaller value.
func (m *Min[T]) Merge(o *Min[T]) bool {
	if !o.ok || (m.ok && o.v >= m.v) {
		return false
	}
	m.v, m.ok = o.v, true
	return true
}

// LessEq reports m ≤ o in the lattice order, that is m's value ≥ o's.
func (m *Min[T]) LessEq(o *Min[T]) bool { return !m.ok || (o.ok && m.v >= o.v) }

// IsBot reports whether m holds no value.
func (m *Min[T]) IsBot() bool { return !m.ok }

// Clone copies m.
func (m *Min[T]) Clone() *Min[T] { c := *m; return &c }

// Bool is the lattice false < true under or (Bloom^L lbool): once true,
// forever true. Its ⊤ is true.
type Bool struct{ v bool }

// BoolOf returns the Bool lattice holding v.
func BoolOf(v bool) *Bool { return &Bool{v: v} }

// Value returns the boolean.
func (b *Bool) Value() bool { return b.v }

// Merge ors o into b.
func (b *Bool) Merge(o *Bool) bool {
	if o.v && !b.v {
		b.v = true
		return true
	}
	return false
}

// LessEq reports b ≤ o.
func (b *Bool) LessEq(o *Bool) bool { return !b.v || o.v }

// IsBot reports whether b is false.
func (b *Bool) IsBot() bool { return !b.v }

// IsTop reports whether b is true.
func (b *Bool) IsTop() bool { return b.v }

// Clone copies b.
func (b *Bool) Clone() *Bool { c := *b; return &c }
