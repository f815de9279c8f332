package rounds

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// Runtime is the runtime of an algorithm over int64 values.
type Runtime = RuntimeOf[Value]

// RuntimeOf is the core.Process that runs a round-based algorithm on a real
// or simulated network, for many instances at once.
//
// Each instance (a 64-bit id, never reused) is a separate run of the
// algorithm. It starts when a Propose request gives this node its input,
// or lazily when the first round message naming it arrives (the messages
// wait, bounded, for the input; Config.Input can supply one at once). A round
// sends, then collects messages until its progress condition holds (the
// expected count arrived, GoAhead, Sync(k)) or its timeout expires, then
// updates. Messages of past rounds are dropped, those of future rounds
// buffered; a message from a later round makes the instance catch up (see
// docs/rounds-runtime.md) unless the round is strict. A decided instance ends
// and its decision goes to a log that answers late peers.
//
// Nothing here owns a goroutine: every instance advances inside Handle, and
// all instances share one core timer (a heap of deadlines).
//
// An algorithm with a Durable part rejoins its instances after a restart
// (runtime_durable.go); one with a Lease runs as Multi-Paxos, a stable
// leader skipping the first round of new instances (runtime_lease.go).
// What a replicated log drives it with — Propose, ProposeNext, Next,
// Truncate, Lease — is in runtime_api.go.
type RuntimeOf[V comparable] struct {
	cfg ConfigOf[V]
	eng engine[V]

	ctx   core.Context // valid during Init/Handle only
	id    core.NodeID
	n     int
	f     int
	model Model

	insts map[uint64]*slot[V]
	dl    deadlines
	log   decisionLog[V]
	to    Timeouts

	// Crash recovery: instance ids up to reserved were possibly started by
	// this node; after a restart those below amnesiaBelow are joined
	// passively (asking for the decision), never by sending round messages
	// from a state that was lost.
	reserved     uint64
	amnesic      bool
	amnesiaBelow uint64

	// failed is why this node stopped (core.Context.Fail): a storage write
	// failed or what it persisted does not decode. The world delivers no
	// more events after Fail; failed keeps the runtime inert anyway.
	failed error

	rec   records[V] // durable algorithms: the acceptor records
	lease leaseState // lease algorithms: the ballot adopted, the grants
	// touched is the highest instance started here with an input (or
	// rejoined from a record): what a grant's horizon covers. highest is
	// the highest instance id seen at all (ProposeNext picks the next).
	touched, highest uint64
	// floor: instances at or below it were truncated (Truncate) and are
	// never run again, here or in the decision log.
	floor uint64
	ord   ordered[V] // Config.Ordered: decisions held for Next

	stats Stats
}

// Config configures the runtime of an algorithm over int64 values.
type Config = ConfigOf[Value]

