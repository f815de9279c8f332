package lattice

// Conflict is the flat lattice over T: ⊥, then every value of T side by
// side, then ⊤ where two different values met. It detects conflicting
// writes instead of resolving them (Bloom^L's example of a lattice that
// turns a coordination bug into a visible value). The zero value is ⊥.
type Conflict[T comparable] struct {
	v     T
	state conflictState
}

type conflictState uint8

const (
	conflictBot conflictState = iota
	conflictVal
	conflictTop
)

// ConflictOf returns the lattice holding the single value v.
func ConflictOf[T comparable](v T) *Conflict[T] { return &Conflict[T]{v: v, state: conflictVal} }

// Value returns the value and whether there is exactly one (neither ⊥ nor ⊤).
func (c *Conflict[T]) Value() (T, bool) { return c.v, c.state == conflictVal }

// Merge merges o into c: equal values stay, different values become ⊤.
func (c *Conflict[T]) Merge(o *Conflict[T]) bool {
	switch {
	case o.state == conflictBot || c.state == conflictTop:
		return false
	case c.state == conflictBot:
		*c = *o
		return true
	case o.state == conflictTop || o.v != c.v:
		var zero T
		c.v, c.state = zero, conflictTop
		return true
	}
	return false
}

// LessEq reports c ≤ o.
func (c *Conflict[T]) LessEq(o *Conflict[T]) bool {
	switch {
	case c.state == conflictBot || o.state == conflictTop:
		return true
	case c.state == conflictTop || o.state == conflictBot:
		return false
	}
	return c.v == o.v
}

// IsBot reports whether c holds nothing.
func (c *Conflict[T]) IsBot() bool { return c.state == conflictBot }

// IsTop reports whether two different values met.
func (c *Conflict[T]) IsTop() bool { return c.state == conflictTop }

// Clone copies c.
func (c *Conflict[T]) Clone() *Conflict[T] { d := *c; return &d }
