package edittrace_test

import (
	"testing"

	"github.com/rondo-dev/rondo/crdt/text/edittrace"
)

// BenchmarkCatchUpAfterALongAbsence: agent 1 merges 20,000 transactions it
// has not seen in one go, as a replica returning to a busy document does
// (and as clownschool's agents do at a smaller scale). Ordering the unseen
// transactions was an insertion sort, quadratic in their number.
func BenchmarkCatchUpAfterALongAbsence(b *testing.B) {
	const n = 20000
	tr := &edittrace.Trace{Kind: "concurrent", NumAgents: 2}
	for i := range n {
		tx := edittrace.Txn{Agent: 0, Patches: []edittrace.Patch{{Pos: i, Ins: "x"}}}
		if i > 0 {
			tx.Parents = []int{i - 1}
		}
		tr.Txns = append(tr.Txns, tx)
	}
	tr.Txns = append(tr.Txns, edittrace.Txn{Agent: 1, Parents: []int{n - 1}, Patches: []edittrace.Patch{{Pos: 0, Ins: "y"}}})
	for b.Loop() {
		docs, err := tr.ReplayConcurrent()
		if err != nil || docs[1].Len() != n+1 {
			b.Fatal("replay failed", err)
		}
	}
}