// ConfigOf tunes a Runtime. The zero value is usable: every field has a
// default.
type ConfigOf[V comparable] struct {
	// Timeout is the initial round timeout (default 10ms); it adapts within
	// [MinTimeout, MaxTimeout] (defaults 1ms and 500ms).
	Timeout, MinTimeout, MaxTimeout time.Duration
	// MaxAhead is how many rounds ahead of the current one messages are
	// buffered (default 16); later ones are dropped, though they still
	// count for catch-up.
	MaxAhead int
	// MaxInstances bounds the instances alive at once (default 65536);
	// messages naming a new instance beyond it are dropped.
	MaxInstances int
	// LogSize is how many recent decisions are kept to answer late peers
	// (default 16384).
	LogSize int
	// Linger is how many rounds a decided instance keeps taking part before
	// it ends (default 0: end at once; late peers learn the decision from
	// the log). Byzantine algorithms ignore it: a decided process announces
	// its decision and takes part until 2f+1 processes announced the same,
	// since a late peer needs f+1 matching answers.
	Linger int
	// MaxRounds ends an instance that has not decided after this many rounds
	// (default 100000).
	MaxRounds int
	// PendingTTL drops the buffered messages of an instance whose input
	// never came (default 5s).
	PendingTTL time.Duration
	// Reserve is how many instance ids are reserved in Storage at a time
	// (default 256): after a crash, instances up to the reservation are
	// joined passively.
	Reserve uint64
	// Input, if set, gives the input of an instance this node has no
	// Propose for, so that the first message naming it starts it at once.
	// (A replicated log's follower gives a no-op: it accepts what its
	// leader sends, and proposes the no-op only if it must coordinate.)
	Input func(instance uint64) (V, bool)
	// TimerKey is the core timer this runtime uses (default "rounds").
	TimerKey string
	// LogBytes bounds the encoded size of the values the decision log
	// keeps (default 64 MiB): with values of a megabyte, LogSize entries
	// would not fit in memory. The oldest entries go first.
	LogBytes int
	// Ordered keeps decisions for Next, which hands them out in instance
	// order, instead of outputting them (core.Context.Output): what a
	// replicated log embedding the runtime wants. See runtime_api.go.
	Ordered bool
	// First is the first instance Next hands out (default 1).
	First uint64
	// Window bounds, with Ordered, how far ProposeNext may run ahead of the
	// last instance Next handed out (default 0: no bound).
	Window uint64
	// SuspectAfter is how long a lease algorithm's node must not have heard
	// from the leader before a node that decided an instance as the
	// coordinator of a later ballot takes over the lease (default: 8 round
	// timeouts, at least 20ms). See Lease.
	SuspectAfter time.Duration
}

func (c ConfigOf[V]) withDefaults() ConfigOf[V] {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defi := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Timeout, 10*time.Millisecond)
	def(&c.MinTimeout, time.Millisecond)
	def(&c.MaxTimeout, 500*time.Millisecond)
	def(&c.PendingTTL, 5*time.Second)
	defi(&c.MaxAhead, 16)
	defi(&c.MaxInstances, 1<<16)
	defi(&c.LogSize, 1<<14)
	defi(&c.MaxRounds, 100000)
	defi(&c.LogBytes, 64<<20)
	if c.First == 0 {
		c.First = 1
	}
	if c.Reserve == 0 {
		c.Reserve = 256
	}
	if c.TimerKey == "" {
		c.TimerKey = "rounds"
	}
	return c
}

// LeaseMinTimeout is the default MinTimeout of a lease algorithm's
// runtime. Its rounds wait on the leader's queue as much as on the network:
// with hundreds of instances in flight, the leader's acknowledgements and
// decisions come milliseconds after the round trip the adaptive timeout
// measures when the pipeline is short, and a round that ends early sends
// its instance to the next ballot, whose coordinator runs the full phase.
// On loopback TLS with 256 instances in flight, a 1ms floor let the
// timeout shrink to it and the instances spill into later ballots (8,000
// instances/s, 5,000 timeouts in 500 instances); with 20ms, none did
// (30,000/s).
const LeaseMinTimeout = 20 * time.Millisecond

// Stats counts what a runtime did, for benchmarks and metrics.
type Stats struct {
	Started   int // instances started with an input
	Decided   int // instances decided by the algorithm
	Learned   int // instances whose decision came from peers
	GaveUp    int // instances ended undecided (MaxRounds, Exit, lost input)
	Rounds    int // rounds ended
	Timeouts  int // rounds ended by their timeout
	CatchUps  int // jumps to a later round
	Skipped   int // rounds skipped by catch-up
	Buffered  int // messages kept for a later round
	Past      int // messages dropped for a past round
	Refused   int // messages dropped: too far ahead, too many instances, forgotten instance
	Answered  int // Decided replies sent from the log
	Live      int // instances alive now
	TimeoutNs int64
	Persisted int // durable records written (Durable)
	Rejoined  int // instances rejoined from a record after a restart
	Leased    int // instances started with their first round skipped (Lease)
	Refusals  int // proposals refused (a value too large, …)
}

