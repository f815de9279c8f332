package rounds

import (
	"time"

	"github.com/rondo-dev/rondo/core"
)

// typed is the engine of one Algorithm[S, M].
type typed[S, M, V comparable] struct {
	alg *AlgorithmOf[S, M, V]
	rt  *RuntimeOf[V]
	out *Outbox[M] // shared: instances run one at a time
}

func (e *typed[S, M, V]) name() string { return e.alg.Name }

func (e *typed[S, M, V]) maxFaults(n int) int {
	if e.alg.Spec.MaxFaults == nil {
		return 0
	}
	return e.alg.Spec.MaxFaults(n)
}

func (e *typed[S, M, V]) phaseLen() int { return len(e.alg.Rounds) }
func (e *typed[S, M, V]) durable() bool { return e.alg.Durable != nil }
func (e *typed[S, M, V]) leased() bool  { return e.alg.Lease != nil }

func (e *typed[S, M, V]) leader(b int) core.NodeID {
	return e.alg.Lease.Leader(b, e.rt.n)
}

func (e *typed[S, M, V]) header(body any) (uint64, int, bool) {
	m, ok := body.(Msg[M])
	return m.Instance, m.Round, ok
}

func (e *typed[S, M, V]) newMachine(rt *RuntimeOf[V], s *slot[V]) machine[V] {
	s.maxSeen = -1
	in := &instance[S, M, V]{e: e, s: s, rt: rt}
	for i := range in.timedOut {
		in.timedOut[i].round = -1
	}
	return in
}

// instance is one run of the algorithm at this node.
type instance[S, M, V comparable] struct {
	e  *typed[S, M, V]
	s  *slot[V]
	rt *RuntimeOf[V]

	state S
	ctx   CtxOf[V]
	mb    Mailbox[M]

	r          int
	first      int // the round the instance started in here (MaxRounds counts from it)
	rd         *RoundOf[S, M, V]
	prog       Progress
	expect     int
	roundStart time.Duration
	future     []future[M]

	announced, revokeAnnounced bool
	decidedRound               int
	// learned: the decision was learned from f+1 peers (Byzantine model)
	// and the instance goes on taking part (see slot.learn).
	learned      bool
	learnedValue V

	// The last rounds that ended on their timeout: a message of one of
	// them arriving later shows the timeout was too short.
	timedOut [keepRounds]timedOutRound
	// expired: the round's timeout passed, but its mailbox does not yet
	// satisfy the algorithm's safety predicate (Spec.Safety), so it waits on.
	expired bool
	heard   Set // senders heard in an event round
	// lateSeen: a late message was counted during this round already.
	lateSeen bool
	// Byzantine model only: lagAt is when a message of an earlier round
	// last arrived during this round from a peer not seen in this round
	// (lagged: one did), and extendTo the deadline this round was
	// extended to, once, to wait for such peers (see waitForLaggards).
	lagged   bool
	lagAt    time.Duration
	extendTo time.Duration
	// patience counts the times this round's timeout was extended because
	// the peers it waits on were heard from meanwhile (lease algorithms;
	// see patient).
	patience int
	// asking: the round that just ended asked a peer for the decision
	// (AskDecision); held: the instance waits for the answer, at most a
	// round timeout, before it starts its next round, whose messages would
	// only draw the value again from another peer.
	asking, held bool
	// soonAt: a correct peer is one round ahead; the round ends by then
	// (Byzantine model; see step).
	soonAt time.Duration
	// announce: the next round tells the peers it sends nothing to that
	// it started (Byzantine model, after a timeout; see startRound).
	announce bool
	// moved: a round of this instance ran here before the current one
	// (the instance did not start in it).
	moved bool
	// saved is the durable part last persisted (Durable), at first the
	// initial state's: a round whose state's part differs persists it
	// before it sends.
	saved S
	// sent keeps the messages of the last rounds, for algorithms with a
	// safety predicate only: such a round may wait beyond its timeout for
	// enough messages, so lost ones are resent, and a peer still in one of
	// these rounds is answered with this node's message of it.
	sent [keepRounds]sentRound[M]
}

// keepRounds is how many past rounds' messages are kept for resending.
const keepRounds = 4

type timedOutRound struct {
	round int // -1: none, or already counted
	start time.Duration
	// early: the round did not time out but ended with the messages it
	// expected (Round.Expect); a message of it arriving later is no
	// evidence that the timeout is too short.
	early bool
}

