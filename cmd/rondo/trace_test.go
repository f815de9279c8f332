package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestTracePrintsAFilteredTimeline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.trace")
	if code, _, errOut := rondo(t, "sim", "broadcast", "-n", "3", "--seed", "2", "--faults", "crash@300ms=2,restart@900ms=2", "--trace", path); code != 0 {
		t.Fatalf("sim exit %d: %s", code, errOut)
	}
	code, out, _ := rondo(t, "trace", path, "--node", "2", "--kinds", "crash,restart")
	if code != 0 {
		t.Fatalf("trace exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.Contains(lines[2], "0.300000s  n2  crash") || !strings.Contains(lines[3], "0.900000s  n2  restart") {
		t.Fatalf("timeline:\n%s", out)
	}
	if code, _, errOut := rondo(t, "trace", filepath.Join(t.TempDir(), "missing")); code != 2 || !strings.Contains(errOut, "no such file") {
		t.Fatalf("missing file: exit %d, %s", code, errOut)
	}
}
