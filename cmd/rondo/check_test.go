package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	for _, k := range []string{"algorithm", "n", "rounds", "rounds_explored", "verdict", "states", "liveness_states", "transitions",
		"violations", "violated", "seconds", "states_per_sec", "max_rss_bytes", "store_bytes", "max_memory_bytes"} {
		if _, ok := m[k]; !ok {
			t.Errorf("--json lacks %q: %v", k, m)
		}
	}
	if m["algorithm"] != "otr" || m["states"].(float64) == 0 || m["violations"].(float64) != 0 || m["verdict"] != "held" {
		t.Fatalf("%v", m)
	}
	if _, ok := m["memory_bytes"]; ok {
		t.Errorf("--json still has memory_bytes (the process heap, mislabelled): %v", m)
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

// Without --trace, rondo check saves nothing: it used to write
// ./rondo-counterexample.trace on every violation.
func TestCheckWritesNoTraceUnlessAsked(t *testing.T) {
	t.Chdir(t.TempDir())
	code, out, _ := rondo(t, "check", "otr-majority", "-n", "5", "--rounds", "3")
	if code != exitViolation || !strings.Contains(out, "counterexample for otr-majority") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if _, err := os.Stat("rondo-counterexample.trace"); !os.IsNotExist(err) {
		t.Fatalf("a trace was written without --trace: %v", err)
	}
	if strings.Contains(out, "saved to") {
		t.Fatalf("the output claims a saved trace:\n%s", out)
	}
}

// A --trace that cannot be written (a missing directory) still prints the
// counterexample, says on stderr why it was not saved, and exits 1 for the
// violation. (It used to print nothing and exit 2.)
func TestCheckPrintsTheCounterexampleWhenTheTraceCannotBeSaved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "cx.trace")
	code, out, errOut := rondo(t, "check", "otr-majority", "-n", "5", "--rounds", "3", "--trace", path)
	if code != exitViolation {
		t.Fatalf("exit %d, want %d (the violation)", code, exitViolation)
	}
	if !strings.Contains(out, `safety property "agreement" violated after 2 round(s)`) || !strings.Contains(out, "round  proc  input") {
		t.Errorf("the counterexample is not printed:\n%s", out)
	}
	if !strings.Contains(errOut, "cannot save the counterexample") || !strings.Contains(errOut, "no such file or directory") {
		t.Errorf("stderr does not say why the trace was not saved: %q", errOut)
	}
	code, m := checkJSON(t, "otr-majority", "-n", "5", "--rounds", "3", "--trace", path)
	if code != exitViolation || m["trace_error"] == nil || m["counterexample"] != nil {
		t.Errorf("--json: exit %d, %v", code, m)
	}
}

// Every property violated at the depth of the first violation is reported,
// each with its shortest counterexample (all printed with --all), and the
// summary says how many rounds were explored, not how many were asked for.
func TestCheckReportsEveryPropertyViolatedAndTheDepthReached(t *testing.T) {
	code, m := checkJSON(t, "otr-majority", "-n", "5", "--rounds", "4")
	if code != exitViolation || m["verdict"] != "violated" || m["rounds"].(float64) != 4 || m["rounds_explored"].(float64) != 2 {
		t.Fatalf("exit %d: %v", code, m)
	}
	var props []string
	for _, c := range m["counterexamples"].([]any) {
		c := c.(map[string]any)
		props = append(props, c["property"].(string))
		if c["rounds"].(float64) != 2 || c["reason"] == "" {
			t.Errorf("counterexample %v", c)
		}
	}
	if strings.Join(props, ",") != "agreement,irrevocability" || fmt.Sprint(m["violated"]) != "[agreement irrevocability]" {
		t.Fatalf("violated %v, counterexamples of %v; want agreement and irrevocability", m["violated"], props)
	}
	_, out, _ := rondo(t, "check", "otr-majority", "-n", "5", "--rounds", "4", "--all")
	if strings.Count(out, "counterexample for otr-majority") != 2 || !strings.Contains(out, "2 of 4 explored") ||
		!strings.Contains(out, "violated: agreement, irrevocability") {
		t.Fatalf("--all output:\n%s", out)
	}
	if strings.Contains(out, "4 rounds") || strings.Contains(out, "peak heap") || !strings.Contains(out, "max RSS of the process") {
		t.Fatalf("the summary misstates the rounds or the memory:\n%s", out)
	}
	_, out, _ = rondo(t, "check", "otr-majority", "-n", "5", "--rounds", "4")
	if strings.Count(out, "counterexample for otr-majority") != 1 || !strings.Contains(out, "deliberately broken variant of otr") {
		t.Fatalf("without --all, one table and the mutant labelled:\n%s", out)
	}
}

