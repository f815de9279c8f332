package rounds_test

import (
	"context"
	"fmt"

	"github.com/rondo-dev/rondo/check"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// A user package writes its own algorithm as a value: here "flood the
// maximum for two rounds, then decide it", a synchronous algorithm that
// tolerates one crash. Its state and message are small comparable structs.
type maxState struct{ X rounds.Value }

type maxMsg struct{ X rounds.Value }

func floodMax(f int) *rounds.Algorithm[maxState, maxMsg] {
	return &rounds.Algorithm[maxState, maxMsg]{
		Name: "floodmax",
		Init: func(_ core.NodeID, _ int, in rounds.Value) maxState { return maxState{X: in} },
		Rounds: []rounds.Round[maxState, maxMsg]{{
			Name: "flood",
			Send: func(s maxState, _ rounds.View, out *rounds.Outbox[maxMsg]) {
				out.Broadcast(maxMsg(s))
			},
			Update: func(s *maxState, mb rounds.Mailbox[maxMsg], r *rounds.Ctx) {
				for _, m := range mb.All() {
					s.X = max(s.X, m.X)
				}
				if r.Round == f {
					r.Decide(s.X)
				}
			},
		}},
		Spec: rounds.Spec[maxState, maxMsg]{
			Model:      rounds.Crash,
			Threshold:  "f crash-stop faults, f+1 synchronous rounds",
			Symmetric:  true,
			Properties: rounds.Consensus[maxState](),
			Liveness: rounds.Liveness[maxState]{
				Name:   "f+1 synchronous rounds",
				Start:  func(_, round int, _ rounds.Set) bool { return round == 0 },
				Window: func(_, f int) []rounds.HOFilter { return make([]rounds.HOFilter, f+1) },
			},
		},
	}
}

// The checker explores every execution of the user's algorithm: with f+1
// rounds it is correct; deciding one round too early, a process that
// crashes while sending splits the decision.
func Example_checkAUserDefinedAlgorithm() {
	ok, _ := check.Run(context.Background(), floodMax(1), check.Options{N: 3, Rounds: 2, Crash: 1})
	fmt.Printf("f+1 rounds: %s, %d states (+%d inside liveness windows)\n", ok.Verdict, ok.States, ok.LivenessStates)

	bad, _ := check.Run(context.Background(), floodMax(0), check.Options{N: 3, Rounds: 2, Crash: 1})
	cx := bad.Counterexample
	fmt.Printf("f rounds: %s violated after %d round: %s\n", cx.Property, len(cx.Steps)-1, cx.Reason)
	// Output:
	// f+1 rounds: held, 29 states (+25 inside liveness windows)
	// f rounds: agreement violated after 1 round: process 0 decided 1 but process 1 decided 0
}
