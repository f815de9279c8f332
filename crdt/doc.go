// Package crdt holds conflict-free replicated data types built as
// join-semilattices (package lattice) with delta mutators: every mutator
// changes the local state and returns a delta — itself a value of the same
// lattice, usually tiny — whose merge into any replica has the same effect.
// An anti-entropy process ships deltas, or the full state when a peer fell
// too far behind, and Merge reports whether anything changed.
//
// References:
//   - M. Shapiro, N. Preguiça, C. Baquero, M. Zawirski. "Conflict-free
//     Replicated Data Types", SSS 2011 (counters, registers, OR-set).
//   - P. S. Almeida, A. Shoker, C. Baquero. "Delta State Replicated Data
//     Types", JPDC 2018 (delta mutators, causal contexts, dot stores,
//     add-wins set, enable-wins flag, multi-value register, OR-map).
//   - N. Conway et al. "Logic and Lattices for Distributed Programming",
//     SoCC 2012 (lattice composition).
//
// Causal CRDTs (EWFlag, MVRegister, AWSet, ORMap) pair a dot store — which
// events are live — with a causal context — which events have been seen.
// Seeing an event in the context but not in the store means it was
// removed, which is what lets a remove beat an older add but not a
// concurrent one, under any delivery order. mutants.NaiveORSet (package
// crdt/mutants) shows what goes wrong without a context.
//
// Every type here uses pointer receivers for its mutators, a value receiver
// for AppendBinary and a pointer receiver for UnmarshalBinary, so that
// core.Register picks their compact binary encoding; decoders never panic.
// The zero value of every type is its ⊥, ready to use.
package crdt
