package algos

import (
	"fmt"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// FloodMinState is a FloodMin process's state: the smallest value seen.
type FloodMinState struct {
	X rounds.Value
}

// FloodMinMsg carries the smallest value seen.
type FloodMinMsg struct {
	X rounds.Value
}

// FloodMin is consensus in synchronous rounds with at most f crash-stop
// failures (Lynch, Distributed Algorithms, 1996, §6.2, FloodSet; here
// flooding the minimum): every round each process broadcasts the smallest
// value it has seen; after f+1 rounds it decides it. Some round among the
// f+1 has no crash, after which all live processes hold the same minimum.
//
// Fault model: synchronous rounds (every message of a live process
// arrives), any f < n crashes, a crashing process reaching any subset of its
// receivers in its last round. It decides at the end of round f+1.
func FloodMin(f int) *rounds.Algorithm[FloodMinState, FloodMinMsg] {
	return &rounds.Algorithm[FloodMinState, FloodMinMsg]{
		Name:    "floodmin",
		Summary: fmt.Sprintf("FloodMin consensus: flood the minimum for f+1 = %d synchronous rounds", f+1),
		Paper:   "Lynch, Distributed Algorithms, 1996, §6.2 (FloodSet)",
		Init: func(_ core.NodeID, _ int, in rounds.Value) FloodMinState {
			return FloodMinState{X: in}
		},
		Rounds: []rounds.Round[FloodMinState, FloodMinMsg]{{
			Name: "flood",
			Send: func(s FloodMinState, _ rounds.View, out *rounds.Outbox[FloodMinMsg]) {
				out.Broadcast(FloodMinMsg(s))
			},
			Update: func(s *FloodMinState, mb rounds.Mailbox[FloodMinMsg], r *rounds.Ctx) {
				for _, m := range mb.All() {
					s.X = min(s.X, m.X)
				}
				if r.Round == f {
					r.Decide(s.X)
				}
			},
		}},
		Spec: rounds.Spec[FloodMinState, FloodMinMsg]{
			Model:      rounds.Crash,
			Threshold:  fmt.Sprintf("synchronous rounds, at most f = %d crash-stop faults (any f < n)", f),
			MaxFaults:  func(n int) int { return min(f, n-1) },
			Symmetric:  true,
			Properties: rounds.Consensus[FloodMinState](),
			Liveness: rounds.Liveness[FloodMinState]{
				Name:  "f+1 synchronous rounds from the start",
				Start: func(_, round int, _ rounds.Set) bool { return round == 0 },
				Window: func(n, f int) []rounds.HOFilter {
					return make([]rounds.HOFilter, f+1)
				},
			},
		},
	}
}