// NewRuntime returns a runtime for alg. It panics on a malformed algorithm
// (Validate), a programming error found at start-up.
func NewRuntime[S, M, V comparable](alg *AlgorithmOf[S, M, V], cfg ConfigOf[V]) *RuntimeOf[V] {
	if err := alg.Validate(); err != nil {
		panic(err)
	}
	if alg.Lease != nil && cfg.MinTimeout <= 0 {
		cfg.MinTimeout = LeaseMinTimeout
	}
	cfg = cfg.withDefaults()
	rt := &RuntimeOf[V]{cfg: cfg, model: alg.Spec.Model}
	rt.eng = &typed[S, M, V]{alg: alg, rt: rt}
	return rt
}

// Stats returns the runtime's counters.
func (rt *RuntimeOf[V]) Stats() Stats {
	s := rt.stats
	s.Live = len(rt.insts)
	s.TimeoutNs = int64(rt.to.Cur)
	return s
}

// Timeout is the current adaptive round timeout.
func (rt *RuntimeOf[V]) Timeout() time.Duration { return rt.to.Cur }

// Init starts an incarnation. A reservation left in Storage by an earlier
// incarnation means this node restarted: instances up to it are joined
// passively, unless the algorithm is Durable: then the instances with a
// record rejoin from it (at the Restart event) and the others as fresh
// processes.
func (rt *RuntimeOf[V]) Init(ctx core.Context) {
	rt.ctx = ctx
	rt.id = ctx.ID()
	rt.n = len(ctx.Nodes())
	rt.f = rt.eng.maxFaults(rt.n)
	rt.insts = make(map[uint64]*slot[V])
	rt.dl.armed = -1
	rt.log = newDecisionLog[V](rt.cfg.LogSize, rt.cfg.LogBytes)
	rt.to = NewTimeouts(rt.cfg.Timeout, rt.cfg.MinTimeout, rt.cfg.MaxTimeout)
	rt.ord = ordered[V]{next: rt.cfg.First}
	if err := CheckSize(rt.n); err != nil {
		rt.fail(err)
		return
	}
	if !rt.loadFloor() || !rt.loadRecords() || !rt.loadLease() {
		return
	}
	rt.rec.due = rt.eng.durable() || rt.eng.leased()
	if b, ok := ctx.Storage().Get(rt.reserveKey()); ok {
		if len(b) != 8 {
			// Reading it as "no reservation" would let this node take
			// part afresh in instances it may have voted in before.
			rt.fail(fmt.Errorf("rounds: the stored instance reservation %q is corrupt: %d bytes, want 8", rt.reserveKey(), len(b)))
			return
		}
		rt.reserved = binary.BigEndian.Uint64(b)
		rt.amnesic, rt.amnesiaBelow = !rt.eng.durable(), rt.reserved
	}
}

// fail stops this node for good (fail-stop, see core.Context.Fail).
func (rt *RuntimeOf[V]) fail(err error) {
	if rt.failed == nil {
		rt.failed = err
	}
	rt.ctx.Fail(err)
}

func (rt *RuntimeOf[V]) reserveKey() string { return "rounds/" + rt.eng.name() + "/reserved" }

