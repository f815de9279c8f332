package algos

import (
	"fmt"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// LeaderMaxN bounds the system size of the leader detector.
const LeaderMaxN = 8

// LeaderState is a process's accusation counters: how many rounds each
// process is known to have gone unheard by someone.
type LeaderState struct {
	Acc [LeaderMaxN]uint8
}

// Leader is the process this one trusts: the least accused, the smallest id
// among equals.
func (s LeaderState) Leader(n int) core.NodeID {
	best := core.NodeID(0)
	for p := 1; p < n && p < LeaderMaxN; p++ {
		if s.Acc[p] < s.Acc[best] {
			best = core.NodeID(p)
		}
	}
	return best
}

// LeaderMsg carries the sender's accusation counters (the heartbeat).
type LeaderMsg struct {
	Acc [LeaderMaxN]uint8
}

// Leader is an eventual leader detector Ω — the weakest failure detector for
// consensus, equivalent to ◇S (Chandra, Hadzilacos and Toueg, "The weakest
// failure detector for solving consensus", JACM 43(4), 1996) — built in
// rounds from accusation counters (in the style of Aguilera, Delporte-
// Gallet, Fauconnier and Toueg, "Communication-efficient leader election and
// consensus with limited link synchrony", PODC 2004): every round each
// process broadcasts its counters as a heartbeat, accuses (counts once more)
// every process it did not hear, and merges the counters it hears by
// maximum; it trusts the least accused process, the smallest id among
// equals. A process heard by everybody from some round on stops being
// accused, so all processes eventually trust the same leader.
//
// Its progress is not a decision: the liveness window is one round in which
// everybody hears everybody, after which every process trusts the same
// leader (Liveness.Holds). Its input is unused: check it with --values 1.
func Leader() *rounds.Algorithm[LeaderState, LeaderMsg] {
	return &rounds.Algorithm[LeaderState, LeaderMsg]{
		Name:    "leader",
		Summary: "eventual leader election (Ω, equivalent to ◇S) from accusation counters",
		Paper:   "Chandra, Hadzilacos & Toueg, JACM 43(4), 1996; Aguilera et al., PODC 2004",
		Init:    func(core.NodeID, int, rounds.Value) LeaderState { return LeaderState{} },
		Rounds: []rounds.Round[LeaderState, LeaderMsg]{{
			Name: "heartbeat",
			Send: func(s LeaderState, _ rounds.View, out *rounds.Outbox[LeaderMsg]) {
				out.Broadcast(LeaderMsg(s))
			},
			Update: func(s *LeaderState, mb rounds.Mailbox[LeaderMsg], r *rounds.Ctx) {
				for p := 0; p < r.N && p < LeaderMaxN; p++ {
					if !mb.Has(core.NodeID(p)) && s.Acc[p] < 255 {
						s.Acc[p]++
					}
				}
				for _, m := range mb.All() {
					for p := range m.Acc {
						s.Acc[p] = max(s.Acc[p], m.Acc[p])
					}
				}
			},
		}},
		Spec: rounds.Spec[LeaderState, LeaderMsg]{
			Model:     rounds.Benign,
			Threshold: "eventual: some process heard by all from some round on (any f < n)",
			MaxFaults: func(n int) int { return n - 1 },
			Liveness: rounds.Liveness[LeaderState]{
				Name: "a round in which everybody hears everybody",
				Window: func(n, _ int) []rounds.HOFilter {
					return []rounds.HOFilter{{Name: "all hear all",
						Each: func(n, _ int, _ core.NodeID, ho rounds.Set) bool { return ho == rounds.All(n) }}}
				},
				Holds: func(g *rounds.Global[LeaderState]) (bool, string) {
					l := g.States[0].Leader(g.N)
					for p := 1; p < g.N; p++ {
						if q := g.States[p].Leader(g.N); q != l {
							return false, fmt.Sprintf("process 0 trusts %d but process %d trusts %d", l, p, q)
						}
					}
					return true, ""
				},
			},
		},
	}
}
