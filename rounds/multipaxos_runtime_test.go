package rounds_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
)

// mpNode is a Multi-Paxos runtime on string values, run by hand.
type mpNode struct {
	t   *testing.T
	rt  *rounds.RuntimeOf[string]
	rec *recorder
	cfg rounds.ConfigOf[string]
}

type mpMsg = rounds.Msg[algos.MPMsg[string]]

// noop is what a follower proposes when it must coordinate an instance it
// has no command for (Config.Input).
const noop = ""

func mpCluster(t *testing.T, n int, cfg rounds.ConfigOf[string]) []*mpNode {
	t.Helper()
	if cfg.Input == nil {
		cfg.Input = func(uint64) (string, bool) { return noop, true }
	}
	var nodes []*mpNode
	for i := range n {
		nd := &mpNode{t: t, rec: newRecorder(core.NodeID(i), n, &core.MemStorage{}), cfg: cfg}
		nd.start()
		nodes = append(nodes, nd)
	}
	return nodes
}

// start runs a fresh incarnation on the node's storage (a restart, after the
// first).
func (nd *mpNode) start() {
	nd.rt = rounds.NewRuntime(algos.MultiPaxos[string](), nd.cfg)
	nd.rt.Init(nd.rec)
}

func (nd *mpNode) handle(ev core.Event) ([]string, []sent) {
	nd.rt.Handle(nd.rec, ev)
	return nd.rec.take()
}

func (nd *mpNode) propose(inst uint64, v string) ([]string, []sent) {
	if err := nd.rt.Propose(nd.rec, inst, v); err != nil {
		nd.t.Fatalf("n%d: propose %d: %v", nd.rec.id, inst, err)
	}
	return nd.rec.take()
}

// deliver hands n the messages of out addressed to it, from node from.
func deliver(n *mpNode, from core.NodeID, out []sent) ([]string, []sent) {
	var log []string
	var next []sent
	for _, s := range out {
		if s.to != n.rec.id {
			continue
		}
		l, o := n.handle(core.Message{From: from, Body: s.msg})
		log, next = append(log, l...), append(next, o...)
	}
	return log, next
}

// leased makes node 0 the leader holding the lease of ballot 0: it
// solicits, and the others grant.
func leased(t *testing.T, nodes []*mpNode) {
	t.Helper()
	_, solicits := nodes[0].handle(core.Timer{Key: "first event"}) // the leader of ballot 0 solicits at once
	for _, nd := range nodes[1:] {
		_, grants := deliver(nd, 0, solicits)
		deliver(nodes[0], nd.rec.id, grants)
	}
	if st := nodes[0].rt.Lease(); !st.Held || st.Leader != 0 || st.Ballot != 0 {
		t.Fatalf("node 0 does not hold the lease: %+v", st)
	}
}

var big = strings.Repeat("b", 1<<20) // a batch of a megabyte

// The stable leader of a Multi-Paxos ballot runs a new instance as accept →
// ack → decide: its proposal leaves at once in the accept round (the
// prepare round is heard from the lease), each acceptor writes its vote
// before it acknowledges, and the decision carries no value: the megabyte
// crosses the network once per acceptor.
func TestAStableLeaderDecidesANewInstanceInOneRoundTrip(t *testing.T) {
	nodes := mpCluster(t, 3, rounds.ConfigOf[string]{})
	leased(t, nodes)
	l, n1, n2 := nodes[0], nodes[1], nodes[2]
	b := l.rt.Lease().Ballot
	log, accepts := l.propose(10, big)
	transcript(t, "the leader proposes", log,
		"put rounds/multipaxos/i/000000000000000a (1048581 bytes)",
		"send n1 i10/r"+strconv.Itoa(4*b+1)+" {ts=0 x=\"bbbbbbbbbbbbbbbb\"…(1048576 bytes)}",
		"send n2 i10/r"+strconv.Itoa(4*b+1)+" {ts=0 x=\"bbbbbbbbbbbbbbbb\"…(1048576 bytes)}")
	log, ack := deliver(n1, 0, accepts)
	transcript(t, "an acceptor gets the value", log,
		"put rounds/multipaxos/i/000000000000000a (1048581 bytes)",
		"send n0 i10/r"+strconv.Itoa(4*b+2)+" {ts=0}")
	log, decides := deliver(l, 1, ack)
	transcript(t, "the leader hears a majority", log,
		"send n1 i10/r"+strconv.Itoa(4*b+3)+" {ts=0}",
		"send n2 i10/r"+strconv.Itoa(4*b+3)+" {ts=0}",
		"output Decision{i10=\"bbbbbbbbbbbbbbbb\"…(1048576 bytes) r"+strconv.Itoa(4*b+3)+"}")
	for _, d := range decides {
		if size := encodedSize(t, d.msg); size > 32 {
			t.Fatalf("the decision is %d bytes on the wire; it should carry no value", size)
		}
	}
	log, _ = deliver(n1, 0, decides)
	transcript(t, "the acceptor decides from its vote", log,
		"output Decision{i10=\"bbbbbbbbbbbbbbbb\"…(1048576 bytes) r"+strconv.Itoa(4*b+3)+"}")

	// The other acceptor's copy of the value and its acknowledgement come
	// late: its acknowledgement is not answered with the value again.
	log, ack = deliver(n2, 0, accepts)
	if len(ack) != 1 {
		t.Fatalf("the late acceptor: %q", log)
	}
	log, _ = deliver(l, 2, ack)
	transcript(t, "a late acknowledgement", log)
	log, _ = deliver(n2, 0, decides)
	transcript(t, "the late acceptor decides", log,
		"output Decision{i10=\"bbbbbbbbbbbbbbbb\"…(1048576 bytes) r"+strconv.Itoa(4*b+3)+"}")
}