// Handle reacts to a Propose request, a round message, a Decided or Ask from
// a peer, a lease's Grant or Solicit, the Restart of this node, or the
// runtime's timer.
func (rt *RuntimeOf[V]) Handle(ctx core.Context, ev core.Event) {
	rt.ctx = ctx
	if _, restart := ev.(core.Restart); !restart && rt.wake() != nil {
		return
	}
	if rt.failed != nil {
		return
	}
	switch ev := ev.(type) {
	case core.Request:
		if p, ok := ev.Body.(ProposeOf[V]); ok {
			if err := rt.Propose(ctx, p.Instance, p.Value); errors.Is(err, ErrValueTooLarge) {
				ctx.Logger().Warn("rounds: proposal refused", "instance", p.Instance, "err", err)
				ctx.Output(Refused{Instance: p.Instance, Reason: err.Error()})
			}
		}
	case core.Restart:
		rt.restart()
	case core.Message:
		if int(ev.From) >= rt.n {
			return
		}
		rt.heard(ev.From)
		switch b := ev.Body.(type) {
		case DecidedOf[V]:
			if s := rt.insts[b.Instance]; s != nil {
				s.learn(rt, ev.From, b.Value)
			}
		case Ahead:
			if s := rt.insts[b.Instance]; s != nil {
				s.ahead(rt, ev.From, b.Round)
			} else if rt.eng.leased() && b.Round <= MaxWireRound {
				// A proposer of an instance this node has not seen, in a
				// round that sends it nothing (the prepare of a ballot
				// without a lease): join, so that its message goes out.
				rt.message(ev.From, b.Instance, b.Round, nil)
			}
		case Grant:
			rt.granted(ev.From, b)
		case Solicit:
			rt.solicited(ev.From, b)
		case Ask:
			if e, ok := rt.log.get(b.Instance); ok && e.decided {
				rt.stats.Answered++
				ctx.Send(ev.From, DecidedOf[V]{Instance: b.Instance, Value: e.value})
			} else if s := rt.insts[b.Instance]; s != nil && s.phase == phaseActive {
				// Decided but still taking part (Byzantine model).
				if v, ok := s.m.decision(); ok {
					rt.stats.Answered++
					ctx.Send(ev.From, DecidedOf[V]{Instance: b.Instance, Value: v})
				}
			}
		default:
			inst, round, ok := rt.eng.header(ev.Body)
			if !ok {
				ctx.Logger().Debug("rounds: unknown message", "type", fmt.Sprintf("%T", ev.Body))
				return
			}
			rt.message(ev.From, inst, round, ev.Body)
		}
	case core.Timer:
		if ev.Key == rt.cfg.TimerKey {
			rt.fire()
		}
	}
}

// message files a round message under its instance, creating the instance
// (pending its input) if it is new. A nil body is a proposer's Ahead for an
// instance not yet here (lease algorithms): it creates the instance and
// records the round, and is not a message of the round.
func (rt *RuntimeOf[V]) message(from core.NodeID, inst uint64, round int, body any) {
	s := rt.insts[inst]
	if s == nil {
		if e, ok := rt.log.get(inst); ok {
			if e.decided && from != rt.id && rt.answers(e, round) {
				rt.stats.Answered++
				rt.ctx.Send(from, DecidedOf[V]{Instance: inst, Value: e.value})
			}
			return
		}
		if rt.forgotten(inst) {
			rt.stats.Refused++
			return
		}
		if s = rt.newSlot(inst); s == nil {
			rt.stats.Refused++
			return
		}
		if rt.eng.leased() {
			// Join where the peers are: the instance starts at the
			// round of this message (see startAt).
			s.note(rt, from, round)
		}
		if s.phase == phasePending && rt.cfg.Input != nil {
			if v, ok := rt.cfg.Input(inst); ok {
				rt.activate(s, v, false)
			}
		}
	}
	if body == nil {
		s.ahead(rt, from, round)
		return
	}
	s.message(rt, from, round, body)
}

// answers reports whether a round message of round r, for an instance
// decided as e, deserves the decision in reply. It does, except for a lease
// algorithm when r is not after the round of the decision: that is a late
// message of the instance's own rounds (an acknowledgement that arrived
// after the majority), whose sender holds the value and hears the decision
// from the coordinator; answering it would send a megabyte value again with
// every instance.
func (rt *RuntimeOf[V]) answers(e logEntry[V], r int) bool {
	return !rt.eng.leased() || e.round < 0 || r > e.round
}

// forgotten reports whether inst was truncated or evicted from the decision
// log long ago: it is never run again.
func (rt *RuntimeOf[V]) forgotten(inst uint64) bool {
	return inst <= rt.floor && rt.floor > 0 || rt.log.forgotten(inst)
}

// newSlot creates instance inst: passive if this node may have taken part in
// it before a crash, pending its input otherwise.
func (rt *RuntimeOf[V]) newSlot(inst uint64) *slot[V] {
	if len(rt.insts) >= rt.cfg.MaxInstances {
		return nil
	}
	rt.highest = max(rt.highest, inst)
	s := &slot[V]{inst: inst, phase: phasePending, created: rt.ctx.Now()}
	s.m = rt.eng.newMachine(rt, s)
	s.highest = make([]int, rt.n)
	for i := range s.highest {
		s.highest[i] = -1
	}
	rt.insts[inst] = s
	if rt.amnesic && inst <= rt.amnesiaBelow {
		s.phase = phasePassive
		s.ask(rt)
		return s
	}
	rt.arm(s, rt.ctx.Now()+rt.cfg.PendingTTL)
	return s
}