type sentRound[M any] struct {
	round int
	to    Set
	msgs  []M
}

// future is a buffered message for a later round.
type future[M any] struct {
	from  core.NodeID
	round int
	body  M
}

func (in *instance[S, M, V]) round() int    { return in.r }
func (in *instance[S, M, V]) decided() bool { return in.announced }
func (in *instance[S, M, V]) decision() (V, bool) {
	if in.learned && !in.ctx.Status.Decided {
		return in.learnedValue, true
	}
	return in.ctx.Status.Decision, in.ctx.Status.Decided
}

// learn records a decision learned from peers (Byzantine model) while the
// instance keeps taking part: it is announced, and a later decision of the
// algorithm itself is not output again.
func (in *instance[S, M, V]) learn(v V) {
	in.announced, in.decidedRound = true, in.r
	in.learned, in.learnedValue = true, v
}

func (in *instance[S, M, V]) start(input V, at int, fresh Set) {
	rt := in.rt
	in.ctx = CtxOf[V]{ID: rt.id, N: rt.n, Flip: rt.coin}
	in.state = in.e.alg.Init(rt.id, rt.n, input)
	if d := in.e.alg.Durable; d != nil {
		in.saved = d.Part(in.state)
	}
	in.begin(at)
	if fresh != 0 {
		// The lease: these processes' first-round messages are known,
		// since they promised to start this instance no earlier than
		// this ballot, where they have accepted nothing.
		m := in.e.alg.Lease.Fresh(at / len(in.e.alg.Rounds))
		for p := range fresh.IDs() {
			in.accept(p, m)
		}
		rt.stats.Leased++
	}
}

// rejoin runs the instance from a durable record, at round at (the first
// round of the phase after the one it was persisted in, or later).
func (in *instance[S, M, V]) rejoin(part []byte, at int) error {
	rt := in.rt
	d := in.e.alg.Durable
	st, err := d.Load(part)
	if err != nil {
		return err
	}
	in.ctx = CtxOf[V]{ID: rt.id, N: rt.n, Flip: rt.coin}
	in.state = st
	in.saved = d.Part(st)
	in.begin(at)
	return nil
}

// begin starts the instance's rounds at round at, as a process that heard
// nothing in the rounds before it.
func (in *instance[S, M, V]) begin(at int) {
	rt := in.rt
	in.mb = NewMailbox[M](rt.n)
	if in.e.out == nil {
		in.e.out = NewOutbox[M](rt.n)
	}
	in.first = at
	in.startRound(at)
}

// persist writes the durable part of the state before round r sends, if it
// changed since it was last written. It reports false when the write failed
// (the node has stopped).
func (in *instance[S, M, V]) persist(r int) bool {
	d := in.e.alg.Durable
	if d == nil {
		return true
	}
	p := d.Part(in.state)
	if p == in.saved {
		return true
	}
	rt := in.rt
	if err := rt.persist(in.s.inst, r, func(b []byte) ([]byte, error) { return d.Append(b, p) }); err != nil {
		rt.failed = err
		return false
	}
	in.saved = p
	return true
}

func (in *instance[S, M, V]) buffer(from core.NodeID, round int, body any) {
	m := body.(Msg[M])
	in.keep(from, round, m.Body)
}

// keep buffers a message for a later round, one per sender and round.
func (in *instance[S, M, V]) keep(from core.NodeID, round int, body M) {
	for i := range in.future {
		if f := &in.future[i]; f.from == from && f.round == round {
			f.body = body
			return
		}
	}
	in.rt.stats.Buffered++
	in.future = append(in.future, future[M]{from: from, round: round, body: body})
}

func (in *instance[S, M, V]) message(from core.NodeID, round int, body any) {
	rt := in.rt
	m := body.(Msg[M])
	switch {
	case round < in.r:
		rt.stats.Past++
		if from != rt.id && in.s.highest[from] < in.r {
			in.lagged, in.lagAt = true, rt.ctx.Now()
		}
		in.late(round)
		in.resend(round, from)
		if from != rt.id && in.e.alg.Spec.Safety.Any() {
			rt.ctx.Send(from, Ahead{Instance: in.s.inst, Round: in.r})
		}
		if from != rt.id && in.e.alg.Lease != nil {
			rt.stale(from, round/len(in.e.alg.Rounds))
		}
		return
	case round > in.r:
		if round-in.r > rt.cfg.MaxAhead {
			rt.stats.Refused++
		} else {
			in.keep(from, round, m.Body)
		}
	default:
		in.accept(from, m.Body)
	}
	in.step()
}

