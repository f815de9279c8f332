package lattice

import (
	"cmp"
	"fmt"
)

// Kind says what a Func promises about merges.
type Kind uint8

const (
	// Monotone: a ≤ b implies f(a) ≤ f(b). The result only grows as the
	// input grows, so it is safe to act on without coordination, but it must
	// be computed from the whole state (Bloom^L: size of a set).
	Monotone Kind = iota + 1
	// Morphism: f(a ⊔ b) = f(a) ⊔ f(b). Every morphism is monotone, and it
	// can be applied to a delta alone and the result merged into the
	// previous output (Bloom^L: contains, intersect, filter, at, key_set).
	Morphism
)

func (k Kind) String() string {
	switch k {
	case Monotone:
		return "monotone"
	case Morphism:
		return "morphism"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Func is a function between lattices, carried as a value together with
// its name and the promise it makes (its Kind), so that a runtime can decide
// to apply a morphism incrementally to deltas and a monotone function to the
// whole state. latticetest.CheckFunc verifies the promise.
type Func[A, B any] struct {
	name string
	kind Kind
	f    func(A) B
}

// NewMonotone declares f monotone.
func NewMonotone[A, B any](name string, f func(A) B) Func[A, B] {
	return Func[A, B]{name: name, kind: Monotone, f: f}
}

// NewMorphism declares f a morphism.
func NewMorphism[A, B any](name string, f func(A) B) Func[A, B] {
	return Func[A, B]{name: name, kind: Morphism, f: f}
}

// Apply computes f(a). It never changes a.
func (f Func[A, B]) Apply(a A) B { return f.f(a) }

// Kind returns what f promises.
func (f Func[A, B]) Kind() Kind { return f.kind }

// Name returns f's name, as given to NewMonotone or NewMorphism.
func (f Func[A, B]) Name() string { return f.name }

func (f Func[A, B]) String() string { return f.name + " (" + f.kind.String() + ")" }

// Then composes f and then g. The composition of two morphisms is a
// morphism; anything else is only monotone.
func Then[A, B, C any](f Func[A, B], g Func[B, C]) Func[A, C] {
	k := Monotone
	if f.kind == Morphism && g.kind == Morphism {
		k = Morphism
	}
	return Func[A, C]{name: f.name + "|" + g.name, kind: k, f: func(a A) C { return g.f(f.f(a)) }}
}

// GreaterThan is Bloom^L's lmax.gt(n): whether the maximum exceeds n. A
// morphism, since max(a, b) > n exactly when a > n or b > n.
func GreaterThan[T cmp.Ordered](n T) Func[*Max[T], *Bool] {
	return NewMorphism(fmt.Sprintf("gt(%v)", n), func(m *Max[T]) *Bool {
		return BoolOf(m != nil && m.ok && m.v > n)
	})
}

// AtLeast is Bloom^L's lmax.gt_eq(n).
func AtLeast[T cmp.Ordered](n T) Func[*Max[T], *Bool] {
	return NewMorphism(fmt.Sprintf("gt_eq(%v)", n), func(m *Max[T]) *Bool {
		return BoolOf(m != nil && m.ok && m.v >= n)
	})
}

// Size is Bloom^L's lset.size: monotone, but not a morphism — the size of a
// union is not the max of the sizes.
func Size[T comparable]() Func[*Set[T], *Max[int]] {
	return NewMonotone("size", func(s *Set[T]) *Max[int] { return MaxOf(s.Len()) })
}

// Contains is Bloom^L's lset.contains?(e).
func Contains[T comparable](e T) Func[*Set[T], *Bool] {
	return NewMorphism(fmt.Sprintf("contains(%v)", e), func(s *Set[T]) *Bool {
		return BoolOf(s != nil && s.Contains(e))
	})
}

// Intersect is Bloom^L's lset.intersect with a fixed set: a morphism
// because intersection distributes over union.
func Intersect[T comparable](with *Set[T]) Func[*Set[T], *Set[T]] {
	w := with.Clone()
	return NewMorphism("intersect", func(s *Set[T]) *Set[T] {
		out := &Set[T]{}
		if s == nil {
			return out
		}
		for e := range s.m {
			if w.Contains(e) {
				out.Add(e)
			}
		}
		return out
	})
}

// Filter keeps the elements satisfying keep: a morphism.
func Filter[T comparable](name string, keep func(T) bool) Func[*Set[T], *Set[T]] {
	return NewMorphism("filter("+name+")", func(s *Set[T]) *Set[T] {
		out := &Set[T]{}
		if s == nil {
			return out
		}
		for e := range s.m {
			if keep(e) {
				out.Add(e)
			}
		}
		return out
	})
}

// Image maps every element through f (Bloom^L's lset.project): a morphism,
// since the image of a union is the union of the images.
func Image[T, U comparable](name string, f func(T) U) Func[*Set[T], *Set[U]] {
	return NewMorphism("image("+name+")", func(s *Set[T]) *Set[U] {
		out := &Set[U]{}
		if s == nil {
			return out
		}
		for e := range s.m {
			out.Add(f(e))
		}
		return out
	})
}

// At is Bloom^L's lmap.at(k): the value at k (a fresh copy; nil for ⊥).
func At[K comparable, V Lattice[V]](k K) Func[*Map[K, V], V] {
	return NewMorphism(fmt.Sprintf("at(%v)", k), func(m *Map[K, V]) V {
		var zero V
		if m == nil {
			return zero
		}
		return clone(m.m[k])
	})
}

// KeySet is Bloom^L's lmap.key_set: the keys holding a value above ⊥.
func KeySet[K comparable, V Lattice[V]]() Func[*Map[K, V], *Set[K]] {
	return NewMorphism("key_set", func(m *Map[K, V]) *Set[K] {
		out := &Set[K]{}
		if m == nil {
			return out
		}
		for k, v := range m.m {
			if !IsBot(v) {
				out.Add(k)
			}
		}
		return out
	})
}
