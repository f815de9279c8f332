package algos

import (
	"fmt"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// ERBState is an eager-reliable-broadcast process's state.
type ERBState struct {
	Has bool
	V   rounds.Value
}

// ERBMsg relays the broadcast value.
type ERBMsg struct {
	V rounds.Value
}

// ERB is eager reliable broadcast in synchronous rounds with f crash-stop
// failures (Hadzilacos and Toueg, "A modular approach to fault-tolerant
// broadcasts and related problems", 1994; Cachin, Guerraoui, Rodrigues,
// Introduction to Reliable and Secure Distributed Programming, 2011,
// Algorithm 3.3): process 0 broadcasts its input in round 0; every process
// delivers (decides) a value the first time it hears it and relays it in
// every later round.
//
// Properties: integrity (only the sender's input is delivered) and
// agreement — checked as a state predicate: from round f+1 on, if a live
// process delivered, every live process did. Any f < n crashes. Eager
// reliable broadcast is not uniform: a process may deliver and crash before
// relaying (UniformAgreementAfter states the stronger property, which the
// checker refutes).
func ERB(f int) *rounds.Algorithm[ERBState, ERBMsg] {
	const sender core.NodeID = 0
	return &rounds.Algorithm[ERBState, ERBMsg]{
		Name:    "erb",
		Summary: "eager reliable broadcast: deliver on first receipt and relay",
		Paper:   "Hadzilacos & Toueg 1994; Cachin, Guerraoui & Rodrigues 2011, Alg. 3.3",
		Init: func(id core.NodeID, _ int, in rounds.Value) ERBState {
			if id == sender {
				return ERBState{Has: true, V: in}
			}
			return ERBState{}
		},
		Rounds: []rounds.Round[ERBState, ERBMsg]{{
			Name: "relay",
			Send: func(s ERBState, _ rounds.View, out *rounds.Outbox[ERBMsg]) {
				if s.Has {
					out.Broadcast(ERBMsg{V: s.V})
				}
			},
			// In round 0 only the sender sends: one message at most. Later,
			// any process may relay.
			Expect: func(_ ERBState, r rounds.View) int {
				if r.Round == 0 {
					return 1
				}
				return r.N
			},
			Update: func(s *ERBState, mb rounds.Mailbox[ERBMsg], r *rounds.Ctx) {
				for _, m := range mb.All() {
					if !s.Has {
						s.Has, s.V = true, m.V
					}
				}
				if s.Has {
					r.Decide(s.V)
				}
			},
		}},
		Spec: rounds.Spec[ERBState, ERBMsg]{
			Model:     rounds.Crash,
			Threshold: fmt.Sprintf("synchronous rounds, f = %d < n crash-stop faults; uniform agreement after f+1 rounds", f),
			MaxFaults: func(n int) int { return min(f, n-1) },
			Properties: []rounds.Property[ERBState]{
				{Name: "integrity", Holds: func(g *rounds.Global[ERBState]) (bool, string) {
					for p := range g.N {
						if st := g.Status[p]; st.Decided && st.Decision != g.Inputs[sender] {
							return false, fmt.Sprintf("process %d delivered %d, the sender broadcast %d", p, st.Decision, g.Inputs[sender])
						}
					}
					return true, ""
				}},
				agreementAfter(f+1, false),
				rounds.Irrevocability[ERBState](),
			},
		},
	}
}

// UniformAgreementAfter is reliable broadcast's uniform agreement as a state
// predicate: from round r on, if any process (even one that crashed since)
// delivered, every live process did.
func UniformAgreementAfter(r int) rounds.Property[ERBState] { return agreementAfter(r, true) }

func agreementAfter(r int, uniform bool) rounds.Property[ERBState] {
	name := "agreement"
	if uniform {
		name = "uniform-agreement"
	}
	return rounds.Property[ERBState]{Name: name, Holds: func(g *rounds.Global[ERBState]) (bool, string) {
		if g.Round < r {
			return true, ""
		}
		delivered := -1
		for p := range g.N {
			if g.Status[p].Decided && (uniform || !g.Crashed.Has(core.NodeID(p))) {
				delivered = p
			}
		}
		if delivered < 0 {
			return true, ""
		}
		for p := range g.N {
			if !g.Status[p].Decided && !g.Crashed.Has(core.NodeID(p)) {
				return false, fmt.Sprintf("after %d rounds process %d delivered but live process %d did not", g.Round, delivered, p)
			}
		}
		return true, ""
	}}
}
