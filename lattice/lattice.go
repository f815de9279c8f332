package lattice

// Merger is a type that can join another value into itself.
// Merge must be associative, commutative and idempotent, and must report
// true exactly when the receiver's value changed.
type Merger[L any] interface {
	Merge(other L) (changed bool)
}

// Orderer is a type with the partial order induced by its merge:
// a.LessEq(b) exactly when a ⊔ b = b.
type Orderer[L any] interface {
	LessEq(other L) bool
}

// Botter reports whether a value is the lattice's least element ⊥.
type Botter interface {
	IsBot() bool
}

// Topper reports whether a value is the lattice's greatest element ⊤.
// Most lattices have no top; the ones here that do (Bool, Conflict,
// WithTop) implement it.
type Topper interface {
	IsTop() bool
}

// Cloner makes an independent deep copy, so that merging into the copy
// never aliases the original.
type Cloner[L any] interface {
	Clone() L
}

// Lattice is the full contract every lattice of this package meets. L is
// the pointer type itself (for example *Max[int]); it is comparable so that
// composites can read a nil L as ⊥.
type Lattice[L any] interface {
	comparable
	Merger[L]
	Orderer[L]
	Botter
	Cloner[L]
}

// Equal reports whether a and b hold the same lattice value: a ≤ b and b ≤ a.
// A nil value reads as ⊥.
func Equal[L Lattice[L]](a, b L) bool {
	return LessEq(a, b) && LessEq(b, a)
}

// LessEq is a.LessEq(b) with a nil value read as ⊥.
func LessEq[L Lattice[L]](a, b L) bool {
	var zero L
	switch {
	case a == zero:
		return true
	case b == zero:
		return a.IsBot()
	}
	return a.LessEq(b)
}

// IsBot is l.IsBot() with a nil value read as ⊥.
func IsBot[L Lattice[L]](l L) bool {
	var zero L
	return l == zero || l.IsBot()
}

// MergeInto joins src into *dst, allocating *dst (as a clone of src) when it
// is nil, and reports whether *dst changed. It is how composites merge their
// nested lattices without special-casing ⊥.
func MergeInto[L Lattice[L]](dst *L, src L) bool {
	var zero L
	if src == zero || src.IsBot() {
		return false
	}
	if *dst == zero {
		*dst = src.Clone()
		return true
	}
	return (*dst).Merge(src)
}

// Join returns a fresh a ⊔ b, leaving both untouched.
func Join[L Lattice[L]](a, b L) L {
	var zero L
	if a == zero {
		if b == zero {
			return zero
		}
		return b.Clone()
	}
	out := a.Clone()
	MergeInto(&out, b)
	return out
}

// clone is Clone with a nil value kept nil.
func clone[L Lattice[L]](l L) L {
	var zero L
	if l == zero {
		return zero
	}
	return l.Clone()
}
