package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/trace"
)

func checkJSON(t *testing.T, args ...string) (int, map[string]any) {
	t.Helper()
	return jsonOut(t, append([]string{"check"}, args...)...)
}

func TestCheckOTRHoldsAndReportsItsStateSpace(t *testing.T) {
	code, m := checkJSON(t, "otr", "-n", "4", "--rounds", "4")
	if code != exitOK {
		t.Fatalf("exit %d: %v", code, m)
	}
	for _, k := range []string{"algorithm", "n", "rounds", "states", "transitions", "violations", "seconds", "states_per_sec", "memory_bytes"} {
		if _, ok := m[k]; !ok {
			t.Errorf("--json lacks %q: %v", k, m)
		}
	}
	if m["algorithm"] != "otr" || m["states"].(float64) == 0 || m["violations"].(float64) != 0 {
		t.Fatalf("%v", m)
	}
}

func TestCheckCrashAndByzantineModels(t *testing.T) {
	if code, m := checkJSON(t, "floodmin", "-n", "4", "--rounds", "3", "--faults", "crash=1"); code != exitOK || m["faults"] != "crash=1" {
		t.Fatalf("floodmin: exit %d %v", code, m)
	}
	if code, m := checkJSON(t, "lastvoting", "-n", "3", "--rounds", "8"); code != exitOK {
		t.Fatalf("lastvoting: exit %d %v", code, m)
	}
}

func TestCheckPrintsAndSavesTheShortestCounterexample(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cx.trace")
	code, out, _ := rondo(t, "check", "otr-majority", "-n", "5", "--rounds", "3", "--trace", path)
	if code != exitViolation {
		t.Fatalf("exit %d, want %d:\n%s", code, exitViolation, out)
	}
	for _, want := range []string{`safety property "agreement" violated after 2 round(s)`, "round  proc  input  heard", "counterexample saved to " + path} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, evs, err := trace.Read(f)
	if err != nil || h.Tool != "check" || len(evs) == 0 || evs[len(evs)-1].Kind != trace.Violation {
		t.Fatalf("trace: %+v, %d events, %v", h, len(evs), err)
	}
	code, m := checkJSON(t, "pbft-2f", "-n", "4", "--rounds", "6", "--faults", "byzantine=1", "--trace", filepath.Join(dir, "b.trace"))
	if code != exitViolation || m["counterexample"] != filepath.Join(dir, "b.trace") || m["violations"].(float64) == 0 {
		t.Fatalf("pbft-2f: exit %d %v", code, m)
	}
}

func TestCheckRefusesBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"check"},
		{"check", "nope"},
		{"check", "otr", "-n", "0"},
		{"check", "otr", "--values", "0"},
		{"check", "otr", "--faults", "drop=0.1"},
		{"check", "otr", "--faults", "crash=1,byzantine=1"},
		{"check", "otr", "--bogus"},
	} {
		code, _, errOut := rondo(t, args...)
		if code != exitUsage || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
