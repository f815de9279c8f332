package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every CRDT campaign runs from the CLI, holds its properties under loss,
// duplication, reordering and a partition, and reports the convergence
// figures the issue asks for.
func TestCRDTCampaignsReportConvergence(t *testing.T) {
	for _, kind := range []string{"gcounter", "pncounter", "lww", "mvreg", "ewflag", "orset", "ormap", "text"} {
		var out, errOut strings.Builder
		code := run([]string{"sim", "crdt-" + kind, "-n", "4", "--seed", "3", "--json",
			"--faults", "drop=0.2,dup=0.1,reorder=0.2,partition@100ms={0,1}|{2,3},heal@1500ms"}, &out, &errOut)
		var m map[string]any
		if err := json.Unmarshal([]byte(out.String()), &m); err != nil {
			t.Fatalf("crdt-%s --json printed %q (stderr %q): %v", kind, out.String(), errOut.String(), err)
		}
		if code != exitOK {
			t.Errorf("crdt-%s exited %d: %v", kind, code, m["failures"])
		}
		// The figures sit at the top level, or under "report".
		fig := m
		if r, ok := m["report"].(map[string]any); ok {
			fig = r
		}
		for _, k := range []string{"converged", "rounds_to_converge", "replication_bytes_sent", "replication_bytes_full_state"} {
			if _, ok := fig[k]; !ok {
				t.Errorf("crdt-%s --json lacks %q: %s", kind, k, out.String())
			}
		}
		if fig["converged"] != true {
			t.Errorf("crdt-%s did not converge: %s", kind, out.String())
		}
	}
}
