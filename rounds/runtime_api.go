package rounds

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/rondo-dev/rondo/core"
)

// What a replicated log needs from the runtime, when it embeds one in its
// own core.Process and forwards it the events it does not handle itself
// (Handle): propose a value for an instance, or the next one, within a
// window; take the decisions in instance order; forget what it has made
// durable itself; and know who leads. Every method takes the
// core.Context of the handler it is called from, like Handle.

// Errors of Propose and ProposeNext.
var (
	// ErrDecided: the instance is decided here already (Next has it, or
	// had it).
	ErrDecided = errors.New("rounds: instance already decided")
	// ErrStarted: the instance runs here already, with an input of its
	// own (or passively, after a restart); an input cannot change.
	ErrStarted = errors.New("rounds: instance already started")
	// ErrForgotten: the instance was truncated (Truncate) or left the
	// decision log long ago; it never runs again.
	ErrForgotten = errors.New("rounds: instance forgotten")
	// ErrTooManyInstances: Config.MaxInstances instances are alive.
	ErrTooManyInstances = errors.New("rounds: too many instances alive")
	// ErrWindowFull: ProposeNext would run more than Config.Window
	// instances ahead of the last one Next handed out.
	ErrWindowFull = errors.New("rounds: the window of instances in flight is full")
	// ErrStopped: the node stopped (fail-stop), for the reason wrapped.
	ErrStopped = errors.New("rounds: node stopped")
)

// Propose gives this node's input v to instance inst and starts it here (or
// joins it, if peers' messages created it already). A value that would not
// fit in a message is refused with ErrValueTooLarge, the sizes in the
// message; an instance decided, running or forgotten here with the errors
// above. On a lease algorithm, the leader holding the lease starts an
// instance above the lease's horizon at its accept round (see Lease).
func (rt *RuntimeOf[V]) Propose(ctx core.Context, inst uint64, v V) error {
	rt.ctx = ctx
	if err := rt.wake(); err != nil {
		return err
	}
	if err := CheckValue(v); err != nil {
		rt.stats.Refusals++
		return fmt.Errorf("instance %d: %w", inst, err)
	}
	if s := rt.insts[inst]; s != nil {
		if s.phase != phasePending {
			return fmt.Errorf("instance %d: %w", inst, ErrStarted)
		}
		rt.activate(s, v, true)
		return rt.stopped()
	}
	if e, done := rt.log.get(inst); done {
		if e.decided {
			return fmt.Errorf("instance %d: %w", inst, ErrDecided)
		}
		return fmt.Errorf("instance %d: %w (it ended undecided)", inst, ErrStarted)
	}
	if rt.forgotten(inst) {
		return fmt.Errorf("instance %d: %w", inst, ErrForgotten)
	}
	s := rt.newSlot(inst)
	if s == nil {
		return fmt.Errorf("instance %d: %w (%d)", inst, ErrTooManyInstances, rt.cfg.MaxInstances)
	}
	if s.phase != phasePending {
		return fmt.Errorf("instance %d: %w (passively: this node may have taken part before its restart)", inst, ErrStarted)
	}
	rt.activate(s, v, true)
	return rt.stopped()
}

// ProposeNext proposes v in the instance after the highest this node has
// seen, and returns it. With Config.Ordered and Config.Window, it refuses
// (ErrWindowFull) to run more than Window instances ahead of the last one
// Next handed out.
func (rt *RuntimeOf[V]) ProposeNext(ctx core.Context, v V) (uint64, error) {
	rt.ctx = ctx
	if err := rt.wake(); err != nil {
		return 0, err
	}
	inst := max(rt.highest, rt.floor, rt.ord.next-1) + 1
	if rt.cfg.Ordered && rt.cfg.Window > 0 && inst >= rt.ord.next+rt.cfg.Window {
		return 0, fmt.Errorf("instance %d: %w (%d in flight from %d)", inst, ErrWindowFull, rt.cfg.Window, rt.ord.next)
	}
	return inst, rt.Propose(ctx, inst, v)
}

// Next hands out the decision of the next instance in order (Config.First,
// then each following one), once it is decided here, by the rounds or
// learned from a peer; ok is false while it is not. Only with
// Config.Ordered: otherwise decisions are outputs.
func (rt *RuntimeOf[V]) Next() (d DecisionOf[V], ok bool) { return rt.ord.take() }

