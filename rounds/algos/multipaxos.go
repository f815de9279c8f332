package algos

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// MPState is a Multi-Paxos process's state in one instance.
//
// X and TS are the acceptor's durable state (MultiPaxos's Durable.Part):
// the value it accepted and 1 + the ballot it accepted it in. The runtime
// writes them to Storage before the process sends anything computed from
// them, so an acceptor's vote is on disk before its acknowledgement leaves,
// and a coordinator's choice before its accept message. Ready is the
// coordinator's bookkeeping within a ballot, cleared at its end: a restarted
// process rejoins at the next ballot and needs none of it.
type MPState[V comparable] struct {
	// X is the accepted value when TS > 0, this process's input otherwise.
	X V
	// TS is 1 + the ballot in which X was accepted (0: nothing accepted).
	// A coordinator accepts its own choice when it makes it.
	TS int32
	// Ready: a majority acknowledged this ballot's value (the coordinator,
	// between the ack and decide rounds).
	Ready bool
}

// MPMsg is a Multi-Paxos message. What it means depends on its round:
//
//	prepare: an acceptor's (TS, X), X only when TS > 0 (Has);
//	accept:  the coordinator's value X (Has);
//	ack:     nothing: "I accepted this ballot's value";
//	decide:  nothing: "this ballot's value is decided".
//
// A value travels only where it must: in accept (the one copy each acceptor
// needs) and, after a change of leader, in prepare (an acceptor's accepted
// value). Acknowledgements and decisions carry none; an acceptor that
// missed the value asks the coordinator for the decision instead
// (rounds.CtxOf.AskDecision), which answers with it from its decision log.
type MPMsg[V comparable] struct {
	TS  int32
	Has bool
	X   V
}

