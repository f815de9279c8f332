package main

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/rounds"
)

// decisions lists what the node decided, by instance.
func (p *proc) decisions() map[uint64]float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	got := map[uint64]float64{}
	for _, l := range p.lines {
		if m, ok := l.Output.(map[string]any); ok {
			inst, ok1 := m["instance"].(float64)
			v, ok2 := m["value"].(float64)
			if ok1 && ok2 {
				got[uint64(inst)] = v
			}
		}
	}
	return got
}

// Three OS processes started with rondo node run OneThirdRule instances
// over TLS and agree on every one, on a value somebody proposed.
func TestOTRNodesAsProcessesAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts OS processes")
	}
	bin := buildRondo(t)
	dir := t.TempDir()
	runTool(t, bin, "certs", "--out", dir, "--nodes", "3")
	cfgPath := filepath.Join(dir, "cluster.json")
	rewriteConfig(t, cfgPath, cfgPath, freeAddrs(t, 3))

	var nodes []*proc
	for _, id := range []string{"0", "1", "2"} {
		nodes = append(nodes, startProc(t, "node "+id, bin, "node", "--config", cfgPath, "--id", id,
			"--proto", "otr", "--seed", "4", "--duration", "60s"))
	}
	sc, _ := catalog().Lookup("otr")
	inputs := cluster.Workload(sc, 3, 4)
	proposed := map[uint64]map[float64]bool{}
	for _, in := range inputs {
		p := in.Body.(rounds.Propose)
		if proposed[p.Instance] == nil {
			proposed[p.Instance] = map[float64]bool{}
		}
		proposed[p.Instance][float64(p.Value)] = true
	}
	for _, n := range nodes {
		waitFor(t, 30*time.Second, n.name+" to decide every instance", func() bool {
			return len(n.decisions()) == len(proposed)
		})
	}
	first := nodes[0].decisions()
	for inst, v := range first {
		if !proposed[inst][v] {
			t.Errorf("instance %d decided %v, which nobody proposed (proposals %v)", inst, v, proposed[inst])
		}
		for _, n := range nodes[1:] {
			if w := n.decisions()[inst]; w != v {
				t.Errorf("instance %d: node 0 decided %v, %s decided %v", inst, v, n.name, w)
			}
		}
	}
	for _, n := range nodes {
		n.cmd.Process.Signal(syscall.SIGTERM)
	}
}