// activate gives a pending instance its input and runs it, once the
// instance is covered by the reservation in Storage: a node that could not
// make it durable stops there (the world's Storage has called Fail), since
// after a crash it would not know it took part, and could vote twice.
// proposed: the input came from this node's proposal, not a peer's message.
func (rt *RuntimeOf[V]) activate(s *slot[V], v V, proposed bool) {
	if s.inst >= rt.reserved || rt.reserved == 0 {
		reserved := s.inst + rt.cfg.Reserve
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], reserved)
		if err := rt.ctx.Storage().Put(rt.reserveKey(), b[:]); err != nil {
			// The world's Storage called Fail already (core.FailStop).
			rt.failed = fmt.Errorf("rounds: cannot persist the instance reservation: %w", err)
			return
		}
		rt.reserved = reserved
	}
	rt.stats.Started++
	rt.touched = max(rt.touched, s.inst)
	s.phase = phaseActive
	at, fresh := rt.startAt(s)
	s.m.start(v, at, fresh)
	if proposed && fresh == 0 {
		rt.announce(s, at)
	}
	s.m.step()
}

// end removes an instance and logs its outcome.
func (rt *RuntimeOf[V]) end(s *slot[V], e logEntry[V]) {
	s.phase = phaseDone
	s.gen++
	delete(rt.insts, s.inst)
	rt.log.add(s.inst, e)
	rt.idle()
}

// decided reports instance inst's decision to the environment: as an output,
// or, Ordered, to Next.
func (rt *RuntimeOf[V]) decided(d DecisionOf[V]) {
	if rt.cfg.Ordered {
		rt.ord.add(d)
		return
	}
	rt.ctx.Output(d)
}

// idle disarms the core timer when no instance is left to wake up for, so
// that a finished node is quiescent.
func (rt *RuntimeOf[V]) idle() {
	if len(rt.insts) == 0 && rt.dl.armed >= 0 {
		rt.ctx.CancelTimer(rt.cfg.TimerKey)
		rt.dl.armed = -1
		rt.dl.h = rt.dl.h[:0]
	}
}

// output reports a decision to the environment.
func (rt *RuntimeOf[V]) output(d DecisionOf[V]) { rt.decided(d) }

// arm sets s's deadline, replacing any earlier one.
func (rt *RuntimeOf[V]) arm(s *slot[V], at time.Duration) {
	s.gen++
	s.armedGen = s.gen
	s.deadline = at
	rt.dl.push(at, s.inst, s.gen)
	if rt.dl.armed < 0 || at < rt.dl.armed {
		rt.dl.armed = at
		rt.ctx.SetTimer(rt.cfg.TimerKey, max(at-rt.ctx.Now(), 0))
	}
}

// disarm forgets s's deadline.
func (rt *RuntimeOf[V]) disarm(s *slot[V]) { s.gen++ }

// fire runs every deadline that is due, then re-arms the core timer for the
// next one.
func (rt *RuntimeOf[V]) fire() {
	now := rt.ctx.Now()
	rt.dl.armed = -1
	for {
		d, ok := rt.dl.next()
		if !ok || d.at > now {
			break
		}
		rt.dl.pop()
		s := rt.insts[d.inst]
		if s == nil || s.gen != d.gen {
			continue
		}
		s.expire(rt)
	}
	for {
		d, ok := rt.dl.next()
		if !ok {
			return
		}
		if s := rt.insts[d.inst]; s == nil || s.gen != d.gen {
			rt.dl.pop() // stale: drop it rather than wake up for nothing
			continue
		}
		if rt.dl.armed < 0 || d.at < rt.dl.armed {
			rt.dl.armed = d.at
			rt.ctx.SetTimer(rt.cfg.TimerKey, max(d.at-now, 0))
		}
		return
	}
}

func (rt *RuntimeOf[V]) coin() bool { return rt.ctx.Rand().IntN(2) == 1 }
