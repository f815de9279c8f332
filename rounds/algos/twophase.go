package algos

import (
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// TwoPCState is a two-phase-commit participant's state (only the
// coordinator, process 0, uses Decided through its status).
type TwoPCState struct {
	Vote rounds.Value // 1 = yes, 0 = no
}

// TwoPCMsg carries a vote (round 0) or the outcome (round 1).
type TwoPCMsg struct {
	V rounds.Value
}

// TwoPC is two-phase commit in rounds (Gray, "Notes on data base operating
// systems", 1978), coordinator 0, phases of two rounds:
//
//	round 0: every participant sends its vote (input 1 = yes, 0 = no) to the
//	         coordinator, which decides commit (1) if it heard n yes votes,
//	         abort (0) otherwise;
//	round 1: the coordinator sends its decision; whoever hears it decides it.
//
// Safe under any HO sets; not fault tolerant for termination: it decides in
// a phase where the coordinator hears everybody and everybody hears the
// coordinator (it blocks while the coordinator is silent: f = 0).
func TwoPC() *rounds.Algorithm[TwoPCState, TwoPCMsg] {
	const coord core.NodeID = 0
	return &rounds.Algorithm[TwoPCState, TwoPCMsg]{
		Name:    "2pc",
		Summary: "two-phase commit: commit iff every participant votes yes",
		Paper:   "Gray, Notes on data base operating systems, 1978",
		Init: func(_ core.NodeID, _ int, in rounds.Value) TwoPCState {
			return TwoPCState{Vote: min(in, 1)}
		},
		Rounds: []rounds.Round[TwoPCState, TwoPCMsg]{
			{
				Name: "vote",
				Send: func(s TwoPCState, _ rounds.View, out *rounds.Outbox[TwoPCMsg]) {
					out.To(coord, TwoPCMsg{V: s.Vote})
				},
				// The coordinator needs every vote; the others hear nothing.
				Expect: func(_ TwoPCState, r rounds.View) int { return expectIfCoord(r, coord, r.N) },
				Update: func(s *TwoPCState, mb rounds.Mailbox[TwoPCMsg], r *rounds.Ctx) {
					if _, done := r.Decided(); r.ID != coord || done {
						return
					}
					if mb.Count(func(m TwoPCMsg) bool { return m.V == 1 }) == r.N {
						r.Decide(1)
					} else {
						r.Decide(0)
					}
				},
			},
			{
				Name: "outcome",
				Send: func(s TwoPCState, r rounds.View, out *rounds.Outbox[TwoPCMsg]) {
					if v, done := r.Decided(); r.ID == coord && done {
						out.Broadcast(TwoPCMsg{V: v})
					}
				},
				Expect: func(_ TwoPCState, r rounds.View) int {
					_, done := r.Decided()
					return expectCoordOnly(r, coord, done)
				},
				Update: func(s *TwoPCState, mb rounds.Mailbox[TwoPCMsg], r *rounds.Ctx) {
					if m, ok := mb.Get(coord); ok {
						r.Decide(m.V)
					}
				},
			},
		},
		Spec: rounds.Spec[TwoPCState, TwoPCMsg]{
			Model:      rounds.Benign,
			Threshold:  "safe under any HO sets; blocks unless the coordinator and every participant communicate (f = 0)",
			Properties: []rounds.Property[TwoPCState]{rounds.Agreement[TwoPCState](), rounds.Irrevocability[TwoPCState](), commitNeedsAllYes},
			Liveness: rounds.Liveness[TwoPCState]{
				Name:  "a phase where the coordinator hears everybody and everybody hears it",
				Start: func(_, round int, _ rounds.Set) bool { return round%2 == 0 },
				Window: func(n, f int) []rounds.HOFilter {
					return []rounds.HOFilter{
						{Name: "coordinator hears all", Each: func(n, _ int, p core.NodeID, ho rounds.Set) bool { return p != coord || ho == rounds.All(n) }},
						{Name: "all hear the coordinator", Each: func(_, _ int, _ core.NodeID, ho rounds.Set) bool { return ho.Has(coord) }},
					}
				},
			},
		},
		Format: rounds.Format[TwoPCState, TwoPCMsg]{
			State: func(s TwoPCState) string { return "vote=" + twoPCVote(s.Vote) },
			Msg: func(r int, m TwoPCMsg) string {
				if r%2 == 0 {
					return twoPCVote(m.V)
				}
				return twoPCOutcome(m.V)
			},
			Value: twoPCOutcome,
		},
	}
}

func twoPCVote(v rounds.Value) string {
	if v == 1 {
		return "yes"
	}
	return "no"
}

func twoPCOutcome(v rounds.Value) string {
	if v == 1 {
		return "commit"
	}
	return "abort"
}

// commitNeedsAllYes: nobody commits unless every participant voted yes.
var commitNeedsAllYes = rounds.Property[TwoPCState]{Name: "commit-validity", Holds: func(g *rounds.Global[TwoPCState]) (bool, string) {
	for p := range g.N {
		if st := g.Status[p]; st.Decided && st.Decision == 1 {
			for q := range g.N {
				if g.Inputs[q] == 0 {
					return false, "process committed although a participant voted no"
				}
			}
		}
	}
	return true, ""
}}