// An acceptor that missed the accept message, and so the value, hears the
// value-less decision: it asks the coordinator, which answers from its
// decision log with the value.
func TestAnAcceptorThatMissedTheValueAsksTheCoordinatorForIt(t *testing.T) {
	nodes := mpCluster(t, 3, rounds.ConfigOf[string]{})
	leased(t, nodes)
	l, n1, n2 := nodes[0], nodes[1], nodes[2]
	_, accepts := l.propose(1, big)
	_, ack := deliver(n1, 0, accepts)
	_, decides := deliver(l, 1, ack)
	log, asks := deliver(n2, 0, decides)
	transcript(t, "a decision without the value", log, "send n0 Ask{i1}")
	log, answer := deliver(l, 2, asks)
	if len(answer) != 1 || !strings.HasPrefix(log[0], "send n2 Decided{i1=") {
		t.Fatalf("the coordinator answered %q", log)
	}
	log, _ = deliver(n2, 0, answer)
	transcript(t, "the acceptor learns", log,
		"output Decision{i1=\"bbbbbbbbbbbbbbbb\"…(1048576 bytes) r3 learned}")
}

// If the answer to its Ask is lost, the acceptor goes on with the next
// ballot after a round timeout: asking holds the rounds, it does not stop
// them.
func TestAnUnansweredAskHoldsTheRoundsForOneTimeoutOnly(t *testing.T) {
	nodes := mpCluster(t, 3, rounds.ConfigOf[string]{})
	leased(t, nodes)
	l, n1, n2 := nodes[0], nodes[1], nodes[2]
	_, accepts := l.propose(1, big)
	_, ack := deliver(n1, 0, accepts)
	_, decides := deliver(l, 1, ack)
	deliver(n2, 0, decides) // asks; the answer is lost
	n2.rec.now = n2.rec.timer
	log, _ := n2.handle(core.Timer{Key: "rounds"})
	transcript(t, "the timeout", log, "send n1 i1/r4 {ts=0}")
}

// An acceptor that restarts rejoins an instance it voted in from its record,
// at the next ballot, where it reports its vote to the ballot's coordinator:
// the value a majority may have decided survives the crash.
func TestAnAcceptorRejoinsItsInstanceFromItsRecordAfterARestart(t *testing.T) {
	nodes := mpCluster(t, 3, rounds.ConfigOf[string]{})
	leased(t, nodes)
	l, n2 := nodes[0], nodes[2]
	_, accepts := l.propose(1, big)
	deliver(n2, 0, accepts) // n2 votes, and crashes before anything else
	n2.start()
	log, _ := n2.handle(core.Restart{Incarnation: 1})
	transcript(t, "the restarted acceptor", log,
		"send n1 i1/r4 {ts=1 x=\"bbbbbbbbbbbbbbbb\"…(1048576 bytes)}")
	if s := n2.rt.Stats(); s.Rejoined != 1 {
		t.Fatalf("stats after the restart: %+v", s)
	}
}

