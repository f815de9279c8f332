// Package lattice holds join-semilattices, the monotone functions and
// morphisms between them, and the Bloom^L lattice types.
//
// A join-semilattice is a set with a merge (join, ⊔) that is associative,
// commutative and idempotent. State that only ever grows by merging converges
// on every replica no matter the order, duplication or delay of messages —
// the basis of coordination-free programs (the CALM theorem) and of CRDTs.
//
// References:
//   - N. Conway, W. Marczak, P. Alvaro, J. M. Hellerstein, D. Maier.
//     "Logic and Lattices for Distributed Programming" (Bloom^L), SoCC 2012.
//   - M. Shapiro, N. Preguiça, C. Baquero, M. Zawirski. "Conflict-free
//     Replicated Data Types", SSS 2011.
//   - P. S. Almeida, A. Shoker, C. Baquero. "Delta State Replicated Data
//     Types", JPDC 2018.
//
// # Conventions
//
// Every lattice here is used through a pointer (*Max[int], *Set[string], …)
// and follows the same shape, in the spirit of the Rust hydro "lattices"
// crate: one small interface per algebraic property (Merger, Orderer,
// Botter, Topper, Cloner), and Lattice when a type has them all.
//
//   - Merge(other) folds other into the receiver and reports whether the
//     receiver changed. The report is what lets an anti-entropy process stop
//     forwarding deltas that taught it nothing.
//   - The zero value is ⊥, and a nil pointer nested inside a composite
//     (a Pair field, a Map entry) also reads as ⊥.
//   - Mutators return a delta: itself a lattice value, small, that yields
//     the new state when merged into the old one (delta-state CRDTs).
//
// Functions between lattices are first-class values (Func) that declare
// whether they are merely monotone or morphisms. A morphism distributes over
// merge, f(a ⊔ b) = f(a) ⊔ f(b), so it can be applied to a delta alone; a
// monotone function must see the whole state. The law checker in package
// latticetest verifies both claims.
package lattice
