package algos

import (
	"fmt"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// LVState is a LastVoting process's state.
type LVState struct {
	X  rounds.Value // current estimate
	TS int32        // 1 + the phase in which X was last adopted from a coordinator (0: never)
	// Coordinator only, within a phase:
	Vote   rounds.Value
	Commit bool // a vote was chosen in round 0
	Ready  bool // a majority acknowledged it in round 2
}

// LVMsg is a LastVoting message: an estimate with its timestamp (round 0),
// the coordinator's vote (rounds 1 and 3) or an acknowledgement (round 2).
type LVMsg struct {
	X  rounds.Value
	TS int32
}

// LastVoting is Paxos in the Heard-Of model (Charron-Bost and Schiper, "The
// Heard-Of model: computing in distributed systems with benign faults",
// Distributed Computing 22(1), 2009, Algorithm 3), as in PSync's
// LastVoting.scala: phases of four rounds with the rotating coordinator
// φ mod n.
//
//	round 0: everyone sends (x, ts) to the coordinator, which, hearing a
//	         majority, votes for the x with the largest ts;
//	round 1: the coordinator sends its vote; who hears it adopts it (ts := φ+1);
//	round 2: who adopted it in this phase acknowledges to the coordinator;
//	round 3: the coordinator, with a majority of acknowledgements, sends
//	         the vote again and whoever hears it decides.
//
// Safety holds under any HO sets. It decides in a phase whose coordinator
// hears a majority in rounds 0 and 2 and is heard by all in rounds 1 and 3
// (so n > 2f).
func LastVoting() *rounds.Algorithm[LVState, LVMsg] {
	majority := func(k, n int) bool { return 2*k > n }
	return &rounds.Algorithm[LVState, LVMsg]{
		Name:    "lastvoting",
		Summary: "LastVoting: Paxos in four Heard-Of rounds with a rotating coordinator",
		Paper:   "Charron-Bost & Schiper, The Heard-Of model, Distributed Computing 22(1), 2009",
		Init: func(_ core.NodeID, _ int, in rounds.Value) LVState {
			return LVState{X: in}
		},
		Rounds: []rounds.Round[LVState, LVMsg]{
			{
				Name: "collect",
				Send: func(s LVState, r rounds.View, out *rounds.Outbox[LVMsg]) {
					out.To(coordinator(r.Round, r.N), LVMsg{X: s.X, TS: s.TS})
				},
				// Only the coordinator hears anything, and a majority is
				// what it needs (as in PSync's LastVoting).
				Expect: func(_ LVState, r rounds.View) int {
					return expectIfCoord(r, coordinator(r.Round, r.N), r.N/2+1)
				},
				Update: func(s *LVState, mb rounds.Mailbox[LVMsg], r *rounds.Ctx) {
					if r.ID != coordinator(r.Round, r.N) || !majority(mb.Len(), r.N) {
						return
					}
					bestTS := int32(-1)
					for _, m := range mb.All() {
						if m.TS > bestTS {
							s.Vote, bestTS = m.X, m.TS
						}
					}
					s.Commit = true
				},
			},
			{
				Name: "vote",
				Send: func(s LVState, r rounds.View, out *rounds.Outbox[LVMsg]) {
					if r.ID == coordinator(r.Round, r.N) && s.Commit {
						out.Broadcast(LVMsg{X: s.Vote})
					}
				},
				Expect: func(s LVState, r rounds.View) int {
					return expectCoordOnly(r, coordinator(r.Round, r.N), s.Commit)
				},
				Update: func(s *LVState, mb rounds.Mailbox[LVMsg], r *rounds.Ctx) {
					if m, ok := mb.Get(coordinator(r.Round, r.N)); ok {
						s.X, s.TS = m.X, int32(r.Phase(4)+1)
					}
				},
			},
			{
				Name: "ack",
				Send: func(s LVState, r rounds.View, out *rounds.Outbox[LVMsg]) {
					if s.TS == int32(r.Phase(4)+1) {
						out.To(coordinator(r.Round, r.N), LVMsg{})
					}
				},
				Expect: func(_ LVState, r rounds.View) int {
					return expectIfCoord(r, coordinator(r.Round, r.N), r.N/2+1)
				},
				Update: func(s *LVState, mb rounds.Mailbox[LVMsg], r *rounds.Ctx) {
					if r.ID == coordinator(r.Round, r.N) && majority(mb.Len(), r.N) {
						s.Ready = true
					}
				},
			},
			{
				Name: "decide",
				Send: func(s LVState, r rounds.View, out *rounds.Outbox[LVMsg]) {
					if r.ID == coordinator(r.Round, r.N) && s.Ready {
						out.Broadcast(LVMsg{X: s.Vote})
					}
				},
				Expect: func(s LVState, r rounds.View) int {
					return expectCoordOnly(r, coordinator(r.Round, r.N), s.Ready)
				},
				Update: func(s *LVState, mb rounds.Mailbox[LVMsg], r *rounds.Ctx) {
					if m, ok := mb.Get(coordinator(r.Round, r.N)); ok {
						r.Decide(m.X)
					}
					if r.ID == coordinator(r.Round, r.N) {
						s.Vote, s.Commit, s.Ready = 0, false, false
					}
				},
			},
		},
		Spec: rounds.Spec[LVState, LVMsg]{
			Model:      rounds.Benign,
			Threshold:  "safe under any HO sets; live when the coordinator and a majority communicate (n > 2f)",
			MaxFaults:  func(n int) int { return (n - 1) / 2 },
			Properties: rounds.Consensus[LVState](),
			Liveness: rounds.Liveness[LVState]{
				Name:  "a phase whose coordinator hears a majority in rounds 0 and 2 and is heard by all in rounds 1 and 3",
				Start: func(_, round int, _ rounds.Set) bool { return round%4 == 0 },
				Window: func(n, f int) []rounds.HOFilter {
					coordHearsMajority := rounds.HOFilter{Name: "coordinator hears a majority",
						Each: func(n, round int, p core.NodeID, ho rounds.Set) bool {
							return p != coordinator(round, n) || majority(ho.Len(), n)
						}}
					allHearCoord := rounds.HOFilter{Name: "all hear the coordinator",
						Each: func(n, round int, _ core.NodeID, ho rounds.Set) bool {
							return ho.Has(coordinator(round, n))
						}}
					return []rounds.HOFilter{coordHearsMajority, allHearCoord, coordHearsMajority, allHearCoord}
				},
			},
		},
		Format: rounds.Format[LVState, LVMsg]{State: lvState, Msg: lvMsg},
	}
}

// LastVotingCoordinator is the coordinator of round r's phase: φ mod n.
func LastVotingCoordinator(r, n int) core.NodeID { return core.NodeID((r / 4) % n) }

func coordinator(round, n int) core.NodeID { return LastVotingCoordinator(round, n) }

// lvMsg prints a message as what it is in its round: the four rounds share
// one struct, and an acknowledgement carries nothing.
func lvMsg(r int, m LVMsg) string {
	switch r % 4 {
	case 0:
		return fmt.Sprintf("est(%d,ts=%d)", m.X, m.TS)
	case 1:
		return fmt.Sprintf("vote(%d)", m.X)
	case 2:
		return "ack"
	}
	return fmt.Sprintf("decide(%d)", m.X)
}

func lvState(s LVState) string {
	b := fmt.Sprintf("x=%d ts=%d", s.X, s.TS)
	if s.Commit {
		b += fmt.Sprintf(" vote=%d", s.Vote)
	}
	if s.Ready {
		b += " ready"
	}
	return b
}

// expectIfCoord is Round.Expect for a round in which every process sends
// to the coordinator only: the coordinator waits for need messages, the
// others hear nothing (0: the round ends as soon as it has sent).
func expectIfCoord(r rounds.View, coord core.NodeID, need int) int {
	if r.ID == coord {
		return need
	}
	return 0
}

// expectCoordOnly is Round.Expect for a round in which only the
// coordinator sends (to all, itself included), and only when sends holds
// at the coordinator: one message at most, from the coordinator. The
// coordinator knows whether it sends (0 if not); the others wait for it.
func expectCoordOnly(r rounds.View, coord core.NodeID, sends bool) int {
	if r.ID == coord && !sends {
		return 0
	}
	return 1
}