// A proposal whose value would not fit in a message is refused with an
// error that says so, and nothing is sent; one at the limit is carried by
// messages under core.MaxMessageSize.
func TestAProposalTooLargeForAMessageIsRefused(t *testing.T) {
	nodes := mpCluster(t, 3, rounds.ConfigOf[string]{})
	leased(t, nodes)
	l := nodes[0]
	err := l.rt.Propose(l.rec, 1, strings.Repeat("x", rounds.MaxValueSize))
	if !errors.Is(err, rounds.ErrValueTooLarge) || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("proposing more than a message holds: %v", err)
	}
	log, _ := l.handle(core.Request{Body: rounds.ProposeOf[string]{Instance: 2, Value: strings.Repeat("x", 5<<20)}})
	if len(log) != 1 || !strings.HasPrefix(log[0], "output Refused{i2: instance 2: rounds: value too large for a message: 5242884 bytes encoded, at most") {
		t.Fatalf("a request too large: %q", log)
	}
	limit := strings.Repeat("x", rounds.MaxValueSize-4) // 4 bytes of uvarint length
	_, accepts := l.propose(3, limit)
	for _, s := range accepts {
		if size := encodedSize(t, s.msg); size > core.MaxMessageSize {
			t.Fatalf("a message of %d bytes, above %d", size, core.MaxMessageSize)
		}
	}
}

// A leader deposed while it was cut off goes on starting instances at its
// old ballot; the first acceptor that has adopted the new ballot tells it,
// and it adopts the new ballot (granting its leader) instead of holding a
// lease nobody honours.
func TestADeposedLeaderLearnsTheNewBallotFromAnAcceptor(t *testing.T) {
	nodes := mpCluster(t, 3, rounds.ConfigOf[string]{})
	leased(t, nodes)
	old, n1, n2 := nodes[0], nodes[1], nodes[2]
	if err := n1.rt.Campaign(n1.rec); err != nil {
		t.Fatal(err)
	}
	_, solicits := n1.rec.take()
	_, grants := deliver(n2, 1, solicits) // the old leader is cut off
	deliver(n1, 2, grants)
	if st := n1.rt.Lease(); !st.Held || st.Ballot != 1 {
		t.Fatalf("the new leader: %+v", st)
	}
	_, accepts := old.propose(5, "stale")
	// The acceptor joins instance 5 at its own ballot, where the stale
	// accept is a message of a past round: it says where the instance is,
	// and which ballot it adopted.
	log, tell := deliver(n2, 0, accepts)
	transcript(t, "an acceptor of the new ballot", log,
		"send n1 i5/r4 {ts=0}", "send n0 Ahead{i5 r5}", "send n0 Grant{b1 above i5}")
	log, _ = deliver(old, 2, tell)
	transcript(t, "the old leader", log, "send n1 Grant{b1 above i5}")
	if st := old.rt.Lease(); st.Held || st.Ballot != 1 || st.Leader != 1 {
		t.Fatalf("the old leader still thinks it leads: %+v", st)
	}
}

func encodedSize(t *testing.T, msg any) int {
	t.Helper()
	var reg core.Registry
	rounds.RegisterRuntime(algos.MultiPaxos[string](), &reg)
	b, err := reg.Append(nil, msg)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// A follower with no input yet keeps the leader's accept, whatever the
// ballot, and acknowledges as soon as it gets its input. (Pending instances
// kept messages of rounds up to MaxAhead only, counted from round 0: from
// ballot 4 on, every accept that arrived before the input was dropped.)
func TestAFollowerKeepsTheLeadersAcceptUntilItsInputComes(t *testing.T) {
	nodes := mpCluster(t, 3, rounds.ConfigOf[string]{Input: func(uint64) (string, bool) { return "", false }})
	l, n1 := nodes[0], nodes[1]
	for range 2 { // ballots 3, then 6, both led by node 0
		if err := l.rt.Campaign(l.rec); err != nil {
			t.Fatal(err)
		}
		_, solicits := l.rec.take()
		for _, nd := range nodes[1:] {
			_, grants := deliver(nd, 0, solicits)
			deliver(l, nd.rec.id, grants)
		}
	}
	if st := l.rt.Lease(); !st.Held || st.Ballot != 6 {
		t.Fatalf("the leader: %+v", st)
	}
	_, accepts := l.propose(1, "v")
	log, _ := deliver(n1, 0, accepts)
	transcript(t, "the accept before the input", log)
	log, _ = n1.propose(1, "w")
	transcript(t, "the input", log,
		"put rounds/multipaxos/i/0000000000000001 (4 bytes)",
		"send n0 i1/r26 {ts=0}")
}
