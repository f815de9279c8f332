package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// Round-based protocols refuse more nodes than a process set holds, as
// usage (exit 2), with a one-line reason. (rondo sim otr -n 96 used to run
// and report a false termination violation, exit 1.)
func TestRoundBasedProtocolsRefuseMoreThan64Nodes(t *testing.T) {
	for _, args := range [][]string{
		{"sim", "otr", "-n", "96"},
		{"sim", "pbft", "-n", "65"},
		{"run", "otr", "-n", "65"},
	} {
		code, _, errOut := rondo(t, args...)
		if code != exitUsage || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "at most 64 nodes") || !strings.Contains(errOut, "64-bit masks") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one line naming the limit", args, code, errOut, exitUsage)
		}
	}
	// rondo node, on a cluster file of 65 nodes, refuses before it starts.
	dir := t.TempDir()
	if code, _, errOut := rondo(t, "certs", "--out", dir, "--nodes", "65"); code != exitOK {
		t.Fatalf("certs: exit %d: %s", code, errOut)
	}
	code, _, errOut := rondo(t, "node", "--config", filepath.Join(dir, "cluster.json"), "--id", "0", "--proto", "otr", "--duration", "1s")
	if code != exitUsage || !strings.Contains(errOut, "at most 64 nodes") {
		t.Errorf("node on 65 nodes: exit %d, stderr %q", code, errOut)
	}
}
