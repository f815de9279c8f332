// Package latticetest checks the join-semilattice laws for any lattice, and
// the promises of monotone functions and morphisms, by property-based testing
// with pgregory.net/rapid: random values are drawn from a generator the user
// supplies, and a failure is shrunk to a small counterexample before it is
// reported. Modelled on the test module of the Rust hydro "lattices" crate.
//
//	func TestMyLattice(t *testing.T) {
//		latticetest.Check(t, rapid.Custom(func(t *rapid.T) *MyLattice { … }))
//	}
//
// The laws (Conway et al., SoCC 2012; Shapiro et al. 2011):
//
//	associative   (a ⊔ b) ⊔ c = a ⊔ (b ⊔ c)
//	commutative   a ⊔ b = b ⊔ a
//	idempotent    a ⊔ a = a
//	identity      ⊥ ⊔ a = a ⊔ ⊥ = a, and the zero value IsBot
//	order         a ≤ b ⟺ a ⊔ b = b, and a ≤ a ⊔ b
//	changed       a.Merge(b) reports true ⟺ a ⊔ b ≠ a
//	clone         merging into a clone never changes the original
//
// Equality is tested through the lattice's own order (a ≤ b and b ≤ a),
// so a type whose order and merge disagree fails the "order" law.
package latticetest

import (
	"pgregory.net/rapid"

	"github.com/rondo-dev/rondo/lattice"
)

// Check verifies every lattice law for L on values drawn from gen. E is the
// struct type behind the pointer L; its zero value must be ⊥. t may be a
// *testing.T, a *testing.B or any rapid.TB.
func Check[E any, L interface {
	*E
	lattice.Lattice[L]
}](t rapid.TB, gen *rapid.Generator[L]) {
	t.Helper()
	rapid.Check(t, func(rt *rapid.T) {
		a := gen.Draw(rt, "a")
		b := gen.Draw(rt, "b")
		c := gen.Draw(rt, "c")
		checkLaws[E](rt, a, b, c)
	})
}

func checkLaws[E any, L interface {
	*E
	lattice.Lattice[L]
}](t *rapid.T, a, b, c L) {
	ac, bc, cc := a.Clone(), b.Clone(), c.Clone()
	eq := lattice.Equal[L]
	join := func(x, y L) L { z := x.Clone(); z.Merge(y); return z }

	// clone: the joins below must not reach into their arguments.
	defer func() {
		if !eq(a, ac) || !eq(b, bc) || !eq(c, cc) {
			t.Fatalf("clone: merging into a clone changed the original")
		}
	}()

	if l, r := join(join(a, b), c), join(a, join(b, c)); !eq(l, r) {
		t.Fatalf("associativity: (a ⊔ b) ⊔ c = %v but a ⊔ (b ⊔ c) = %v", show(l), show(r))
	}
	if l, r := join(a, b), join(b, a); !eq(l, r) {
		t.Fatalf("commutativity: a ⊔ b = %v but b ⊔ a = %v", show(l), show(r))
	}
	if aa := join(a, a); !eq(aa, a) {
		t.Fatalf("idempotence: a ⊔ a = %v, not a", show(aa))
	}
	bot := L(new(E))
	if !bot.IsBot() {
		t.Fatalf("identity: the zero value is not ⊥")
	}
	if l, r := join(bot, a), join(a, bot); !eq(l, a) || !eq(r, a) {
		t.Fatalf("identity: ⊥ ⊔ a = %v, a ⊔ ⊥ = %v, not a", show(l), show(r))
	}
	if a.IsBot() && !eq(a, bot) {
		t.Fatalf("identity: a reports IsBot but differs from the zero value")
	}
	if !bot.LessEq(a) {
		t.Fatalf("order: ⊥ ≰ a")
	}
	ab := join(a, b)
	if !a.LessEq(ab) || !b.LessEq(ab) {
		t.Fatalf("order: a ⊔ b is not an upper bound of a and b")
	}
	if le, absorbs := a.LessEq(b), eq(ab, b); le != absorbs {
		t.Fatalf("order: a ≤ b is %v but (a ⊔ b = b) is %v", le, absorbs)
	}
	// changed: Merge's report must say whether the value moved.
	x := a.Clone()
	changed := x.Merge(b)
	if moved := !eq(x, a); changed != moved {
		t.Fatalf("changed: Merge reported %v but the value moved=%v", changed, moved)
	}
	if x.Merge(b) {
		t.Fatalf("changed: merging b a second time reported a change")
	}
}

// CheckFunc verifies the promise f makes (see lattice.Kind) on values drawn
// from gen: a monotone f preserves order; a morphism also distributes over
// merge, f(a ⊔ b) = f(a) ⊔ f(b).
func CheckFunc[A lattice.Lattice[A], B lattice.Lattice[B]](t rapid.TB, gen *rapid.Generator[A], f lattice.Func[A, B]) {
	t.Helper()
	rapid.Check(t, func(rt *rapid.T) {
		a := gen.Draw(rt, "a")
		b := gen.Draw(rt, "b")
		ab := lattice.Join(a, b)
		fa, fab := f.Apply(a), f.Apply(ab)
		if !lattice.LessEq(fa, fab) {
			rt.Fatalf("%v is not monotone: a ≤ a ⊔ b but f(a) = %v ≰ f(a ⊔ b) = %v", f, show(fa), show(fab))
		}
		if a.LessEq(b) && !lattice.LessEq(fa, f.Apply(b)) {
			rt.Fatalf("%v is not monotone: a ≤ b but f(a) ≰ f(b)", f)
		}
		if f.Kind() == lattice.Morphism {
			if split := lattice.Join(fa, f.Apply(b)); !lattice.Equal(split, fab) {
				rt.Fatalf("%v is not a morphism: f(a ⊔ b) = %v but f(a) ⊔ f(b) = %v", f, show(fab), show(split))
			}
		}
	})
}