// late records a message of past round r: evidence, at most once per
// round, that the timeout is too short. Only a message of the round just
// before that timed out measures the network (the delay since that round
// started); an older one comes from a peer that drifted behind, which
// longer rounds also cure, one step at a time.
func (in *instance[S, M, V]) late(r int) {
	if in.lateSeen {
		return
	}
	if t := &in.timedOut[r%keepRounds]; t.round == r && t.early {
		return // a round that did not wait for this message
	}
	in.lateSeen = true
	elapsed := time.Duration(0)
	if t := &in.timedOut[r%keepRounds]; t.round == r {
		if r == in.r-1 {
			elapsed = in.rt.ctx.Now() - t.start
		}
		t.round = -1 // it was late, not lost
	}
	in.rt.to.Late(elapsed, in.rt.ctx.Now())
}

// startRound sends round r's messages and takes in those already here.
func (in *instance[S, M, V]) startRound(r int) {
	rt := in.rt
	in.r = r
	in.ctx.Round = r
	in.rd = in.e.alg.Phase(r)
	in.roundStart = rt.ctx.Now()
	in.mb.Reset()
	in.expired, in.heard, in.lateSeen, in.patience = false, 0, false, 0
	in.lagged, in.lagAt, in.extendTo, in.soonAt = false, 0, 0, 0
	if !in.persist(r) {
		return
	}

	out := in.e.out
	out.Reset(rt.n)
	in.rd.Send(in.state, in.ctx.View(), out)
	self, toSelf := out.Get(rt.id)
	for p, m := range out.All() {
		if p != rt.id {
			rt.ctx.Send(p, Msg[M]{Instance: in.s.inst, Round: r, Body: m})
		}
	}
	if in.moved && in.e.alg.Lease != nil && r%len(in.e.alg.Rounds) == 0 && rt.eng.leader(r/len(in.e.alg.Rounds)) == rt.id {
		// A lease algorithm's instance reached, by a timeout or by
		// catch-up, the first round of a ballot this node coordinates:
		// a prepare round, where the peers send to it and it sends them
		// nothing. Peers whose own rounds lag (each times out on its
		// own clock, and a round waits longer while the coordinator it
		// waits on is heard from) would otherwise never learn that the
		// ballot began: they reach it one at a time, each after the
		// others left it, and no ballot gathers a majority. Found with
		// five replicas under 20% loss: instances undecided for seconds
		// while every node stepped through ballots alone. The Ahead
		// makes them join now (a new instance is announced by
		// RuntimeOf.announce instead).
		for _, p := range rt.ctx.Nodes() {
			if p != rt.id && !out.Receivers().Has(p) {
				rt.ctx.Send(p, Ahead{Instance: in.s.inst, Round: r})
			}
		}
	}
	in.moved = true
	if in.announce {
		// Byzantine model, after a round that timed out: tell the peers
		// this round sends nothing to which round this is. Catch-up there
		// needs f+1 peers seen ahead, and in rounds where processes send
		// to one coordinator only (PBFT's view change), nothing else
		// shows it; the others would drift apart for good.
		in.announce = false
		for _, p := range rt.ctx.Nodes() {
			if p != rt.id && !out.Receivers().Has(p) {
				rt.ctx.Send(p, Ahead{Instance: in.s.inst, Round: r})
			}
		}
	}
	if !in.e.alg.Spec.Safety.Any() {
		k := &in.sent[r%keepRounds]
		k.round, k.to = r, out.Receivers()
		if k.msgs == nil {
			k.msgs = make([]M, rt.n)
		}
		for p, m := range out.All() {
			k.msgs[p] = m
		}
	}

	in.expect = rt.n
	if ev := in.rd.Event; ev != nil {
		in.prog = Timeout(0)
		if ev.Start != nil {
			in.prog = ev.Start(&in.state, &in.ctx)
		}
	} else {
		in.prog = in.rd.Progress
		if in.rd.Expect != nil {
			in.expect = in.rd.Expect(in.state, in.ctx.View())
		}
	}
	// A process hears itself at once: the message never leaves the node.
	if toSelf {
		in.accept(rt.id, self)
	}
	kept := in.future[:0]
	for _, f := range in.future {
		switch {
		case f.round == r:
			in.accept(f.from, f.body)
		case f.round > r:
			kept = append(kept, f)
		}
	}
	clear(in.future[len(kept):])
	in.future = kept
}

