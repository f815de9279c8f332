package algos

import (
	"fmt"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// KSetState is a k-set agreement process's state: the smallest value seen,
// and whether it saw no new crash in the last round (early stopping).
type KSetState struct {
	X     rounds.Value
	Heard rounds.Set // who it heard in the previous round
	Quiet bool       // the last round showed no new silence: decide next
}

// KSetMsg carries the smallest value seen and, once the sender has decided,
// the fact that it did.
type KSetMsg struct {
	X       rounds.Value
	Decided bool
}

// KSet is k-set agreement in synchronous rounds with at most f crashes,
// FloodMin style (Chaudhuri, "More choices allow more faults", Information
// and Computation 105(1), 1993, for the ⌊f/k⌋+1 round bound; early stopping
// as in Raynal, Fault-tolerant agreement in synchronous message-passing
// systems, 2010): every round each process broadcasts the smallest value it
// has seen. It decides after ⌊f/k⌋+1 rounds, or earlier: one round after a
// round (not the first) in which it heard exactly the processes it heard the
// round before (no new silence), or as soon as it hears from a process that
// has decided; a decided process keeps relaying its value.
//
// At most k distinct values are decided, each an input. Threshold: any f < n
// crashes; decision by round ⌊f/k⌋+1. (The early-stopping rule is checked
// exhaustively for small systems by the tests, not proved here.)
func KSet(k, f int) *rounds.Algorithm[KSetState, KSetMsg] {
	bound := f/k + 1
	return &rounds.Algorithm[KSetState, KSetMsg]{
		Name:    "kset",
		Summary: fmt.Sprintf("%d-set agreement with early stopping: flood the minimum, at most %d rounds", k, bound),
		Paper:   "Chaudhuri, More choices allow more faults, Inf. & Comp. 105(1), 1993",
		Init: func(_ core.NodeID, n int, in rounds.Value) KSetState {
			return KSetState{X: in, Heard: rounds.All(n)}
		},
		Rounds: []rounds.Round[KSetState, KSetMsg]{{
			Name: "flood",
			Send: func(s KSetState, r rounds.View, out *rounds.Outbox[KSetMsg]) {
				_, dec := r.Decided()
				out.Broadcast(KSetMsg{X: s.X, Decided: dec})
			},
			Update: func(s *KSetState, mb rounds.Mailbox[KSetMsg], r *rounds.Ctx) {
				if _, dec := r.Decided(); dec {
					return
				}
				relayed := false
				for _, m := range mb.All() {
					s.X = min(s.X, m.X)
					relayed = relayed || m.Decided
				}
				quiet := mb.Senders() == s.Heard
				s.Heard = mb.Senders()
				if relayed || s.Quiet || r.Round+1 >= bound {
					r.Decide(s.X)
				}
				s.Quiet = quiet && r.Round > 0
			},
		}},
		Spec: rounds.Spec[KSetState, KSetMsg]{
			Model:      rounds.Crash,
			Threshold:  fmt.Sprintf("synchronous rounds, f = %d < n crash-stop faults, k = %d: decides within ⌊f/k⌋+1 = %d rounds", f, k, bound),
			MaxFaults:  func(n int) int { return min(f, n-1) },
			Properties: []rounds.Property[KSetState]{atMostK[KSetState](k), rounds.Validity[KSetState](), rounds.Irrevocability[KSetState]()},
			Liveness: rounds.Liveness[KSetState]{
				Name:   fmt.Sprintf("⌊f/k⌋+1 = %d synchronous rounds from the start", bound),
				Start:  func(_, round int, _ rounds.Set) bool { return round == 0 },
				Window: func(n, _ int) []rounds.HOFilter { return make([]rounds.HOFilter, bound) },
			},
		},
	}
}

// atMostK: at most k distinct values are decided.
func atMostK[S any](k int) rounds.Property[S] {
	return rounds.Property[S]{Name: fmt.Sprintf("%d-agreement", k), Holds: func(g *rounds.Global[S]) (bool, string) {
		var seen []rounds.Value
		for p := range g.N {
			st := g.Status[p]
			if !st.Decided || !g.IsHonest(p) {
				continue
			}
			dup := false
			for _, v := range seen {
				dup = dup || v == st.Decision
			}
			if !dup {
				seen = append(seen, st.Decision)
			}
		}
		if len(seen) > k {
			return false, fmt.Sprintf("%d distinct decisions %v, at most %d allowed", len(seen), seen, k)
		}
		return true, ""
	}}
}