// Truncate forgets every instance up to upTo: its record and its decision
// are deleted, a live instance is dropped, and none of them ever runs again
// here (a message naming one is refused). The floor is kept in Storage
// first, so a restart honours it. A replicated log calls it once its own
// log or snapshot holds those decisions durably. An error means the node
// has stopped (a failed write).
func (rt *RuntimeOf[V]) Truncate(ctx core.Context, upTo uint64) error {
	rt.ctx = ctx
	if rt.failed != nil {
		return rt.stopped()
	}
	if upTo <= rt.floor {
		return nil
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], upTo)
	if err := ctx.Storage().Put(rt.floorKey(), b[:]); err != nil {
		rt.failed = fmt.Errorf("rounds: cannot persist the truncation floor: %w", err)
		return rt.stopped()
	}
	rt.floor = upTo
	rt.highest = max(rt.highest, upTo)
	if rt.eng.durable() {
		if err := rt.dropRecords(upTo); err != nil {
			rt.failed = err
			return rt.stopped()
		}
	}
	rt.log.drop(upTo)
	for inst, s := range rt.insts {
		if inst <= upTo {
			s.phase = phaseDone
			s.gen++
			delete(rt.insts, inst)
		}
	}
	rt.idle()
	rt.ord.drop(upTo)
	return nil
}

// Highest is the highest instance id this node has seen: started,
// proposed, named by a peer's message, rejoined from a record, or
// truncated. A replicated log's read index is built on it: an instance
// decided anywhere was accepted by a majority, every member of which has
// seen it, so the highest of a majority's Highest (asked after a read
// arrives) bounds every decision made before the read.
func (rt *RuntimeOf[V]) Highest() uint64 { return rt.highest }

// LeaseStatus is where a lease algorithm's node stands (RuntimeOf.Lease).
type LeaseStatus struct {
	// Ballot is the ballot this node adopted, Leader its leader.
	Ballot int
	Leader core.NodeID
	// Held: this node is the leader and holds grants from a majority, so
	// it starts every new instance above Horizon at its accept round.
	Held    bool
	Horizon uint64
}

// Lease reports where this node stands in the lease (zero for an
// algorithm without one). A replicated log sends its clients' commands to
// Leader, and proposes them itself when Held.
func (rt *RuntimeOf[V]) Lease() LeaseStatus {
	if !rt.eng.leased() || rt.n == 0 {
		return LeaseStatus{}
	}
	return LeaseStatus{Ballot: rt.lease.ballot, Leader: rt.eng.leader(rt.lease.ballot),
		Held: rt.lease.held, Horizon: rt.lease.horizon}
}

// Campaign makes this node the leader of the next ballot it leads and
// solicits the grants: what a replicated log calls when it suspects the
// current leader. The lease is held once a majority has granted it (the
// others adopt the ballot, so a deposed leader's new instances end up in
// the new ballot). An error means the node has stopped.
func (rt *RuntimeOf[V]) Campaign(ctx core.Context) error {
	rt.ctx = ctx
	if err := rt.wake(); err != nil || !rt.eng.leased() {
		return err
	}
	b := rt.lease.ballot + 1
	for rt.eng.leader(b) != rt.id {
		b++
	}
	rt.adopt(b)
	return rt.stopped()
}

// wake runs what a restart left to do (rejoining the instances with a
// record, soliciting grants) before the first thing this incarnation does.
func (rt *RuntimeOf[V]) wake() error {
	if rt.failed == nil && rt.rec.due {
		rt.rec.due = false
		rt.restart()
	}
	return rt.stopped()
}

func (rt *RuntimeOf[V]) stopped() error {
	if rt.failed != nil {
		return fmt.Errorf("%w: %w", ErrStopped, rt.failed)
	}
	return nil
}

// ordered holds decisions for Next until their turn.
type ordered[V comparable] struct {
	next uint64
	held map[uint64]DecisionOf[V]
}

func (o *ordered[V]) add(d DecisionOf[V]) {
	if d.Revoked || d.Instance < o.next {
		return
	}
	if o.held == nil {
		o.held = make(map[uint64]DecisionOf[V])
	}
	if _, ok := o.held[d.Instance]; !ok {
		o.held[d.Instance] = d
	}
}

func (o *ordered[V]) take() (DecisionOf[V], bool) {
	d, ok := o.held[o.next]
	if ok {
		delete(o.held, o.next)
		o.next++
	}
	return d, ok
}

func (o *ordered[V]) drop(upTo uint64) {
	for inst := range o.held {
		if inst <= upTo {
			delete(o.held, inst)
		}
	}
	o.next = max(o.next, upTo+1)
}
