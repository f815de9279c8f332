package main

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

func TestRunBroadcastOverTLSJSON(t *testing.T) {
	var out, errb bytes.Buffer
	err := runRun(t.Context(), &out, &errb, "broadcast", runFlags{n: 4, seed: 3, faults: "drop=0.1,delay=1ms..5ms", timeout: 30e9, asJSON: true}, true)
	if err != nil {
		t.Fatalf("rondo run: %v\nstderr:\n%s", err, errb.String())
	}
	var sum map[string]any
	dec := json.NewDecoder(&out)
	if err := dec.Decode(&sum); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out.String())
	}
	if dec.More() {
		t.Fatal("stdout holds more than one JSON object")
	}
	for _, k := range []string{"protocol", "nodes", "faults", "seed", "violations", "outputs", "messages_sent", "bytes_sent", "wall_ms"} {
		if _, ok := sum[k]; !ok {
			t.Errorf("summary lacks %q: %v", k, sum)
		}
	}
	if v := sum["violations"].(float64); v != 0 {
		t.Errorf("violations: %v %v", v, sum["failures"])
	}
	if sum["faults"] != "drop=0.1,delay=1ms..5ms" {
		t.Errorf("faults = %v, want the canonical spec", sum["faults"])
	}
}

func TestRunRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "nosuch"}, "unknown protocol"},
		{[]string{"run", "broadcast", "--faults", "byzantine=1"}, "Byzantine"},
		{[]string{"run", "broadcast", "--faults", "drop=2"}, "not a probability"},
		{[]string{"run", "broadcast", "-n", "3", "--faults", "crash@1s=5"}, "names node 5"},
		{[]string{"certs", "--nodes", "3"}, "--out DIR is required"},
		{[]string{"node", "--id", "0"}, "--config FILE is required"},
		{[]string{"node", "--config", "/nonexistent/cluster.json", "--id", "0"}, "no such file"},
	} {
		var errb bytes.Buffer
		code := run(tc.args, io.Discard, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("rondo %s: exit %d, stderr %q; want exit 2 mentioning %q", strings.Join(tc.args, " "), code, errb.String(), tc.want)
		}
	}
}
