package rounds

import (
	"slices"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// phase is where an instance is in its life.
type phase uint8

const (
	// phasePending: messages arrived, but not this node's input.
	phasePending phase = iota
	// phaseActive: running rounds.
	phaseActive
	// phasePassive: this node may have taken part before a crash and lost
	// the state, so it only asks peers for the decision.
	phasePassive
	// phaseDone: ended; the slot is no longer in the runtime's map.
	phaseDone
)

// slot is the algorithm-independent part of an instance: its id, phase,
// deadline, what it saw of its peers' rounds, and the decisions peers
// reported. The typed part (state, mailbox, buffered messages) is m.
type slot[V comparable] struct {
	inst     uint64
	phase    phase
	created  time.Duration
	gen      uint64 // deadline generation: bumping it cancels the deadline
	deadline time.Duration
	armedGen uint64 // == gen while the deadline is armed
	m        machine[V]
	// highest[p] is the highest round p was seen in (-1: none); it drives
	// catch-up and Sync.
	highest []int
	maxSeen int
	votes   []vote[V] // Decided reports from peers
	asks    int
	askedAt time.Duration // when this node last asked (learn)
}

type vote[V comparable] struct {
	value V
	from  Set
}

// engine is the type-erased algorithm: the runtime keeps one per process and
// reaches the typed code only through it and machine.
type engine[V comparable] interface {
	name() string
	maxFaults(n int) int
	// phaseLen is len(Rounds): the rounds of a ballot (Lease).
	phaseLen() int
	// durable: the algorithm has a Durable part. leased: a Lease.
	durable() bool
	leased() bool
	// leader is Lease.Leader.
	leader(ballot int) core.NodeID
	// header extracts instance and round from a message of the algorithm.
	header(body any) (inst uint64, round int, ok bool)
	newMachine(rt *RuntimeOf[V], s *slot[V]) machine[V]
}

// machine is one instance's typed round machinery.
type machine[V comparable] interface {
	// start runs the instance from input, beginning at round at (0, or a
	// lease algorithm's ballot); the processes in fresh are heard in that
	// round with Lease.Fresh, without waiting (the leader's lease).
	start(input V, at int, fresh Set)
	// rejoin runs the instance from a durable record (Durable.Load),
	// beginning at round at.
	rejoin(part []byte, at int) error
	// step advances rounds as far as the messages at hand allow.
	step()
	// message handles a round message of an active instance.
	message(from core.NodeID, round int, body any)
	// buffer keeps a message of a pending instance.
	buffer(from core.NodeID, round int, body any)
	// timeout ends the current round on its deadline.
	timeout()
	round() int
	decided() bool
	decision() (V, bool)
	// learn records a decision learned from peers, the instance going on.
	learn(v V)
}

func (s *slot[V]) message(rt *RuntimeOf[V], from core.NodeID, round int, body any) {
	if from != rt.id && round > s.highest[from] {
		s.highest[from] = round
		s.maxSeen = max(s.maxSeen, round)
	}
	switch s.phase {
	case phasePending:
		if round <= rt.firstRound()+rt.cfg.MaxAhead {
			s.m.buffer(from, round, body)
		} else {
			rt.stats.Refused++
		}
	case phaseActive:
		s.m.message(from, round, body)
	}
}

// ahead records that peer from is in round r, and catches up if allowed.
func (s *slot[V]) ahead(rt *RuntimeOf[V], from core.NodeID, r int) {
	if !s.note(rt, from, r) {
		return
	}
	if s.phase == phaseActive {
		s.m.step()
	}
}

// note records that peer from is in round r, reporting whether that is news.
func (s *slot[V]) note(rt *RuntimeOf[V], from core.NodeID, r int) bool {
	if from == rt.id || r <= s.highest[from] || r > MaxWireRound {
		return false
	}
	s.highest[from] = r
	s.maxSeen = max(s.maxSeen, r)
	return true
}

// expire handles s's deadline.
func (s *slot[V]) expire(rt *RuntimeOf[V]) {
	switch s.phase {
	case phasePending:
		// The input never came. Forget the messages but not the id: a late
		// Propose may still start it.
		s.phase = phaseDone
		delete(rt.insts, s.inst)
		rt.stats.GaveUp++
		rt.idle()
	case phasePassive:
		if s.asks >= 20 {
			s.phase = phaseDone
			delete(rt.insts, s.inst)
			rt.stats.GaveUp++
			rt.idle()
			return
		}
		s.ask(rt)
	case phaseActive:
		s.m.timeout()
	}
}

// ask requests the decision from every peer and waits a few timeouts.
func (s *slot[V]) ask(rt *RuntimeOf[V]) {
	s.asks++
	for _, p := range rt.ctx.Nodes() {
		if p != rt.id {
			rt.ctx.Send(p, Ask{Instance: s.inst})
		}
	}
	rt.arm(s, rt.ctx.Now()+4*rt.to.Cur)
}

// learn records a peer's report of the decision. One report suffices in the
// benign and crash models; the Byzantine model needs f+1 matching ones, so
// that at least one comes from an honest process.
//
// A decided instance of a Byzantine algorithm counts the reports too: it
// keeps taking part until 2f+1 processes (itself included) reported its
// decision, so that at least f+1 correct ones can answer a late peer.
func (s *slot[V]) learn(rt *RuntimeOf[V], from core.NodeID, v V) {
	i := slices.IndexFunc(s.votes, func(x vote[V]) bool { return x.value == v })
	if i < 0 {
		s.votes = append(s.votes, vote[V]{value: v})
		i = len(s.votes) - 1
	}
	s.votes[i].from = s.votes[i].from.Add(from)
	if s.phase == phaseActive && s.m.decided() {
		if d, _ := s.m.decision(); rt.model == Byzantine && d == v && s.votes[i].from.Len()+1 >= 2*rt.f+1 {
			rt.end(s, logEntry[V]{value: v, decided: true, round: -1})
		}
		return
	}
	need := 1
	if rt.model == Byzantine {
		need = rt.f + 1
	}
	if s.votes[i].from.Len() < need {
		if now := rt.ctx.Now(); s.phase != phasePassive && (s.asks < rt.n || now-s.askedAt >= 4*rt.to.Cur) {
			// A peer says the instance is over; ask those that did not
			// say so, since only f+1 matching answers count and peers
			// answer only what they are sent. Each report asks again
			// (answers may be lost), n times at once, then at most once
			// every 4 timeouts: a peer that decided after it was asked
			// answers only when asked again, and with one correct
			// decider gone (ended on 2f+1 reports), a Byzantine one and
			// the other correct decider lingering, asking is the only
			// way left to decide.
			s.asks++
			s.askedAt = now
			for _, p := range rt.ctx.Nodes() {
				if p != rt.id && !s.votes[i].from.Has(p) {
					rt.ctx.Send(p, Ask{Instance: s.inst})
				}
			}
		}
		return
	}
	round := -1
	if s.phase == phaseActive {
		round = s.m.round()
	}
	rt.stats.Learned++
	rt.output(DecisionOf[V]{Instance: s.inst, Value: v, Round: round, Learned: true})
	if rt.model == Byzantine && s.phase == phaseActive && s.votes[i].from.Len()+1 < 2*rt.f+1 {
		// Keep taking part, as a process that decided does, until 2f+1
		// reported the decision. A learner that left at once could leave
		// fewer than 2f+1 correct processes running the rounds while fewer
		// than f+1 correct ones decided: the rest could then neither decide
		// in the rounds nor learn (PBFT n=7, f=2: two correct deciders, one
		// of which only learned and left, and three correct processes stuck
		// for the rest of the run). So it also tells everyone, as a decider.
		s.m.learn(v)
		for _, p := range rt.ctx.Nodes() {
			if p != rt.id {
				rt.ctx.Send(p, DecidedOf[V]{Instance: s.inst, Value: v})
			}
		}
		return
	}
	rt.end(s, logEntry[V]{value: v, decided: true, round: -1})
}

// remind asks the peers that have not reported decision v for theirs. A
// decided instance of a Byzantine algorithm lingers until 2f+1 processes
// reported its decision (see learn), and the Decided reports are sent once:
// when one is lost, and the peer that sent it has ended its instance, the
// instance would linger, running empty rounds, until MaxRounds (PBFT with
// 20% loss: one run in six still busy after 60 s of virtual time, every
// decision long made). A peer answers an Ask from its decision log, or from
// its own lingering instance. At most once every 4 timeouts.
func (s *slot[V]) remind(rt *RuntimeOf[V], v V) {
	now := rt.ctx.Now()
	if s.askedAt != 0 && now-s.askedAt < 4*rt.to.Cur {
		return
	}
	s.askedAt = now
	var reported Set
	if i := slices.IndexFunc(s.votes, func(x vote[V]) bool { return x.value == v }); i >= 0 {
		reported = s.votes[i].from
	}
	for _, p := range rt.ctx.Nodes() {
		if p != rt.id && !reported.Has(p) {
			rt.ctx.Send(p, Ask{Instance: s.inst})
		}
	}
}

// reports counts the peers that reported decision v.
func (s *slot[V]) reports(v V) int {
	for _, x := range s.votes {
		if x.value == v {
			return x.from.Len()
		}
	}
	return 0
}

// catchUpTarget is the round to jump to: the highest round any peer was
// seen in, or in the Byzantine model the (f+1)-th highest, which at least
// one honest process reached.
func (s *slot[V]) catchUpTarget(rt *RuntimeOf[V]) int {
	if rt.model != Byzantine || rt.f == 0 {
		return s.maxSeen
	}
	var buf [MaxN]int
	hs := append(buf[:0], s.highest...)
	hs = slices.DeleteFunc(hs, func(r int) bool { return r < 0 })
	if len(hs) <= rt.f {
		return -1
	}
	slices.Sort(hs)
	return hs[len(hs)-1-rt.f]
}

// reached counts the processes known to have reached round r, this one
// included (Sync).
func (s *slot[V]) reached(rt *RuntimeOf[V], r int) int {
	c := 1
	for p, h := range s.highest {
		if core.NodeID(p) != rt.id && h >= r {
			c++
		}
	}
	return c
}
