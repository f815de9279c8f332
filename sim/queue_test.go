package sim

import (
	"cmp"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// The bucketed queue pops in exactly the order of a sort by (time,
// scheduling order), whatever the mix of pushes and pops — the order the
// simulator's determinism rests on.
func TestQueueOrdersByTimeThenSchedulingOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q queue
		type ref struct {
			at  int64
			seq uint64
		}
		var model []ref
		var seq uint64
		now := int64(0)
		steps := rapid.IntRange(1, 300).Draw(t, "steps")
		for range steps {
			if len(model) > 0 && rapid.Bool().Draw(t, "pop") {
				slices.SortFunc(model, func(a, b ref) int {
					if c := cmp.Compare(a.at, b.at); c != 0 {
						return c
					}
					return cmp.Compare(a.seq, b.seq)
				})
				want := model[0]
				model = model[1:]
				at, it := q.pop()
				if at != want.at || it.gen != want.seq {
					t.Fatalf("popped (%d,#%d), want (%d,#%d)", at, it.gen, want.at, want.seq)
				}
				now = at
				continue
			}
			// Events are never scheduled in the past; many share an instant.
			at := now + rapid.Int64Range(0, 5).Draw(t, "delay")
			seq++
			q.push(at, item{gen: seq})
			model = append(model, ref{at, seq})
		}
		if q.len() != len(model) {
			t.Fatalf("len %d, want %d", q.len(), len(model))
		}
	})
}
