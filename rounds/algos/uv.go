package algos

import (
	"fmt"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// UVState is a UniformVoting process's state.
type UVState struct {
	X       rounds.Value
	Vote    rounds.Value
	HasVote bool
}

// UVMsg carries an estimate (round 0) or an estimate and a vote (round 1).
type UVMsg struct {
	X       rounds.Value
	Vote    rounds.Value
	HasVote bool
}

// UniformVoting is the UniformVoting algorithm (Charron-Bost and Schiper,
// "The Heard-Of model: computing in distributed systems with benign
// faults", Distributed Computing 22(1), 2009, Algorithm 2), phases of two
// rounds:
//
//	round 0: send x; x := the smallest x heard; vote for it if every x
//	         heard is the same;
//	round 1: send (x, vote); adopt a vote if one is heard (else the
//	         smallest x); decide v if every message heard votes v.
//
// Unlike OTR it needs an assumption for safety: no split rounds (every two
// HO sets of a round intersect), which holds whenever every process hears a
// majority (n > 2f). It decides after a round in which all processes hear
// the same set, within two more phases.
func UniformVoting() *rounds.Algorithm[UVState, UVMsg] {
	return &rounds.Algorithm[UVState, UVMsg]{
		Name:    "uv",
		Summary: "UniformVoting consensus: vote when all values heard agree, decide when all votes agree",
		Paper:   "Charron-Bost & Schiper, The Heard-Of model, Distributed Computing 22(1), 2009",
		Init: func(_ core.NodeID, _ int, in rounds.Value) UVState {
			return UVState{X: in}
		},
		Rounds: []rounds.Round[UVState, UVMsg]{
			{
				Name: "estimate",
				Send: func(s UVState, _ rounds.View, out *rounds.Outbox[UVMsg]) {
					out.Broadcast(UVMsg{X: s.X})
				},
				Update: func(s *UVState, mb rounds.Mailbox[UVMsg], _ *rounds.Ctx) {
					if mb.Len() == 0 {
						return
					}
					smallest, same := smallestX(mb)
					s.X = smallest
					if same {
						s.Vote, s.HasVote = smallest, true
					}
				},
			},
			{
				Name: "vote",
				Send: func(s UVState, _ rounds.View, out *rounds.Outbox[UVMsg]) {
					out.Broadcast(UVMsg(s))
				},
				Update: func(s *UVState, mb rounds.Mailbox[UVMsg], r *rounds.Ctx) {
					defer func() { s.Vote, s.HasVote = 0, false }()
					if mb.Len() == 0 {
						return
					}
					voted, all := false, true
					var v rounds.Value
					for _, m := range mb.All() {
						if !m.HasVote {
							all = false
							continue
						}
						if !voted || m.Vote < v {
							v, voted = m.Vote, true
						}
					}
					if voted {
						s.X = v
					} else {
						s.X, _ = smallestX(mb)
					}
					if all && mb.Count(func(m UVMsg) bool { return m.Vote == v }) == mb.Len() {
						r.Decide(v)
					}
				},
			},
		},
		Spec: rounds.Spec[UVState, UVMsg]{
			Model:      rounds.Benign,
			Threshold:  "safe when no round is split (every two HO sets intersect, e.g. all hear a majority: n > 2f)",
			MaxFaults:  func(n int) int { return (n - 1) / 2 },
			Symmetric:  true,
			Safety:     NoSplit(),
			Properties: rounds.Consensus[UVState](),
			Liveness: rounds.Liveness[UVState]{
				Name:  "a phase whose first round is uniform (all hear the same set), then one more phase",
				Start: func(_, round int, _ rounds.Set) bool { return round%2 == 0 },
				Window: func(n, f int) []rounds.HOFilter {
					return []rounds.HOFilter{{Name: "uniform", Uniform: true}, {}, {}, {}}
				},
			},
		},
		Format: rounds.Format[UVState, UVMsg]{Msg: func(r int, m UVMsg) string {
			switch {
			case r%2 == 0:
				return fmt.Sprintf("est(%d)", m.X)
			case m.HasVote:
				return fmt.Sprintf("est(%d),vote(%d)", m.X, m.Vote)
			}
			return fmt.Sprintf("est(%d),no vote", m.X)
		}},
	}
}

// NoSplit is the "no split rounds" predicate: every two HO sets of a round
// intersect. (A function, not a variable, so that no caller can change the
// predicate UniformVoting is checked under.)
func NoSplit() rounds.HOFilter {
	return rounds.HOFilter{
		Name: "no split rounds",
		Pair: func(_, _ int, hp, hq rounds.Set) bool { return hp&hq != 0 },
		Each: func(_, _ int, _ core.NodeID, ho rounds.Set) bool { return ho != 0 },
	}
}

func smallestX(mb rounds.Mailbox[UVMsg]) (rounds.Value, bool) {
	var x rounds.Value
	first, same := true, true
	for _, m := range mb.All() {
		if first {
			x, first = m.X, false
			continue
		}
		if m.X != x {
			same = false
		}
		x = min(x, m.X)
	}
	return x, same
}
