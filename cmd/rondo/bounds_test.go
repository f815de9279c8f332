package main

import (
	"strings"
	"testing"
)

// A run that did not do the work it was asked for is not a pass: work that
// could never happen is refused before the run (exit 2), and a run that
// stops at a bound before its workload finished is inconclusive (exit 3).
func TestWorkThatCannotHappenIsRefusedNotPassed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sim", "broadcast", "--faults", "crash@2m=1"}, "would never happen"},
		{[]string{"sim", "broadcast", "--faults", "crashes=1,window=90s"}, "window=1m30s"},
		{[]string{"sim", "broadcast", "--max-time", "100ms"}, "last input"},
		{[]string{"sim", "otr", "--instances", "1000000"}, "last input"},
		{[]string{"run", "otr", "--instances", "1000000"}, "last input"},
		{[]string{"run", "broadcast", "--timeout", "1ns"}, "last input"},
		{[]string{"run", "broadcast", "--faults", "crash@40s=1"}, "would never happen"},
		{[]string{"run", "broadcast", "-n", "300"}, "at most 256"},
		// One rule for faults outside the fault model: refused, exit 2.
		{[]string{"sim", "broadcast", "-n", "4", "--faults", "partition@500ms={0,1}|{2,3}"}, "never healed"},
		{[]string{"sim", "broadcast", "--faults", "drop=1"}, "drop=1"},
		{[]string{"sim", "crdt-orset", "-n", "4", "--faults", "partition@500ms={0,1}|{2,3}"}, "never healed"},
		{[]string{"sim", "otr", "-n", "4", "--faults", "partition@500ms={0,1}|{2,3}"}, "never healed"},
		{[]string{"sim", "broadcast", "--faults", "drop=0.1,,dup=0.1"}, "empty item"},
	} {
		code, _, errOut := rondo(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("rondo %s: exit %d, stderr %q; want exit 2 mentioning %q", strings.Join(tc.args, " "), code, errOut, tc.want)
		}
	}
}

func TestASimulatedRunStoppedAtItsTimeBoundIsInconclusive(t *testing.T) {
	// Inputs end before 2s, but with 1s per hop the broadcasts are still
	// under way at 2.5s.
	code, sum := simJSON(t, "broadcast", "-n", "4", "--faults", "delay=1s", "--max-time", "2.5s")
	if code != exitInconclusive || sum["finished"] != false || sum["incomplete_runs"].(float64) != 1 {
		t.Fatalf("exit %d, finished %v, incomplete_runs %v; want 3, false, 1", code, sum["finished"], sum["incomplete_runs"])
	}
	inc := sum["incomplete"].([]any)[0].(map[string]any)
	if !strings.Contains(inc["reason"].(string), "time bound") || !strings.Contains(inc["replay"].(string), "--max-time 2.5s") {
		t.Fatalf("incomplete run reported as %v", inc)
	}
	code, out, _ := rondo(t, "sim", "broadcast", "-n", "4", "--faults", "delay=1s", "--max-time", "2.5s")
	if code != exitInconclusive || !strings.Contains(out, "INCONCLUSIVE") || strings.Contains(out, "ok:") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	// With room to finish, the same run passes.
	if code, sum := simJSON(t, "broadcast", "-n", "4", "--faults", "delay=1s", "--max-time", "20s"); code != 0 || sum["finished"] != true {
		t.Fatalf("exit %d, finished %v; want 0, true", code, sum["finished"])
	}
}

func TestARealRunStoppedAtItsTimeoutIsInconclusive(t *testing.T) {
	code, out, _ := rondo(t, "run", "broadcast", "-n", "3", "--faults", "delay=1s", "--timeout", "2s")
	if code != exitInconclusive || !strings.Contains(out, "INCONCLUSIVE") || strings.Contains(out, "ok:") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestCertsRefusesAHostNoCertificateCouldName(t *testing.T) {
	for _, host := range []string{"bad host!", "a..b", "-lead.example", "x_y.example", strings.Repeat("a", 64) + ".example"} {
		code, _, errOut := rondo(t, "certs", "--out", t.TempDir(), "--nodes", "1", "--host", host)
		if code != exitUsage || !strings.Contains(errOut, "--host") {
			t.Errorf("certs --host %q: exit %d, %q; want exit 2 naming --host", host, code, errOut)
		}
	}
	for _, host := range []string{"10.0.0.7", "::1", "node-1.rondo.example", "localhost"} {
		if code, _, errOut := rondo(t, "certs", "--out", t.TempDir(), "--nodes", "1", "--host", host); code != 0 {
			t.Errorf("certs --host %q: exit %d, %q", host, code, errOut)
		}
	}
}