// accept takes in one message of the current round.
func (in *instance[S, M, V]) accept(from core.NodeID, m M) {
	ev := in.rd.Event
	if ev == nil {
		in.mb.Put(from, m)
		return
	}
	if in.prog.Kind() == ProgressGoAhead {
		return // the round is over; Finish comes next
	}
	in.heard = in.heard.Add(from)
	if p := ev.Receive(&in.state, from, m, &in.ctx); p.Kind() != ProgressUnchanged {
		in.prog = p
	}
}

// over reports whether the current round may end now, without a timeout.
func (in *instance[S, M, V]) over() bool {
	switch in.prog.Kind() {
	case ProgressGoAhead:
		return true
	case ProgressSync:
		return in.s.reached(in.rt, in.r) >= in.prog.K()
	case ProgressTimeout, ProgressWait:
		if in.expired && in.safe() {
			return true
		}
		return in.rd.Event == nil && in.mb.Len() >= in.expect
	}
	return false
}

// resend sends p this node's message of round r again, if it is kept.
func (in *instance[S, M, V]) resend(r int, p core.NodeID) {
	k := &in.sent[r%keepRounds]
	if k.msgs == nil || k.round != r || !k.to.Has(p) || p == in.rt.id {
		return
	}
	in.rt.ctx.Send(p, Msg[M]{Instance: in.s.inst, Round: r, Body: k.msgs[p]})
}

// heardFrom is the current round's HO set so far.
func (in *instance[S, M, V]) heardFrom() Set {
	if in.rd.Event != nil {
		return in.heard
	}
	return in.mb.Senders()
}

// safe reports whether the round may end with the messages heard so far
// under the algorithm's safety predicate (Spec.Safety). Each is checked on
// this process's HO set. Pair (e.g. "no split rounds") cannot be checked
// locally; the runtime assumes, as for every predicate in rounds/algos, that
// HO sets of more than n/2 satisfy it, and waits for a majority.
func (in *instance[S, M, V]) safe() bool {
	f := &in.e.alg.Spec.Safety
	if f.Any() {
		return true
	}
	ho := in.heardFrom()
	if !f.Allows(in.rt.n, in.r, in.rt.id, ho) {
		return false
	}
	return f.Pair == nil && !f.Uniform || 2*ho.Len() > in.rt.n
}

// step advances rounds as far as the messages at hand allow: catch-up
// first, then early ends, and finally arms the round's timeout.
func (in *instance[S, M, V]) step() {
	rt := in.rt
	for in.s.phase == phaseActive && rt.failed == nil && !in.held {
		if in.s.maxSeen > in.r && !in.prog.IsStrict() && in.e.alg.Spec.Safety.Any() {
			if t := in.s.catchUpTarget(rt); t > in.r+1 || t == in.r+1 && rt.model != Byzantine {
				in.catchUp(t)
				continue
			} else if t == in.r+1 && in.soonAt == 0 {
				// Byzantine model, a correct peer one round ahead: this
				// round's own messages may just have been overtaken by the
				// next round's. End it soon, not at once.
				in.soonAt = rt.ctx.Now() + rt.to.Cur/4
			}
		}
		if !in.over() {
			in.armTimeout()
			return
		}
		if in.patience > 0 {
			// The round outlived its timeout while its peers were busy:
			// what it took measures the pipeline, so the timeout grows
			// to it.
			rt.to.Waited(rt.ctx.Now() - in.roundStart)
		} else if in.prog.Kind() != ProgressGoAhead && in.prog.Kind() != ProgressSync &&
			!in.expired && !in.mb.Senders().Remove(rt.id).Empty() {
			// The round waited for peers and got what it expected before
			// its timeout: evidence that the timeout has room to spare.
			rt.to.Early(rt.ctx.Now() - in.roundStart)
		}
		if in.prog.Kind() != ProgressGoAhead && in.prog.Kind() != ProgressSync && !in.expired && in.expect < rt.n {
			in.timedOut[in.r%keepRounds] = timedOutRound{round: in.r, early: true}
		}
		if in.finish(false) && !in.hold() {
			in.startRound(in.r + 1)
		}
	}
}