// MultiPaxos is Multi-Paxos in the Heard-Of model: LastVoting whose
// ballots are the phases of four rounds, written so that a stable leader
// runs only accept → ack → decide in every new instance, and so that a value
// of a megabyte crosses the network once per acceptor.
//
// Papers: Lamport, "The part-time parliament", ACM TOCS 16(2), 1998, and
// "Paxos made simple", 2001 (Paxos, and Multi-Paxos's single prepare for all
// instances under a stable leader); Charron-Bost and Schiper, "The Heard-Of
// model: computing in distributed systems with benign faults", Distributed
// Computing 22(1), 2009, Algorithm 3 (LastVoting: Paxos as HO rounds);
// Drăgoi, Henzinger, Zufferey, "PSync: a partially synchronous language for
// fault-tolerant distributed algorithms", POPL 2016 (LastVoting, and the
// replicated key-value store built on it with batches as values).
//
// Ballot b is rounds 4b..4b+3 of an instance, coordinated by b mod n:
//
//	prepare: every process sends the coordinator what it accepted (TS, X);
//	         the coordinator, hearing a majority, chooses the X of the largest
//	         TS among them and its own (any value is safe when all are
//	         fresh: it chooses its input), and accepts it (TS := b+1);
//	accept:  the coordinator sends its choice; who hears it accepts it;
//	ack:     who accepted in this ballot acknowledges to the coordinator;
//	decide:  the coordinator, with a majority of acknowledgements, tells
//	         everybody; who accepted this ballot's value decides it, who did
//	         not asks the coordinator for it.
//
// The stable leader. A prepare round in which every process heard is fresh
// (has accepted nothing) is the common case of every new instance, and its
// outcome is known in advance: the coordinator chooses its own input. On the
// runtime (rounds.Lease) the leader of the current ballot holds grants from
// a majority — each node's promise to start every new instance above its
// horizon at that ballot or later, hence fresh there — and starts every new
// instance above the horizons with the prepare round already heard: the
// round ends at once, and the leader's value leaves in the accept round.
// One round trip (accept, ack) and one write per acceptor decide it. When
// leadership changes, the next ballot's coordinator runs the full phase.
// The checker explores the prepare round like any other: the leased run is
// one of its executions.
//
// Fault model and threshold: benign faults (loss, crashes, restarts with
// the durable state, any HO sets); safe under any HO sets; n > 2f for
// liveness. Safety: agreement, validity, integrity (irrevocability).
// Communication predicate: a ballot whose coordinator hears a majority in
// its prepare and ack rounds and is heard by all in its accept and decide
// rounds; then every process decides by the end of the ballot.
func MultiPaxos[V comparable]() *rounds.AlgorithmOf[MPState[V], MPMsg[V], V] {
	majority := func(k, n int) bool { return 2*k > n }
	return &rounds.AlgorithmOf[MPState[V], MPMsg[V], V]{
		Name:    "multipaxos",
		Summary: "Multi-Paxos: LastVoting with ballots as phases, a stable leader skipping prepare, values only where needed",
		Paper:   "Lamport, The part-time parliament, TOCS 1998; Charron-Bost & Schiper, The Heard-Of model, DC 22(1), 2009 (LastVoting); Drăgoi et al., PSync, POPL 2016",
		Init: func(_ core.NodeID, _ int, in V) MPState[V] {
			return MPState[V]{X: in}
		},
		Rounds: []rounds.RoundOf[MPState[V], MPMsg[V], V]{
			{
				Name: "prepare",
				Send: func(s MPState[V], r rounds.ViewOf[V], out *rounds.Outbox[MPMsg[V]]) {
					out.To(MultiPaxosLeader(r.Phase(4), r.N), prepareMsg(s))
				},
				Expect: func(_ MPState[V], r rounds.ViewOf[V]) int {
					return mpExpectIfCoord(r, r.N/2+1)
				},
				Update: func(s *MPState[V], mb rounds.Mailbox[MPMsg[V]], r *rounds.CtxOf[V]) {
					b := r.Phase(4)
					if r.ID != MultiPaxosLeader(b, r.N) || !majority(mb.Len(), r.N) {
						return
					}
					// The value of the highest ballot among a majority and
					// this process itself; its own input if all are fresh.
					for _, m := range mb.All() {
						if m.TS > s.TS && m.Has {
							s.X, s.TS = m.X, m.TS
						}
					}
					s.TS = int32(b + 1)
				},
			},
			{
				Name: "accept",
				Send: func(s MPState[V], r rounds.ViewOf[V], out *rounds.Outbox[MPMsg[V]]) {
					if r.ID == MultiPaxosLeader(r.Phase(4), r.N) && s.TS == int32(r.Phase(4)+1) {
						out.Broadcast(MPMsg[V]{Has: true, X: s.X})
					}
				},
				Expect: func(s MPState[V], r rounds.ViewOf[V]) int {
					return mpExpectCoordOnly(r, s.TS == int32(r.Phase(4)+1))
				},
				Update: func(s *MPState[V], mb rounds.Mailbox[MPMsg[V]], r *rounds.CtxOf[V]) {
					if m, ok := mb.Get(MultiPaxosLeader(r.Phase(4), r.N)); ok && m.Has {
						s.X, s.TS = m.X, int32(r.Phase(4)+1)
					}
				},
			},
			{
				Name: "ack",
				Send: func(s MPState[V], r rounds.ViewOf[V], out *rounds.Outbox[MPMsg[V]]) {
					if s.TS == int32(r.Phase(4)+1) {
						out.To(MultiPaxosLeader(r.Phase(4), r.N), MPMsg[V]{})
					}
				},
				Expect: func(_ MPState[V], r rounds.ViewOf[V]) int {
					return mpExpectIfCoord(r, r.N/2+1)
				},
				Update: func(s *MPState[V], mb rounds.Mailbox[MPMsg[V]], r *rounds.CtxOf[V]) {
					if r.ID == MultiPaxosLeader(r.Phase(4), r.N) && majority(mb.Len(), r.N) {
						s.Ready = true
					}
				},
			},
			{
				Name: "decide",
				Send: func(s MPState[V], r rounds.ViewOf[V], out *rounds.Outbox[MPMsg[V]]) {
					if r.ID == MultiPaxosLeader(r.Phase(4), r.N) && s.Ready {
						out.Broadcast(MPMsg[V]{})
					}
				},
				Expect: func(s MPState[V], r rounds.ViewOf[V]) int {
					return mpExpectCoordOnly(r, s.Ready)
				},
				Update: func(s *MPState[V], mb rounds.Mailbox[MPMsg[V]], r *rounds.CtxOf[V]) {
					b := r.Phase(4)
					c := MultiPaxosLeader(b, r.N)
					if _, ok := mb.Get(c); ok {
						if s.TS == int32(b+1) {
							r.Decide(s.X)
						} else {
							r.AskDecision(c)
						}
					}
					s.Ready = false
				},
			},
		},
		Spec: rounds.SpecOf[MPState[V], MPMsg[V], V]{
			Model:      rounds.Benign,
			Threshold:  "safe under any HO sets; live when a ballot's coordinator and a majority communicate (n > 2f)",
			MaxFaults:  func(n int) int { return (n - 1) / 2 },
			Properties: rounds.ConsensusOf[MPState[V], V](),
			Liveness: rounds.LivenessOf[MPState[V], V]{
				Name:  "a ballot whose coordinator hears a majority in prepare and ack and is heard by all in accept and decide",
				Start: func(_, round int, _ rounds.Set) bool { return round%4 == 0 },
				Window: func(n, f int) []rounds.HOFilter {
					coordHearsMajority := rounds.HOFilter{Name: "coordinator hears a majority",
						Each: func(n, round int, p core.NodeID, ho rounds.Set) bool {
							return p != MultiPaxosLeader(round/4, n) || majority(ho.Len(), n)
						}}
					allHearCoord := rounds.HOFilter{Name: "all hear the coordinator",
						Each: func(n, round int, _ core.NodeID, ho rounds.Set) bool {
							return ho.Has(MultiPaxosLeader(round/4, n))
						}}
					return []rounds.HOFilter{coordHearsMajority, allHearCoord, coordHearsMajority, allHearCoord}
				},
			},
		},
		Format: rounds.FormatOf[MPState[V], MPMsg[V], V]{State: mpState[V], Msg: mpMsg[V]},
		Durable: &rounds.Durable[MPState[V]]{
			Part:   mpPart[V],
			Append: mpAppendPart[V],
			Load:   mpLoadPart[V],
		},
		Lease: &rounds.Lease[MPMsg[V]]{
			Leader: func(b, n int) core.NodeID { return MultiPaxosLeader(b, n) },
			Fresh:  func(int) MPMsg[V] { return MPMsg[V]{} },
		},
	}
}

