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

// A filter that can match nothing is a mistake worth saying, not an empty
// timeline and exit 0.
func TestTraceRefusesFiltersThatMatchNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.trace")
	if code, _, errOut := rondo(t, "sim", "broadcast", "-n", "3", "--trace", path); code != 0 {
		t.Fatalf("sim exit %d: %s", code, errOut)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--kinds", "bogus"}, `"bogus" is not an event kind`},
		{[]string{"--kinds", "deliver,sned"}, `"sned"`},
		{[]string{"--node", "99"}, "nodes 0..2"},
		{[]string{"--node", "-5"}, "nodes 0..2"},
		{[]string{"--limit", "-1"}, "--limit"},
	} {
		code, out, errOut := rondo(t, append([]string{"trace", path}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("trace %v: exit %d, stderr %q, stdout %d bytes; want exit 2 mentioning %q", tc.args, code, errOut, len(out), tc.want)
		}
	}
}
