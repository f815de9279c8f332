package replica

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/lattice"
	"github.com/rondo-dev/rondo/scenario"
)

// Spread is the time span a convergence campaign's operations fall in.
const Spread = time.Second

// Kind is one replicated data type as a convergence campaign exercises it.
type Kind[L lattice.Lattice[L]] struct {
	// Name is the scenario's name (crdt-gcounter, …); Summary says what it
	// replicates.
	Name, Summary string
	// Config is the replica configuration (Bottom, Codec, Apply, Value);
	// the scenario sets OutputState.
	Config Config[L]
	// Op draws the k-th operation of node from rng.
	Op func(rng *rand.Rand, node core.NodeID, k int) any
	// OpsPerNode is how many operations each node performs (default 8).
	OpsPerNode int
	// Semantics, if set, checks what convergence alone cannot see (a
	// removed element that came back, say) on the converged state.
	Semantics func(h *scenario.History, final L) []scenario.Violation
	// QuietState has replicas output their state only when they fall
	// quiet, not at every change (Config.OutputState = StateWhenQuiet):
	// for states of megabytes. A run must then end quiescent for its
	// replicas' final states to be seen.
	QuietState bool
}

// Scenario turns a Kind into a convergence campaign: random concurrent
// operations on every replica during the fault window, anti-entropy until
// every replica has acknowledged everything, then the check that every
// correct replica holds the same state, and that state is the join of the
// deltas of every operation applied (no update lost, none invented).
func Scenario[L lattice.Lattice[L]](k Kind[L]) scenario.Scenario {
	cfg := k.Config
	cfg.OutputState = StateOnChange
	if k.QuietState {
		cfg.OutputState = StateWhenQuiet
	}
	cfg.defaults()
	ops := k.OpsPerNode
	if ops <= 0 {
		ops = 8
	}
	return scenario.Scenario{
		Name:    k.Name,
		Model:   "crdt",
		Summary: k.Summary,
		Faults: "any number of crash-stop and crash-restart nodes (only never-crashed nodes are checked), " +
			"lossy (drop<1), duplicating, reordering, delaying links and partitions that heal; not byzantine",
		FaultModel: "crash-recovery",
		Threshold:  "any f < n crashed replicas",
		MinNodes:   1,
		Register:   Register,
		New: func(core.NodeID, int) core.Process {
			return New(cfg)
		},
		Workload: func(n int, rng *rand.Rand) []scenario.Input {
			var in []scenario.Input
			for id := range n {
				for j := range ops {
					in = append(in, scenario.Input{
						At:   time.Duration(rng.Int64N(int64(Spread))),
						Node: core.NodeID(id),
						Body: k.Op(rng, core.NodeID(id), j),
					})
				}
			}
			slices.SortStableFunc(in, func(a, b scenario.Input) int { return int(a.At - b.At) })
			return in
		},
		Properties: []string{"convergence", "completeness", "integrity", "semantics"},
		Liveness:   []string{"convergence", "completeness"},
		// Every replica gossips with every other, and the workload grows
		// with n: a campaign costs about n³ messages.
		MaxNodes:    128,
		MaxNodesWhy: "every replica gossips with every other and the workload grows with n, so a run costs about n³ messages (n=100 takes 25 s; n=1000 would take hours)",
		Check: func(h *scenario.History) []scenario.Violation {
			return check(cfg, h, k.Semantics)
		},
		Done: func(h *scenario.History) bool {
			return len(check(cfg, h, nil)) == 0
		},
		Report: func(h *scenario.History) map[string]any {
			return report(cfg, h)
		},
	}
}