// MultiPaxosLeader is the coordinator of ballot b among n processes.
func MultiPaxosLeader(b, n int) core.NodeID { return core.NodeID(b % n) }

// prepareMsg is what a process reports in the prepare round: its accepted
// value and ballot, or, fresh, nothing at all (Lease.Fresh: the same
// whatever its input, which is what lets a leader know it in advance).
func prepareMsg[V comparable](s MPState[V]) MPMsg[V] {
	if s.TS == 0 {
		return MPMsg[V]{}
	}
	return MPMsg[V]{TS: s.TS, Has: true, X: s.X}
}

// mpPart is the durable part of a state: what was accepted, or nothing.
func mpPart[V comparable](s MPState[V]) MPState[V] {
	if s.TS == 0 {
		return MPState[V]{}
	}
	return MPState[V]{X: s.X, TS: s.TS}
}

// mpAppendPart encodes a durable part as uvarint TS ‖ X (AppendValue, only
// when TS > 0).
func mpAppendPart[V comparable](b []byte, p MPState[V]) ([]byte, error) {
	b = binary.AppendUvarint(b, uint64(p.TS))
	if p.TS == 0 {
		return b, nil
	}
	return rounds.AppendValue(b, p.X)
}

var errMPRecord = errors.New("multipaxos: corrupt acceptor record")

