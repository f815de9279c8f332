package text_test

import (
	"testing"

	"github.com/rondo-dev/rondo/crdt/text/edittrace"
)

func load(t testing.TB, name string) *edittrace.Trace {
	t.Helper()
	tr, err := edittrace.Open(name)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return tr
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestSequentialTracesReplayToTheirEndContent(t *testing.T) {
	for _, name := range []string{"automerge-paper", "seph-blog1"} {
		t.Run(name, func(t *testing.T) {
			tr := load(t, name)
			d := tr.ReplaySequential()
			if got := d.String(); got != tr.EndContent {
				i := firstDiff(got, tr.EndContent)
				t.Fatalf("replayed text differs at byte %d of %d (want %d): got %q, want %q",
					i, len(got), len(tr.EndContent), got[i:min(len(got), i+40)], tr.EndContent[i:min(len(tr.EndContent), i+40)])
			}
			t.Logf("%s: %d chars, %d runs", name, d.Len(), d.Runs())
		})
	}
}

func TestConcurrentTraceConvergesOnEveryAgent(t *testing.T) {
	tr := load(t, "friendsforever")
	docs, err := tr.ReplayConcurrent()
	if err != nil {
		t.Fatal(err)
	}
	for a, d := range docs {
		if got := d.String(); got != tr.EndContent {
			i := firstDiff(got, tr.EndContent)
			t.Fatalf("agent %d: text differs at byte %d: got %q, want %q", a, i,
				got[i:min(len(got), i+40)], tr.EndContent[i:min(len(tr.EndContent), i+40)])
		}
	}
	t.Logf("friendsforever: %d replicas converged on %d chars", len(docs), len(tr.EndContent))
}
