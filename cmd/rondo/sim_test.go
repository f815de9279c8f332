package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/trace"
)

// rondo runs the CLI in-process and returns its exit status and output.
func rondo(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// jsonOut runs a rondo command with --json and parses the one object it
// must print on one line.
func jsonOut(t *testing.T, args ...string) (int, map[string]any) {
	t.Helper()
	code, out, errOut := rondo(t, append(args, "--json")...)
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("--json printed %q (stderr %q): %v", out, errOut, err)
	}
	if strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("--json printed more than one line: %q", out)
	}
	return code, m
}

func simJSON(t *testing.T, args ...string) (int, map[string]any) {
	t.Helper()
	return jsonOut(t, append([]string{"sim"}, args...)...)
}

func TestSimSameSeedSameDigest(t *testing.T) {
	args := []string{"broadcast", "-n", "5", "--faults", "drop=0.2,dup=0.05,delay=1ms..20ms"}
	c1, a := simJSON(t, append(args, "--seed", "7")...)
	c2, b := simJSON(t, append(args, "--seed", "7")...)
	c3, c := simJSON(t, append(args, "--seed", "8")...)
	if c1 != 0 || c2 != 0 || c3 != 0 {
		t.Fatalf("exit codes %d %d %d, want 0", c1, c2, c3)
	}
	for _, k := range []string{"protocol", "nodes", "seed", "runs", "violations", "events", "virtual_time_ms", "wall_ms", "trace_digest"} {
		if _, ok := a[k]; !ok {
			t.Errorf("--json lacks %q: %v", k, a)
		}
	}
	if a["trace_digest"] != b["trace_digest"] {
		t.Fatalf("seed 7 twice: %v vs %v", a["trace_digest"], b["trace_digest"])
	}
	if a["trace_digest"] == c["trace_digest"] {
		t.Fatal("seeds 7 and 8 gave the same digest")
	}
	if a["faults"] != "drop=0.2,dup=0.05,delay=1ms..20ms" {
		t.Fatalf("faults printed as %v", a["faults"])
	}
}

func TestSimCampaignUnderLossAndCrashesPasses(t *testing.T) {
	runs := "1000"
	if testing.Short() {
		runs = "100"
	}
	code, m := simJSON(t, "broadcast", "-n", "5", "--runs", runs, "--faults", "drop=0.3,crashes=1")
	if code != 0 || m["violations"].(float64) != 0 || m["runs"].(float64) < 100 {
		t.Fatalf("exit %d: %v", code, m)
	}
}

func TestSimBadInputExitsTwoWithAReason(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sim", "nosuch"}, "unknown protocol"},
		{[]string{"sim", "broadcast", "--faults", "drop=2"}, "probability"},
		{[]string{"sim", "broadcast", "-n", "0"}, "at least 1 nodes"},
		{[]string{"sim", "broadcast", "--faults", "byzantine=1"}, "Byzantine"},
		{[]string{"sim", "broadcast", "--runs", "0"}, "--runs"},
		{[]string{"sim", "broadcast", "--bogus"}, "unknown flag"},
		{[]string{"sim"}, "accepts 1 arg"},
	} {
		code, _, errOut := rondo(t, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

func TestSimTraceFileHoldsTheDigestedTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.trace")
	code, m := simJSON(t, "broadcast", "-n", "4", "--seed", "3", "--faults", "crashes=1,drop=0.1", "--trace", path)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if hex.EncodeToString(sum[:]) != m["trace_digest"] {
		t.Fatalf("the trace file's sha256 is not the reported trace_digest %v", m["trace_digest"])
	}
	h, evs, err := trace.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if h.Protocol != "broadcast" || h.Seed != 3 || h.Nodes != 4 || h.Faults != "drop=0.1,crashes=1" || len(h.Plan) == 0 || len(evs) < int(m["events"].(float64)) {
		t.Fatalf("header %+v, %d trace events for %v handled events", h, len(evs), m["events"])
	}
}

func TestListNamesBroadcast(t *testing.T) {
	code, out, _ := rondo(t, "list", "--json")
	var m struct {
		Protocols []listEntry `json:"protocols"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &m) != nil {
		t.Fatalf("exit %d, %q", code, out)
	}
	found := false
	for _, p := range m.Protocols {
		if p.Name == "broadcast" && p.Model == "event" && p.Faults != "" {
			found = true
		}
	}
	if !found {
		t.Fatalf("list lacks broadcast: %s", out)
	}
}

func TestInstancesFlagSetsHowManyInstancesARunDecides(t *testing.T) {
	code, m := simJSON(t, "otr", "-n", "3", "--instances", "7")
	if code != 0 || m["instances"].(float64) != 7 || m["decisions"].(float64) != 21 {
		t.Fatalf("exit %d: instances %v decisions %v", code, m["instances"], m["decisions"])
	}
	code, _, errOut := rondo(t, "sim", "broadcast", "--instances", "2")
	if code != 2 || !strings.Contains(errOut, "does not run instances") {
		t.Fatalf("broadcast --instances: exit %d, %s", code, errOut)
	}
}