func mpLoadPart[V comparable](b []byte) (MPState[V], error) {
	var p MPState[V]
	ts, k := binary.Uvarint(b)
	if k <= 0 || ts > math.MaxInt32 {
		return p, fmt.Errorf("%w: bad ballot", errMPRecord)
	}
	p.TS = int32(ts)
	if ts == 0 {
		if k != len(b) {
			return p, fmt.Errorf("%w: %d trailing bytes", errMPRecord, len(b)-k)
		}
		return p, nil
	}
	x, k2, err := rounds.DecodeValue[V](b[k:])
	if err != nil {
		return p, fmt.Errorf("%w: %w", errMPRecord, err)
	}
	if k+k2 != len(b) {
		return p, fmt.Errorf("%w: %d trailing bytes", errMPRecord, len(b)-k-k2)
	}
	p.X = x
	return p, nil
}

// AppendBinary encodes m as a flags byte (1: a value follows) ‖ uvarint
// TS ‖ the value (rounds.AppendValue), so a message is its value and a few
// bytes.
func (m MPMsg[V]) AppendBinary(b []byte) ([]byte, error) {
	var flags byte
	if m.Has {
		flags = 1
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(m.TS))
	if !m.Has {
		return b, nil
	}
	return rounds.AppendValue(b, m.X)
}

// UnmarshalBinary decodes what AppendBinary wrote, refusing unknown flags,
// ballots beyond int32 and trailing bytes.
func (m *MPMsg[V]) UnmarshalBinary(b []byte) error {
	if len(b) == 0 || b[0] > 1 {
		return errors.New("multipaxos: bad message flags")
	}
	ts, k := binary.Uvarint(b[1:])
	if k <= 0 || ts > math.MaxInt32 {
		return errors.New("multipaxos: bad ballot")
	}
	out := MPMsg[V]{TS: int32(ts), Has: b[0] == 1}
	rest := b[1+k:]
	if out.Has {
		x, k2, err := rounds.DecodeValue[V](rest)
		if err != nil {
			return fmt.Errorf("multipaxos: %w", err)
		}
		out.X, rest = x, rest[k2:]
	}
	if len(rest) != 0 {
		return fmt.Errorf("multipaxos: %d trailing bytes", len(rest))
	}
	*m = out
	return nil
}

// String prints a message without its value's bytes (ShowValue).
func (m MPMsg[V]) String() string {
	if !m.Has {
		return fmt.Sprintf("{ts=%d}", m.TS)
	}
	return fmt.Sprintf("{ts=%d x=%s}", m.TS, rounds.ShowValue(m.X))
}

// mpMsg prints a message as what it is in its round.
func mpMsg[V comparable](r int, m MPMsg[V]) string {
	switch r % 4 {
	case 0:
		if !m.Has {
			return "fresh"
		}
		return fmt.Sprintf("accepted(%s,ts=%d)", rounds.ShowValue(m.X), m.TS)
	case 1:
		return fmt.Sprintf("accept(%s)", rounds.ShowValue(m.X))
	case 2:
		return "ack"
	}
	return "decide"
}

func mpState[V comparable](s MPState[V]) string {
	b := fmt.Sprintf("x=%s ts=%d", rounds.ShowValue(s.X), s.TS)
	if s.Ready {
		b += " ready"
	}
	return b
}

// mpExpectIfCoord: every process sends the coordinator of the round's
// ballot, which waits for need messages; the others hear nothing.
func mpExpectIfCoord[V comparable](r rounds.ViewOf[V], need int) int {
	if r.ID == MultiPaxosLeader(r.Phase(4), r.N) {
		return need
	}
	return 0
}

// mpExpectCoordOnly: only the coordinator sends, when sends holds there;
// the others wait for its one message.
func mpExpectCoordOnly[V comparable](r rounds.ViewOf[V], sends bool) int {
	if r.ID == MultiPaxosLeader(r.Phase(4), r.N) && !sends {
		return 0
	}
	return 1
}
