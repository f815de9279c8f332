package algos

import (
	"fmt"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// LatticeState is a lattice-agreement process's state: the join (set union,
// as a bit set in a Value) of what it has seen.
type LatticeState struct {
	X rounds.Value
}

// LatticeMsg carries a set.
type LatticeMsg struct {
	X rounds.Value
}

// LatticeAgreement is lattice agreement over the lattice of sets (Attiya,
// Herlihy, Rachman, "Atomic snapshots using lattice agreement", Distributed
// Computing 8(3), 1995) in synchronous rounds with f crash-stop faults:
// input v stands for the set {v}; every round each process broadcasts the
// join of the sets it has seen, and decides it after f+1 rounds.
//
// Properties: comparability (every two decisions are ordered by ⊆) and
// validity (a decision contains its own input and only inputs).
func LatticeAgreement(f int) *rounds.Algorithm[LatticeState, LatticeMsg] {
	return &rounds.Algorithm[LatticeState, LatticeMsg]{
		Name:    "lattice-agreement",
		Summary: "lattice agreement on sets: flood the join, decide after f+1 rounds",
		Paper:   "Attiya, Herlihy & Rachman, Distributed Computing 8(3), 1995",
		Init: func(_ core.NodeID, _ int, in rounds.Value) LatticeState {
			return LatticeState{X: 1 << in}
		},
		Rounds: []rounds.Round[LatticeState, LatticeMsg]{{
			Name: "join",
			Send: func(s LatticeState, _ rounds.View, out *rounds.Outbox[LatticeMsg]) {
				out.Broadcast(LatticeMsg(s))
			},
			Update: func(s *LatticeState, mb rounds.Mailbox[LatticeMsg], r *rounds.Ctx) {
				for _, m := range mb.All() {
					s.X |= m.X
				}
				if r.Round == f {
					r.Decide(s.X)
				}
			},
		}},
		Spec: rounds.Spec[LatticeState, LatticeMsg]{
			Model:     rounds.Crash,
			Threshold: fmt.Sprintf("synchronous rounds, f = %d < n crash-stop faults, decides after f+1 rounds", f),
			MaxFaults: func(n int) int { return min(f, n-1) },
			Symmetric: true,
			Properties: []rounds.Property[LatticeState]{
				{Name: "comparability", Holds: func(g *rounds.Global[LatticeState]) (bool, string) {
					for p := range g.N {
						for q := range g.N {
							a, b := g.Status[p], g.Status[q]
							if a.Decided && b.Decided && a.Decision&b.Decision != a.Decision && a.Decision&b.Decision != b.Decision {
								return false, fmt.Sprintf("decisions %s and %s are incomparable", g.Show(a.Decision), g.Show(b.Decision))
							}
						}
					}
					return true, ""
				}},
				{Name: "validity", Holds: func(g *rounds.Global[LatticeState]) (bool, string) {
					var all rounds.Value
					for p := range g.N {
						all |= 1 << g.Inputs[p]
					}
					for p := range g.N {
						if st := g.Status[p]; st.Decided && (st.Decision&(1<<g.Inputs[p]) == 0 || st.Decision&^all != 0) {
							return false, fmt.Sprintf("process %d decided %s from input %d", p, g.Show(st.Decision), g.Inputs[p])
						}
					}
					return true, ""
				}},
				rounds.Irrevocability[LatticeState](),
			},
			Liveness: rounds.Liveness[LatticeState]{
				Name:   "f+1 synchronous rounds from the start",
				Start:  func(_, round int, _ rounds.Set) bool { return round == 0 },
				Window: func(_, f int) []rounds.HOFilter { return make([]rounds.HOFilter, f+1) },
			},
		},
		Format: rounds.Format[LatticeState, LatticeMsg]{
			State: func(s LatticeState) string { return latticeSet(s.X) },
			Msg:   func(_ int, m LatticeMsg) string { return latticeSet(m.X) },
			Value: latticeSet,
		},
	}
}

// latticeSet prints a set of inputs held as a bit set: {0,2}.
func latticeSet(v rounds.Value) string { return rounds.Set(uint64(v)).String() }