// hold makes the instance wait for the answer to the Ask the round just
// ended with, for a round timeout at most (timeout resumes it).
func (in *instance[S, M, V]) hold() bool {
	if !in.asking {
		return false
	}
	in.asking, in.held = false, true
	in.rt.arm(in.s, in.rt.ctx.Now()+in.rt.to.Cur)
	return true
}

func (in *instance[S, M, V]) armTimeout() {
	rt := in.rt
	if in.prog.Kind() != ProgressTimeout {
		rt.disarm(in.s)
		return
	}
	if in.expired {
		return // waiting past the timeout; timeout() re-armed the deadline
	}
	d := in.prog.TimeoutAfter()
	if d <= 0 {
		d = rt.to.Cur
	}
	at := max(in.roundStart+d, in.extendTo)
	if in.soonAt != 0 && in.extendTo == 0 {
		at = min(at, in.soonAt)
	}
	if at != in.s.deadline || !in.armed() {
		rt.arm(in.s, at)
	}
}

// armed is true when the slot's deadline was not disarmed since it was set.
func (in *instance[S, M, V]) armed() bool { return in.s.armedGen == in.s.gen }

func (in *instance[S, M, V]) timeout() {
	rt := in.rt
	if in.held {
		// No answer: go on with the rounds.
		in.held = false
		in.startRound(in.r + 1)
		in.step()
		return
	}
	if in.patient() {
		in.patience++
		rt.arm(in.s, rt.ctx.Now()+rt.to.Cur)
		return
	}
	if !in.safe() {
		// Wait on, and resend to the peers not heard from: their copy or
		// their reply may have been lost.
		in.expired = true
		for p := range (All(rt.n) &^ in.heardFrom()).Remove(rt.id).IDs() {
			in.resend(in.r, p)
		}
		rt.arm(in.s, rt.ctx.Now()+rt.to.Cur)
		return
	}
	if in.waitForLaggards() {
		return
	}
	in.rt.stats.Timeouts++
	if v, ok := in.decision(); ok && in.announced && rt.model == Byzantine {
		in.s.remind(rt, v) // lingering: ask for the reports still missing
	}
	in.timedOut[in.r%keepRounds] = timedOutRound{round: in.r, start: in.roundStart}
	in.announce = rt.model == Byzantine && rt.f > 0
	if in.finish(true) && !in.hold() {
		in.startRound(in.r + 1)
		in.step()
	}
}

// maxPatience bounds how many times a round's timeout is extended.
const maxPatience = 4

// patient reports whether a lease algorithm's round that timed out should
// wait one more timeout: the peers it waits on — the ballot's coordinator,
// or, at the coordinator, any peer — were heard from since it started, so
// they are alive and the wait is a queue, not a loss. A leader with
// hundreds of instances in flight has their acknowledgements queued behind
// each other's values, and a round that ends on such a wait sends its
// instance to the next ballot, where another coordinator runs the full
// phase for it (and, on loopback TLS with 64 KiB values, 1,660 timeouts in
// 1,000 instances kept the cluster at a third of its speed). A lost
// message still ends the round, after at most maxPatience more timeouts.
func (in *instance[S, M, V]) patient() bool {
	rt := in.rt
	if in.e.alg.Lease == nil || in.patience >= maxPatience {
		return false
	}
	c := rt.eng.leader(in.r / len(in.e.alg.Rounds))
	if c != rt.id {
		return rt.lease.lastHeard[c] > in.roundStart
	}
	for p, t := range rt.lease.lastHeard {
		if core.NodeID(p) != rt.id && t > in.roundStart {
			return true
		}
	}
	return false
}

