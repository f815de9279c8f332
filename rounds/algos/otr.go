package algos

import (
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// OTRState is a OneThirdRule process's state: its current estimate.
type OTRState struct {
	X rounds.Value
}

// OTRMsg carries an estimate.
type OTRMsg struct {
	X rounds.Value
}

// OTR is the OneThirdRule algorithm (Charron-Bost and Schiper, "The Heard-Of
// model: computing in distributed systems with benign faults", Distributed
// Computing 22(1), 2009, Algorithm 1). Every round each process broadcasts
// its estimate; hearing more than 2n/3 processes, it adopts the smallest most
// frequent value heard, and decides v when more than 2n/3 sent v.
//
// Safety holds under any HO sets (benign faults, no threshold); it decides
// when the communication predicate holds: a round in which every process
// hears the same set of more than 2n/3 processes, followed by a round in
// which every process hears more than 2n/3 (so n > 3f for f silent
// processes).
func OTR() *rounds.Algorithm[OTRState, OTRMsg] {
	return &rounds.Algorithm[OTRState, OTRMsg]{
		Name:    "otr",
		Summary: "OneThirdRule consensus: adopt the most frequent value, decide on more than 2n/3",
		Paper:   "Charron-Bost & Schiper, The Heard-Of model, Distributed Computing 22(1), 2009",
		Init: func(_ core.NodeID, _ int, in rounds.Value) OTRState {
			return OTRState{X: in}
		},
		Rounds: []rounds.Round[OTRState, OTRMsg]{{
			Name: "otr",
			Send: func(s OTRState, _ rounds.View, out *rounds.Outbox[OTRMsg]) {
				out.Broadcast(OTRMsg(s))
			},
			Update: func(s *OTRState, mb rounds.Mailbox[OTRMsg], r *rounds.Ctx) {
				if !twoThirds(mb.Len(), r.N) {
					return
				}
				v, count := mostFrequent(mb)
				s.X = v
				if twoThirds(count, r.N) {
					r.Decide(v)
				}
			},
		}},
		Spec: rounds.Spec[OTRState, OTRMsg]{
			Model:      rounds.Benign,
			Threshold:  "safe under any HO sets; live when more than 2n/3 are heard (n > 3f)",
			MaxFaults:  func(n int) int { return (n - 1) / 3 },
			Symmetric:  true,
			Properties: rounds.Consensus[OTRState](),
			Liveness: rounds.Liveness[OTRState]{
				Name: "a round where all hear the same set of more than 2n/3, then a round where all hear more than 2n/3",
				Window: func(n, f int) []rounds.HOFilter {
					big := func(n, _ int, _ core.NodeID, ho rounds.Set) bool { return twoThirds(ho.Len(), n) }
					return []rounds.HOFilter{
						{Name: "uniform > 2n/3", Uniform: true, Each: big},
						{Name: "> 2n/3", Each: big},
					}
				},
			},
		},
	}
}

// twoThirds reports whether k is more than two thirds of n.
func twoThirds(k, n int) bool { return 3*k > 2*n }

// mostFrequent returns the smallest of the most frequent values in mb and
// how often it occurs.
func mostFrequent(mb rounds.Mailbox[OTRMsg]) (rounds.Value, int) {
	var best rounds.Value
	bestCount := 0
	for _, m := range mb.All() {
		c := mb.Count(func(o OTRMsg) bool { return o.X == m.X })
		if c > bestCount || (c == bestCount && m.X < best) {
			best, bestCount = m.X, c
		}
	}
	return best, bestCount
}
