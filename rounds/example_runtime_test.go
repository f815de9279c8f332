package rounds_test

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/sim"
)

// bigState and bigMsg belong to a user's own algorithm: flood the largest
// input for two rounds, then decide it.
type bigState struct{ X rounds.Value }
type bigMsg struct{ X rounds.Value }

// A user-defined algorithm runs in the simulator through the rounds
// runtime: rounds.Scenario makes it a scenario (workload, checks, report),
// and sim runs it on three nodes (seed 7), checking its properties.
func ExampleScenario() {
	alg := &rounds.Algorithm[bigState, bigMsg]{
		Name: "maxflood",
		Init: func(_ core.NodeID, _ int, in rounds.Value) bigState { return bigState{X: in} },
		Rounds: []rounds.Round[bigState, bigMsg]{{
			Send: func(s bigState, _ rounds.View, out *rounds.Outbox[bigMsg]) { out.Broadcast(bigMsg(s)) },
			Update: func(s *bigState, mb rounds.Mailbox[bigMsg], r *rounds.Ctx) {
				for _, m := range mb.All() {
					s.X = max(s.X, m.X)
				}
				if r.Round == 1 && mb.Len() == r.N {
					r.Decide(s.X)
				}
			},
		}},
		Spec: rounds.Spec[bigState, bigMsg]{
			Model:      rounds.Benign,
			Threshold:  "no faults: decides once a round hears everybody",
			Properties: []rounds.Property[bigState]{rounds.Validity[bigState](), rounds.Irrevocability[bigState]()},
		},
	}
	sc := rounds.Scenario(alg, rounds.ScenarioOptions{Instances: 2})
	out, err := sim.Setup{Scenario: sc, N: 3, RoundTrip: true}.RunOne(context.Background(), 7, nil)
	if err != nil {
		panic(err)
	}
	decided := map[uint64][]string{}
	for _, o := range out.Result.History.Observations {
		if d, ok := o.Value.(rounds.Decision); ok {
			decided[d.Instance] = append(decided[d.Instance], fmt.Sprintf("node %d: %d in round %d", o.Node, d.Value, d.Round))
		}
	}
	for inst := uint64(1); inst <= 2; inst++ {
		slices.Sort(decided[inst])
		fmt.Printf("instance %d: %s\n", inst, strings.Join(decided[inst], ", "))
	}
	fmt.Println("violations:", out.Violations)
	// Output:
	// instance 1: node 0: 2 in round 1, node 1: 2 in round 1, node 2: 2 in round 1
	// instance 2: node 0: 2 in round 1, node 1: 2 in round 1, node 2: 2 in round 1
	// violations: []
}