// waitForLaggards extends a round that timed out, once, when peers are
// known to be a round behind and too few processes are known to have
// reached it for a quorum (n−f, this one included). Byzantine model only.
//
// There, catch-up needs f+1 peers ahead, so a correct process that got a
// round ahead of the others is never joined by them: it hears their
// messages only after it left their round (they arrive as past messages)
// while they hear its own early, and as every node's rounds last the same
// timeout, the offset stays for good and no quorum ever forms at the one
// ahead (PBFT with a crashed node and 10% loss: a node one round ahead of
// the other two correct ones for the remaining 50 s of the run). A message
// of the previous round arriving at time t shows its sender started that
// round about t minus a delay ago, hence will send its message of this
// round about one timeout after t: the round waits until t + 5/4 timeout,
// so the two are in the same round again (offset below one round). A peer
// k rounds behind gains one round on every such extended round, until it
// is one behind. A round waits at most once, so a Byzantine peer sending
// stale messages can only make rounds up to about twice as long, never
// block them.
func (in *instance[S, M, V]) waitForLaggards() bool {
	rt := in.rt
	if rt.model != Byzantine || rt.f == 0 || !in.lagged || in.extendTo != 0 ||
		in.s.reached(rt, in.r) >= rt.n-rt.f {
		return false
	}
	at := in.lagAt + rt.to.Cur + rt.to.Cur/4
	in.extendTo = at
	if at <= rt.ctx.Now() {
		return false
	}
	rt.arm(in.s, at)
	return true
}

// catchUp ends the current round with what it heard, runs the rounds up to
// t as rounds in which nothing was heard, and starts round t.
func (in *instance[S, M, V]) catchUp(t int) {
	rt := in.rt
	rt.stats.CatchUps++
	if !in.finish(true) {
		return
	}
	in.asking = false // peers are ahead: the rounds go on, the Ask was sent
	for r := in.r + 1; r < t; r++ {
		rt.stats.Skipped++
		in.r, in.ctx.Round = r, r
		in.rd = in.e.alg.Phase(r)
		in.mb.Reset()
		if ev := in.rd.Event; ev != nil && ev.Start != nil {
			ev.Start(&in.state, &in.ctx)
		}
		if !in.finish(true) {
			return
		}
	}
	in.startRound(t)
}

// finish ends the current round: Update (or Finish), then decisions and
// exits. It reports whether the instance goes on.
func (in *instance[S, M, V]) finish(timedOut bool) bool {
	rt := in.rt
	rt.stats.Rounds++
	if in.ctx.Status.Exited {
		// An exited process takes part no more; its rounds are empty.
	} else if ev := in.rd.Event; ev != nil {
		ev.Finish(&in.state, timedOut, &in.ctx)
	} else {
		in.rd.Update(&in.state, in.mb, &in.ctx)
	}
	st := in.ctx.Status
	if ask := in.ctx.ask; ask != 0 {
		in.ctx.ask = 0
		if !st.Decided && !in.announced {
			for p := range ask.Remove(rt.id).IDs() {
				rt.ctx.Send(p, Ask{Instance: in.s.inst})
				in.asking = true
			}
		}
	}
	if st.Decided && !in.announced {
		in.announced, in.decidedRound = true, in.r
		rt.stats.Decided++
		rt.output(DecisionOf[V]{Instance: in.s.inst, Value: st.Decision, Round: in.r, state: in.state})
		if in.e.alg.Lease != nil {
			rt.coordinated(in.r / len(in.e.alg.Rounds))
		}
		if rt.model == Byzantine {
			// Tell everyone: a decided process lingers until 2f+1
			// reported the same decision (see slot.learn).
			for _, p := range rt.ctx.Nodes() {
				if p != rt.id {
					rt.ctx.Send(p, DecidedOf[V]{Instance: in.s.inst, Value: st.Decision})
				}
			}
			if 2*rt.f+1 <= 1+in.s.reports(st.Decision) {
				rt.end(in.s, logEntry[V]{value: st.Decision, decided: true, round: in.r})
				return false
			}
		}
	}
	if st.Revoked && !in.revokeAnnounced {
		in.revokeAnnounced = true
		rt.output(DecisionOf[V]{Instance: in.s.inst, Value: st.Other, Round: in.r, Revoked: true, state: in.state})
	}
	switch {
	case st.Exited, in.announced && rt.model != Byzantine && in.r-in.decidedRound >= rt.cfg.Linger:
		rt.end(in.s, logEntry[V]{value: st.Decision, decided: st.Decided, round: in.r})
		if !st.Decided {
			rt.stats.GaveUp++
		}
		return false
	case in.r+1-in.first >= rt.cfg.MaxRounds:
		rt.end(in.s, logEntry[V]{round: -1})
		rt.stats.GaveUp++
		return false
	}
	return true
}
