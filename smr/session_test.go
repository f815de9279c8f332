package smr

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// A session keeps the results of exactly the seqs in (max−window, max],
// whatever order its commands are applied in: one at a time, out of order
// within the window, and in jumps past the whole window. Checked against
// the rule itself over thousands of commands from many clients.
func TestASessionKeepsExactlyTheResultsOfItsWindow(t *testing.T) {
	const window = 64
	tab := newSessions(window, 1<<16)
	rng := rand.New(rand.NewPCG(1, 2))
	applied := map[uint64]map[uint64]bool{} // client → seqs applied, ever
	next := map[uint64]uint64{}
	for i := range 20000 {
		client := uint64(1 + rng.IntN(8))
		if applied[client] == nil {
			applied[client] = map[uint64]bool{}
		}
		seq := next[client] + 1
		switch r := rng.IntN(100); {
		case r < 10: // a jump past the whole window
			seq += uint64(window + rng.IntN(3*window))
		case r < 40: // out of order: one of the next few
			seq += uint64(rng.IntN(window / 2))
		}
		if _, oc := tab.check(client, seq); oc != fresh {
			continue
		}
		tab.record(client, seq, uint64(i+1), nil)
		applied[client][seq] = true
		next[client] = max(next[client], seq)
		s := tab.m[client]
		var want []uint64
		for q := range applied[client] {
			if q+window > s.max {
				want = append(want, q)
			}
		}
		var got []uint64
		for q := range s.results {
			got = append(got, q)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("command %d: client %d (max %d) keeps results of %v, want %v", i, client, s.max, got, want)
		}
	}
}
