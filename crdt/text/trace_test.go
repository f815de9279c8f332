package text_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt/text"
	"github.com/rondo-dev/rondo/crdt/text/edittrace"
)

// newDoc is text.New for the agents tests pick, none of them reserved.
func newDoc(agent uint32) *text.Doc {
	d, err := text.New(core.NodeID(agent))
	if err != nil {
		panic(err)
	}
	return d
}

// load reads a trace the repository carries (testdata/, see its README).
func load(t testing.TB, name string) *edittrace.Trace {
	t.Helper()
	tr, err := edittrace.Load(filepath.Join("testdata", name+".json.gz"))
	if err != nil {
		t.Fatalf("%v", err)
	}
	return tr
}

// loadShared reads a trace from ../shared/data/editing-traces, which only
// benchmarks may use; it skips when the folder is absent.
func loadShared(b *testing.B, name string) *edittrace.Trace {
	b.Helper()
	dir, err := edittrace.Dir()
	if err != nil {
		b.Skip(err)
	}
	path := filepath.Join(dir, name+".json.gz")
	if _, err := os.Stat(path); err != nil {
		b.Skip(err)
	}
	tr, err := edittrace.Load(path)
	if err != nil {
		b.Fatal(err)
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

func TestSequentialTraceReplaysToItsEndContent(t *testing.T) {
	tr := load(t, "seph-blog1")
	d := tr.ReplaySequential()
	if got := d.String(); got != tr.EndContent {
		i := firstDiff(got, tr.EndContent)
		t.Fatalf("replayed text differs at byte %d of %d (want %d): got %q, want %q",
			i, len(got), len(tr.EndContent), got[i:min(len(got), i+40)], tr.EndContent[i:min(len(tr.EndContent), i+40)])
	}
	t.Logf("seph-blog1: %d chars, %d runs", d.Len(), d.Runs())
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
		if !text.Equal(d, docs[0]) {
			t.Fatalf("agent %d: same text as agent 0 but not the same document", a)
		}
	}
	t.Logf("friendsforever: %d replicas converged on %d chars", len(docs), len(tr.EndContent))
}
