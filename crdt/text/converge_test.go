package text_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/rondo-dev/rondo/crdt/text"
)

// Random editing sessions on three replicas with random, partial, reordered
// and duplicated delivery; after everyone receives everything, the replicas
// agree — and agree with a replica that merged full states instead.
func TestRandomSessionsConverge(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		reps := []*text.Doc{newDoc(0), newDoc(1), newDoc(2)}
		var sent []*text.Update
		for range rapid.IntRange(1, 40).Draw(t, "steps") {
			i := rapid.IntRange(0, 2).Draw(t, "replica")
			d := reps[i]
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0, 1:
				pos := rapid.IntRange(0, d.Len()).Draw(t, "pos")
				s := rapid.StringMatching(`[a-e]{1,4}`).Draw(t, "text")
				sent = append(sent, d.Insert(pos, s))
			case 2:
				if d.Len() > 0 {
					pos := rapid.IntRange(0, d.Len()-1).Draw(t, "pos")
					sent = append(sent, d.Delete(pos, rapid.IntRange(1, d.Len()-pos).Draw(t, "n")))
				}
			case 3:
				if len(sent) > 0 {
					d.Apply(sent[rapid.IntRange(0, len(sent)-1).Draw(t, "deliver")])
				}
			}
		}
		order := rapid.Permutation(sent).Draw(t, "final order")
		for _, d := range reps {
			for _, u := range order {
				d.Apply(u)
			}
		}
		full := newDoc(9)
		for _, d := range reps {
			full.Merge(d)
		}
		for i, d := range reps {
			if d.String() != reps[0].String() || !text.Equal(d, reps[0]) {
				t.Fatalf("replica %d: %q, replica 0: %q", i, d.String(), reps[0].String())
			}
		}
		if full.String() != reps[0].String() {
			t.Fatalf("state merge %q differs from delta delivery %q", full.String(), reps[0].String())
		}
	})
}
