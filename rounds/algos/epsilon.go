package algos

import (
	"fmt"
	"strconv"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// EpsilonScale is the fixed-point scale of ε-agreement: input v stands for
// the real v, held as v·EpsilonScale.
const EpsilonScale = 1 << 16

// EpsilonState is an approximate-agreement process's state: its current
// real value in fixed point.
type EpsilonState struct {
	X rounds.Value
}

// EpsilonMsg carries a value.
type EpsilonMsg struct {
	X rounds.Value
}

// Epsilon is approximate (ε-) agreement over the reals in synchronous rounds
// with crash-stop faults (Dolev, Lynch, Pinter, Stark and Weihl, "Reaching
// approximate agreement in the presence of faults", JACM 33(3), 1986; the
// midpoint rule of Charron-Bost, Függer and Nowak, ICALP 2015): every round
// each process moves to the midpoint of the smallest and largest value it
// heard. Every process hears all live ones, so after each round the values
// of live processes lie within half the previous range; it decides after
// the given number of rounds.
//
// Properties: validity (every decision lies between the smallest and the
// largest input) and ε-agreement with ε = range/2^rounds (+1 per round for
// fixed-point rounding), for any f < n crashes.
func Epsilon(rnds int) *rounds.Algorithm[EpsilonState, EpsilonMsg] {
	return &rounds.Algorithm[EpsilonState, EpsilonMsg]{
		Name:    "epsilon",
		Summary: fmt.Sprintf("ε-agreement over the reals: move to the midpoint of what you hear, decide after %d rounds", rnds),
		Paper:   "Dolev, Lynch, Pinter, Stark & Weihl, JACM 33(3), 1986",
		Init: func(_ core.NodeID, _ int, in rounds.Value) EpsilonState {
			return EpsilonState{X: in * EpsilonScale}
		},
		Rounds: []rounds.Round[EpsilonState, EpsilonMsg]{{
			Name: "midpoint",
			Send: func(s EpsilonState, _ rounds.View, out *rounds.Outbox[EpsilonMsg]) {
				out.Broadcast(EpsilonMsg(s))
			},
			Update: func(s *EpsilonState, mb rounds.Mailbox[EpsilonMsg], r *rounds.Ctx) {
				if _, done := r.Decided(); done {
					return
				}
				lo, hi := s.X, s.X
				for _, m := range mb.All() {
					lo, hi = min(lo, m.X), max(hi, m.X)
				}
				s.X = lo + (hi-lo)/2
				if r.Round+1 == rnds {
					r.Decide(s.X)
				}
			},
		}},
		Spec: rounds.Spec[EpsilonState, EpsilonMsg]{
			Model:     rounds.Crash,
			Threshold: fmt.Sprintf("synchronous rounds, any f < n crash-stop faults; ε = range/2^%d", rnds),
			MaxFaults: func(n int) int { return n - 1 },
			Symmetric: true,
			Properties: []rounds.Property[EpsilonState]{
				{Name: "validity", StatusOnly: true, Holds: func(g *rounds.Global[EpsilonState]) (bool, string) {
					lo, hi := g.Inputs[0], g.Inputs[0]
					for p := range g.N {
						lo, hi = min(lo, g.Inputs[p]), max(hi, g.Inputs[p])
					}
					for p := range g.N {
						if st := g.Status[p]; st.Decided && (st.Decision < lo*EpsilonScale || st.Decision > hi*EpsilonScale) {
							return false, fmt.Sprintf("process %d decided %s outside the inputs [%d,%d]", p, g.Show(st.Decision), lo, hi)
						}
					}
					return true, ""
				}},
				{Name: "epsilon-agreement", StatusOnly: true, Holds: func(g *rounds.Global[EpsilonState]) (bool, string) {
					lo, hi := g.Inputs[0], g.Inputs[0]
					for p := range g.N {
						lo, hi = min(lo, g.Inputs[p]), max(hi, g.Inputs[p])
					}
					eps := (hi-lo)*EpsilonScale>>rnds + rounds.Value(rnds)
					for p := range g.N {
						for q := range g.N {
							a, b := g.Status[p], g.Status[q]
							if a.Decided && b.Decided && a.Decision-b.Decision > eps {
								return false, fmt.Sprintf("decisions %s and %s differ by more than ε = %s", g.Show(a.Decision), g.Show(b.Decision), g.Show(eps))
							}
						}
					}
					return true, ""
				}},
				rounds.Irrevocability[EpsilonState](),
			},
			Liveness: rounds.Liveness[EpsilonState]{
				Name:   fmt.Sprintf("%d synchronous rounds from the start", rnds),
				Start:  func(_, round int, _ rounds.Set) bool { return round == 0 },
				Window: func(_, _ int) []rounds.HOFilter { return make([]rounds.HOFilter, rnds) },
			},
		},
		Format: rounds.Format[EpsilonState, EpsilonMsg]{
			State: func(s EpsilonState) string { return epsilonReal(s.X) },
			Msg:   func(_ int, m EpsilonMsg) string { return epsilonReal(m.X) },
			Value: epsilonReal,
		},
	}
}

// epsilonReal prints a fixed-point value as the real it stands for (exact:
// the scale is a power of two).
func epsilonReal(v rounds.Value) string {
	return strconv.FormatFloat(float64(v)/EpsilonScale, 'f', -1, 64)
}
