package algos

import (
	"fmt"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// BenOrState is a Ben-Or process's state.
type BenOrState struct {
	X       rounds.Value // current estimate (0 or 1)
	Vote    rounds.Value
	HasVote bool
}

// BenOrMsg carries an estimate (round 0) or a vote (round 1).
type BenOrMsg struct {
	X       rounds.Value
	HasVote bool
}

// BenOr is Ben-Or's randomized binary consensus for crash faults (Ben-Or,
// "Another advantage of free choice: completely asynchronous agreement
// protocols", PODC 1983), in phases of two rounds:
//
//	round 0: send x; vote v if more than n/2 of the estimates heard are v;
//	round 1: send the vote; with f+1 votes for v decide v; with one, adopt
//	         v; with none, flip a coin.
//
// Safety needs every process to hear at least n-f processes each round,
// with n > 2f. It terminates with probability 1 (no windowed communication
// predicate guarantees it, so the checker checks safety only; it explores
// every coin outcome). Inputs are binary: values above 1 count as 1.
func BenOr() *rounds.Algorithm[BenOrState, BenOrMsg] {
	f := func(n int) int { return (n - 1) / 2 }
	return &rounds.Algorithm[BenOrState, BenOrMsg]{
		Name:    "benor",
		Summary: "Ben-Or randomized binary consensus (crash faults, n > 2f)",
		Paper:   "Ben-Or, Another advantage of free choice, PODC 1983",
		Init: func(_ core.NodeID, _ int, in rounds.Value) BenOrState {
			return BenOrState{X: min(in, 1)}
		},
		Rounds: []rounds.Round[BenOrState, BenOrMsg]{
			{
				Name: "estimate",
				Send: func(s BenOrState, _ rounds.View, out *rounds.Outbox[BenOrMsg]) {
					out.Broadcast(BenOrMsg{X: s.X})
				},
				Update: func(s *BenOrState, mb rounds.Mailbox[BenOrMsg], r *rounds.Ctx) {
					s.HasVote = false
					for v := range rounds.Value(2) {
						if 2*mb.Count(func(m BenOrMsg) bool { return m.X == v }) > r.N {
							s.Vote, s.HasVote = v, true
						}
					}
				},
			},
			{
				Name: "vote",
				Send: func(s BenOrState, _ rounds.View, out *rounds.Outbox[BenOrMsg]) {
					out.Broadcast(BenOrMsg{X: s.Vote, HasVote: s.HasVote})
				},
				Update: func(s *BenOrState, mb rounds.Mailbox[BenOrMsg], r *rounds.Ctx) {
					s.Vote, s.HasVote = 0, false
					for v := range rounds.Value(2) {
						votes := mb.Count(func(m BenOrMsg) bool { return m.HasVote && m.X == v })
						if votes >= f(r.N)+1 {
							s.X = v
							r.Decide(v)
							return
						}
						if votes > 0 {
							s.X = v
							return
						}
					}
					if r.Coin() {
						s.X = 1
					} else {
						s.X = 0
					}
				},
			},
		},
		Spec: rounds.Spec[BenOrState, BenOrMsg]{
			Model:     rounds.Benign,
			Threshold: "n > 2f: every process hears at least n-f each round",
			MaxFaults: f,
			Symmetric: true,
			Safety: rounds.HOFilter{Name: "everybody hears n-f",
				Each: func(n, _ int, _ core.NodeID, ho rounds.Set) bool { return ho.Len() >= n-f(n) }},
			Properties: []rounds.Property[BenOrState]{rounds.Agreement[BenOrState](), rounds.Irrevocability[BenOrState](), binaryValidity},
		},
		Format: rounds.Format[BenOrState, BenOrMsg]{Msg: func(r int, m BenOrMsg) string {
			switch {
			case r%2 == 0:
				return fmt.Sprintf("est(%d)", m.X)
			case m.HasVote:
				return fmt.Sprintf("vote(%d)", m.X)
			}
			return "vote(?)"
		}},
	}
}

// binaryValidity: a decision is some process's (binary) input.
var binaryValidity = rounds.Property[BenOrState]{Name: "validity", Holds: func(g *rounds.Global[BenOrState]) (bool, string) {
	for p := range g.N {
		st := g.Status[p]
		if !st.Decided {
			continue
		}
		ok := false
		for q := range g.N {
			ok = ok || min(g.Inputs[q], 1) == st.Decision
		}
		if !ok {
			return false, "a process decided a value nobody proposed"
		}
	}
	return true, ""
}}
