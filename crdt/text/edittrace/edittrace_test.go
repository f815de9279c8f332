package edittrace_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/crdt/text/edittrace"
)

func TestMissingTracesGiveAClearMessage(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	_, err := edittrace.Open("automerge-paper")
	if err == nil || !strings.Contains(err.Error(), "shared/data/editing-traces") {
		t.Fatalf("want an error naming the expected folder, got %v", err)
	}
}

func TestPatchesReadAsSplices(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.json.gz")
	writeGz(t, path, `{"endContent":"hi!","txns":[{"patches":[[0,0,"hello"],[1,4,"i"],[2,0,"!"]]}]}`)
	tr, err := edittrace.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.ReplaySequential().String(); got != tr.EndContent {
		t.Fatalf("got %q, want %q", got, tr.EndContent)
	}
}
