package lattice

// WithBot adds a fresh ⊥ below every value of L, so that "no value yet"
// differs from "L's own least value" (hydro's WithBot, an option type).
// The zero value is the new ⊥.
type WithBot[L Lattice[L]] struct {
	v  L
	ok bool
}

// Some wraps v, which then sits above WithBot's ⊥ even if v is L's ⊥.
func Some[L Lattice[L]](v L) *WithBot[L] { return &WithBot[L]{v: v, ok: true} }

// Value returns the wrapped value and whether there is one.
func (w *WithBot[L]) Value() (L, bool) { return w.v, w.ok }

// Merge merges o into w.
func (w *WithBot[L]) Merge(o *WithBot[L]) bool {
	if !o.ok {
		return false
	}
	if !w.ok {
		w.v, w.ok = clone(o.v), true
		return true
	}
	return MergeInto(&w.v, o.v)
}

// LessEq reports w ≤ o.
func (w *WithBot[L]) LessEq(o *WithBot[L]) bool { return !w.ok || (o.ok && LessEq(w.v, o.v)) }

// IsBot reports whether w holds nothing.
func (w *WithBot[L]) IsBot() bool { return !w.ok }

// Clone deep-copies w.
func (w *WithBot[L]) Clone() *WithBot[L] { return &WithBot[L]{v: clone(w.v), ok: w.ok} }

// WithTop adds a ⊤ above every value of L: an absorbing "give up" state,
// for instance "this key was written with conflicting types". The zero value
// is L's ⊥.
type WithTop[L Lattice[L]] struct {
	v   L
	top bool
}

// Top returns ⊤.
func Top[L Lattice[L]]() *WithTop[L] { return &WithTop[L]{top: true} }

// Below wraps v below ⊤.
func Below[L Lattice[L]](v L) *WithTop[L] { return &WithTop[L]{v: v} }

// Value returns the wrapped value; it is meaningless when IsTop.
func (w *WithTop[L]) Value() L { return w.v }

// Merge merges o into w; ⊤ absorbs everything.
func (w *WithTop[L]) Merge(o *WithTop[L]) bool {
	switch {
	case w.top:
		return false
	case o.top:
		var zero L
		w.v, w.top = zero, true
		return true
	}
	return MergeInto(&w.v, o.v)
}

// LessEq reports w ≤ o.
func (w *WithTop[L]) LessEq(o *WithTop[L]) bool {
	return o.top || (!w.top && LessEq(w.v, o.v))
}

// IsBot reports whether w is L's ⊥.
func (w *WithTop[L]) IsBot() bool { return !w.top && IsBot(w.v) }

// IsTop reports whether w is ⊤.
func (w *WithTop[L]) IsTop() bool { return w.top }

// Clone deep-copies w.
func (w *WithTop[L]) Clone() *WithTop[L] { return &WithTop[L]{v: clone(w.v), top: w.top} }
