package cluster_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/scenario"
)

// silent "broadcasts" by outputting its own inputs and sending nothing: a
// deliberately broken protocol the harness must catch.
type silent struct{}

func (silent) Init(core.Context) {}
func (silent) Handle(ctx core.Context, ev core.Event) {
	if r, ok := ev.(core.Request); ok {
		ctx.Output(r.Body)
	}
}

func silentScenario() scenario.Scenario {
	return scenario.Scenario{
		Name: "silent", Model: "event", MinNodes: 1,
		Register: func(r *core.Registry) { core.Register[string](r, "string") },
		New:      func(core.NodeID, int) core.Process { return silent{} },
		Workload: func(n int, _ *rand.Rand) []scenario.Input {
			var in []scenario.Input
			for id := range n {
				in = append(in, scenario.Input{At: time.Millisecond, Node: core.NodeID(id), Body: fmt.Sprint("from ", id)})
			}
			return in
		},
		// Every node must output every input.
		Check: func(h *scenario.History) []scenario.Violation {
			var vs []scenario.Violation
			for _, in := range h.Observations {
				if in.Output {
					continue
				}
				for id := range h.N {
					seen := false
					for _, o := range h.Observations {
						seen = seen || (o.Output && o.Node == core.NodeID(id) && o.Value == in.Value)
					}
					if !seen {
						vs = append(vs, scenario.Violation{Property: "validity", Detail: fmt.Sprintf("node %d never output %v", id, in.Value)})
					}
				}
			}
			return vs
		},
	}
}

func TestRunLocalCatchesABrokenProtocol(t *testing.T) {
	sc := silentScenario()
	res, err := cluster.RunLocal(t.Context(), cluster.LocalConfig{Scenario: sc, N: 3, Seed: 1, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Finished {
		t.Error("a scenario without Done finished before its timeout")
	}
	if vs := sc.Check(res.History); len(vs) != 6 {
		t.Fatalf("got %d violations %v, want 6 (each of 3 inputs missing at 2 nodes)", len(vs), vs)
	}
}