// Messages print through the algorithm's own format: LastVoting's
// acknowledgement reads "ack" (%+v printed it as the estimate {X:0 TS:0}).
func TestCheckPrintsMessagesAsTheAlgorithmFormatsThem(t *testing.T) {
	_, out, _ := rondo(t, "check", "lastvoting-nots", "-n", "3", "--rounds", "8")
	if !strings.Contains(out, "1:ack") || strings.Contains(out, "TS:") || !strings.Contains(out, "est(") {
		t.Errorf("LastVoting's messages:\n%s", out)
	}
}

// A checker's trace has no seed, and rondo trace does not print one.
func TestACheckTraceShowsNoSeed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cx.trace")
	if code, _, _ := rondo(t, "check", "otr-majority", "-n", "5", "--rounds", "3", "--trace", path); code != exitViolation {
		t.Fatalf("exit %d", code)
	}
	_, out, _ := rondo(t, "trace", path)
	first := strings.SplitN(out, "\n", 2)[0]
	if strings.Contains(first, "seed") || !strings.HasPrefix(first, "check otr-majority: 5 nodes") {
		t.Fatalf("first line %q", first)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if header := strings.SplitN(string(raw), "\n", 2)[0]; strings.Contains(header, `"seed"`) {
		t.Fatalf("the trace header names a seed: %s", header)
	}
}

// The memory the explorer holds is bounded: a check that outgrows
// --max-memory stops with the statistics so far, verdict inconclusive,
// exit 3 (neither a violation nor bad usage); so does --max-states.
func TestCheckStopsAtItsBoundsWithPartialStatistics(t *testing.T) {
	code, m := checkJSON(t, "lastvoting", "-n", "5", "--rounds", "1000000", "--max-memory", "32MiB")
	if code != exitInconclusive || m["verdict"] != "inconclusive" || m["stopped"] != "max-memory" || m["complete"] != false {
		t.Fatalf("exit %d: %v", code, m)
	}
	if m["rounds_explored"].(float64) < 1 || m["states"].(float64) == 0 || m["max_memory_bytes"].(float64) != 32<<20 {
		t.Fatalf("no partial statistics: %v", m)
	}
	code, out, errOut := rondo(t, "check", "lastvoting", "-n", "5", "--rounds", "1000000", "--max-states", "100000")
	if code != exitInconclusive || !strings.Contains(out, "inconclusive: state bound hit") || !strings.Contains(errOut, "inconclusive") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	for _, bad := range []string{"lots", "-1GiB", "12XB"} {
		if code, _, _ := rondo(t, "check", "otr", "--max-memory", bad); code != exitUsage {
			t.Errorf("--max-memory %s: exit %d", bad, code)
		}
	}
}

// A long check shows progress on stderr when stderr is not a terminal: a
// plain line (no terminal codes) every few seconds, not more often.
func TestCheckProgressIsAPlainLineEveryFewSecondsOffATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := newProgressTo(&buf)
	p.update("early") // before progressEvery has passed: nothing
	p.start = time.Now().Add(-6 * time.Second)
	p.update("round %d/%d", 3, 12)
	p.update("round %d/%d", 4, 12) // too soon after the last line: nothing
	p.done()
	if got := buf.String(); got != "[6s] round 3/12\n" {
		t.Fatalf("progress %q", got)
	}
}
