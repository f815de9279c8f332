package text_test

import (
	"math/rand/v2"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/rondo-dev/rondo/crdt/text"
	"github.com/rondo-dev/rondo/lattice/latticetest"
)

// The lattice laws speak about states of one system: an item ID must mean
// the same item in every state drawn. So the states come from one fixed
// history — three replicas typing, deleting and exchanging updates in an
// order fixed by a seed — and rapid draws which snapshots to take (and
// joins of them), shrinking towards early, small ones.
var (
	historyOnce sync.Once
	snapshots   []*text.Doc
	deltas      []*text.Update
)

func buildHistory() {
	rng := rand.New(rand.NewPCG(7, 7))
	reps := []*text.Doc{newDoc(0), newDoc(1), newDoc(2)}
	words := []string{"a", "bc", "def", "g"}
	for range 80 {
		d := reps[rng.IntN(3)]
		switch rng.IntN(4) {
		case 0, 1:
			deltas = append(deltas, d.Insert(rng.IntN(d.Len()+1), words[rng.IntN(len(words))]))
		case 2:
			if d.Len() > 0 {
				p := rng.IntN(d.Len())
				deltas = append(deltas, d.Delete(p, 1+rng.IntN(min(3, d.Len()-p))))
			}
		case 3:
			if len(deltas) > 0 {
				d.Apply(deltas[rng.IntN(len(deltas))]) // may arrive before its origins
			}
		}
		snapshots = append(snapshots, d.Clone())
	}
}

func genDoc() *rapid.Generator[*text.Doc] {
	historyOnce.Do(buildHistory)
	return rapid.Custom(func(t *rapid.T) *text.Doc {
		d := newDoc(9)
		for range rapid.IntRange(0, 2).Draw(t, "parts") {
			if rapid.Bool().Draw(t, "snapshot") {
				d.Merge(snapshots[rapid.IntRange(0, len(snapshots)-1).Draw(t, "i")])
			} else {
				d.Apply(deltas[rapid.IntRange(0, len(deltas)-1).Draw(t, "j")])
			}
		}
		return d
	})
}

func TestDocIsALattice(t *testing.T) { latticetest.Check(t, genDoc()) }

func TestAllReplicasConvergeWhateverTheDeliveryOrder(t *testing.T) {
	historyOnce.Do(buildHistory)
	rapid.Check(t, func(t *rapid.T) {
		order := rapid.Permutation(deltas).Draw(t, "order")
		d := newDoc(9)
		for _, u := range order {
			d.Apply(u)
		}
		want := newDoc(9)
		for _, u := range deltas {
			want.Apply(u)
		}
		if d.String() != want.String() || !text.Equal(d, want) {
			t.Fatalf("delivery order changed the result: %q vs %q", d.String(), want.String())
		}
	})
}
