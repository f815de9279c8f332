package kv_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/rondo-dev/rondo/kv"
	"github.com/rondo-dev/rondo/lattice"
)

// A store's parts are each below it and join back to it, in any order, and
// the session clock travels alone in the last part (package replica
// delivers that one after the others).
func TestAStoreSplitsIntoPartsThatJoinBackToIt(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genStore().Draw(t, "s")
		n := rapid.IntRange(2, 8).Draw(t, "n")
		parts := s.Split(n)
		if len(parts) == 0 {
			t.Fatal("no parts")
		}
		order := rapid.Permutation(parts).Draw(t, "order")
		acc := &kv.Store{}
		for _, p := range order {
			if !lattice.LessEq(p, s) {
				t.Fatalf("a part is not below the store")
			}
			acc.Merge(p)
		}
		if !lattice.Equal(acc, s) {
			t.Fatalf("the parts join to something else")
		}
		if last := parts[len(parts)-1]; len(parts) > 1 && !s.Clock().IsBot() && (last.Len() != 0 || !lattice.Equal(last.Clock(), s.Clock())) {
			t.Fatalf("the last of %d parts holds %d keys and clock %v", len(parts), last.Len(), kv.FormatSession(last.Clock()))
		}
		for _, p := range parts[:len(parts)-1] {
			if len(parts) > 1 && !p.Clock().IsBot() {
				t.Fatalf("a part before the last carries clock %v", kv.FormatSession(p.Clock()))
			}
		}
	})
}
