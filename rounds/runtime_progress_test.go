package rounds

import (
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// countState counts what an event round heard.
type countState struct {
	Heard int
	Sum   Value
}

// firstTwo is an algorithm of one event round: it goes ahead as soon as
// two messages (its own included) are in, and decides their sum.
func firstTwo() *Algorithm[countState, minMsg] {
	return &Algorithm[countState, minMsg]{
		Name: "firsttwo",
		Init: func(_ core.NodeID, _ int, in Value) countState { return countState{Sum: in} },
		Rounds: []Round[countState, minMsg]{{
			Send: func(s countState, _ View, out *Outbox[minMsg]) { out.Broadcast(minMsg{X: s.Sum}) },
			Event: &EventRound[countState, minMsg]{
				Start: func(s *countState, _ *Ctx) Progress { s.Heard, s.Sum = 0, 0; return WaitMessage() },
				Receive: func(s *countState, _ core.NodeID, m minMsg, _ *Ctx) Progress {
					s.Heard++
					s.Sum += m.X
					if s.Heard == 2 {
						return GoAhead()
					}
					return Unchanged()
				},
				Finish: func(s *countState, timedOut bool, r *Ctx) {
					if !timedOut {
						r.Decide(s.Sum)
					}
				},
			},
		}},
		Spec: Spec[countState, minMsg]{Model: Benign},
	}
}

// An event round sees messages one at a time and ends when Receive says
// GoAhead; what comes after is not delivered.
func TestEventRoundsEndWhenReceiveGoesAhead(t *testing.T) {
	n0 := newNode(t, firstTwo(), 0, 3, testCfg)
	expect(t, "propose 5: its own message is the first", n0.propose(1, 5),
		"send n1 i1/r0 x=5",
		"send n2 i1/r0 x=5")
	expect(t, "no timeout: WaitMessage", n0.at(time.Second))
	expect(t, "the second message ends the round", n0.recv(2, Msg[minMsg]{Instance: 1, Body: minMsg{X: 4}}),
		"output Decision{i1=9 r0}")
}

// Sync(k) ends a round once k processes (this one included) are known to
// have reached it, whatever their messages say.
func TestSyncWaitsForKProcessesToReachTheRound(t *testing.T) {
	alg := minFlood()
	alg.Rounds[0].Progress = Sync(3)
	n0 := newNode(t, alg, 0, 4, testCfg)
	n0.propose(1, 5)
	expect(t, "n1 reached round 0", n0.recv(1, msg(1, 0, 1)))
	expect(t, "no timeout under Sync", n0.at(time.Second))
	expect(t, "n3 reached round 0: three processes", n0.recv(3, msg(1, 0, 2)),
		"send n1 i1/r1 x=1",
		"send n2 i1/r1 x=1",
		"send n3 i1/r1 x=1")
}

// Under a safety predicate (here: hear a majority), a round waits past its
// timeout until its HO set allows it to end, resending its message to the
// peers it has not heard from.
func TestARoundWaitsPastItsTimeoutForTheSafetyPredicate(t *testing.T) {
	alg := minFlood()
	alg.Spec.Safety = HOFilter{Name: "majority", Each: func(n, _ int, _ core.NodeID, ho Set) bool { return 2*ho.Len() > n }}
	n0 := newNode(t, alg, 0, 5, testCfg)
	n0.propose(1, 5)
	expect(t, "n1's message: 2 of 5", n0.recv(1, msg(1, 0, 3)))
	expect(t, "the timeout resends to the silent peers", n0.at(10*time.Millisecond),
		"send n2 i1/r0 x=5",
		"send n3 i1/r0 x=5",
		"send n4 i1/r0 x=5")
	expect(t, "n4's message makes a majority: the round ends", n0.recv(4, msg(1, 0, 4)),
		"send n1 i1/r1 x=3",
		"send n2 i1/r1 x=3",
		"send n3 i1/r1 x=3",
		"send n4 i1/r1 x=3")
	expect(t, "n2, still in round 0, gets this node's message again", n0.recv(2, msg(1, 0, 9)),
		"send n2 i1/r0 x=5")
}
