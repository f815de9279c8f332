package algos

import (
	"fmt"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// SLVState is a ShortLastVoting process's state.
type SLVState struct {
	X      rounds.Value
	TS     int32 // 1 + the phase in which X was adopted (0: never)
	Vote   rounds.Value
	Commit bool // coordinator: a vote was chosen in round 0
}

// SLVMsg carries an estimate with its timestamp, a vote, or an
// acknowledged value.
type SLVMsg struct {
	X  rounds.Value
	TS int32
}

// ShortLastVoting is LastVoting in three rounds per phase (PSync's
// ShortLastVoting example; Drăgoi, Henzinger, Zufferey, POPL 2016): the
// acknowledgements go to everybody, so the coordinator's fourth round is
// not needed.
//
//	round 0: everyone sends (x, ts) to the coordinator (φ mod n), which,
//	         hearing a majority, votes for the x with the largest ts;
//	round 1: the coordinator sends its vote; who hears it adopts it (ts := φ+1);
//	round 2: who adopted it in this phase sends it to all; a process that
//	         hears a majority of them decides.
//
// Safety holds under any HO sets; it decides in a phase whose coordinator
// hears a majority, is heard by all, and in which all then hear a majority
// (n > 2f).
func ShortLastVoting() *rounds.Algorithm[SLVState, SLVMsg] {
	majority := func(k, n int) bool { return 2*k > n }
	coord := func(round, n int) core.NodeID { return core.NodeID((round / 3) % n) }
	return &rounds.Algorithm[SLVState, SLVMsg]{
		Name:    "slv",
		Summary: "ShortLastVoting: Paxos in three Heard-Of rounds with a rotating coordinator",
		Paper:   "Drăgoi, Henzinger & Zufferey, PSync, POPL 2016 (ShortLastVoting)",
		Init:    func(_ core.NodeID, _ int, in rounds.Value) SLVState { return SLVState{X: in} },
		Rounds: []rounds.Round[SLVState, SLVMsg]{
			{
				Name: "collect",
				Send: func(s SLVState, r rounds.View, out *rounds.Outbox[SLVMsg]) {
					out.To(coord(r.Round, r.N), SLVMsg{X: s.X, TS: s.TS})
				},
				Expect: func(_ SLVState, r rounds.View) int {
					return expectIfCoord(r, coord(r.Round, r.N), r.N/2+1)
				},
				Update: func(s *SLVState, mb rounds.Mailbox[SLVMsg], r *rounds.Ctx) {
					if r.ID != coord(r.Round, r.N) || !majority(mb.Len(), r.N) {
						return
					}
					best := int32(-1)
					for _, m := range mb.All() {
						if m.TS > best {
							s.Vote, best = m.X, m.TS
						}
					}
					s.Commit = true
				},
			},
			{
				Name: "vote",
				Send: func(s SLVState, r rounds.View, out *rounds.Outbox[SLVMsg]) {
					if r.ID == coord(r.Round, r.N) && s.Commit {
						out.Broadcast(SLVMsg{X: s.Vote})
					}
				},
				Expect: func(s SLVState, r rounds.View) int {
					return expectCoordOnly(r, coord(r.Round, r.N), s.Commit)
				},
				Update: func(s *SLVState, mb rounds.Mailbox[SLVMsg], r *rounds.Ctx) {
					if m, ok := mb.Get(coord(r.Round, r.N)); ok {
						s.X, s.TS = m.X, int32(r.Phase(3)+1)
					}
					s.Vote, s.Commit = 0, false
				},
			},
			{
				Name: "ack",
				Send: func(s SLVState, r rounds.View, out *rounds.Outbox[SLVMsg]) {
					if s.TS == int32(r.Phase(3)+1) {
						out.Broadcast(SLVMsg{X: s.X})
					}
				},
				Update: func(s *SLVState, mb rounds.Mailbox[SLVMsg], r *rounds.Ctx) {
					for _, m := range mb.All() {
						if majority(mb.Count(func(o SLVMsg) bool { return o.X == m.X }), r.N) {
							r.Decide(m.X)
							return
						}
					}
				},
			},
		},
		Spec: rounds.Spec[SLVState, SLVMsg]{
			Model:      rounds.Benign,
			Threshold:  "safe under any HO sets; live when the coordinator and a majority communicate (n > 2f)",
			MaxFaults:  func(n int) int { return (n - 1) / 2 },
			Properties: rounds.Consensus[SLVState](),
			Liveness: rounds.Liveness[SLVState]{
				Name:  "a phase whose coordinator hears a majority, is heard by all, and then all hear a majority",
				Start: func(_, round int, _ rounds.Set) bool { return round%3 == 0 },
				Window: func(n, f int) []rounds.HOFilter {
					return []rounds.HOFilter{
						{Name: "coordinator hears a majority", Each: func(n, round int, p core.NodeID, ho rounds.Set) bool {
							return p != coord(round, n) || majority(ho.Len(), n)
						}},
						{Name: "all hear the coordinator", Each: func(n, round int, _ core.NodeID, ho rounds.Set) bool {
							return ho.Has(coord(round, n))
						}},
						{Name: "all hear a majority", Each: func(n, _ int, _ core.NodeID, ho rounds.Set) bool {
							return majority(ho.Len(), n)
						}},
					}
				},
			},
		},
		Format: rounds.Format[SLVState, SLVMsg]{Msg: func(r int, m SLVMsg) string {
			switch r % 3 {
			case 0:
				return fmt.Sprintf("est(%d,ts=%d)", m.X, m.TS)
			case 1:
				return fmt.Sprintf("vote(%d)", m.X)
			}
			return fmt.Sprintf("ack(%d)", m.X)
		}},
	}
}
