package smr

import (
	"fmt"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
)

// Node is one replica of the log: a core.Process embedding the Multi-Paxos
// runtime. Build one per incarnation with New; hand it Submit, Read and
// Inspect requests.
type Node struct {
	cfg Config
	rt  *rounds.RuntimeOf[string]
	sm  StateMachine

	ctx    core.Context // valid during Init/Handle only
	id     core.NodeID
	n      int
	failed error

	// The log: applied is the last index applied to sm. The entries after
	// the latest snapshot are in Storage (log.go), logBytes of them.
	applied  uint64
	logBytes int
	snap     snapMeta
	sess     sessions
	rtFloor  uint64 // the runtime is truncated up to here
	progress time.Duration

	lead     leader    // the leader's queue and instances in flight (leader.go)
	waiters  waiters   // commands taken here, not yet answered (requests.go)
	reads    readIndex // reads taken here (reads.go)
	peers    []peer    // what this node knows of the others (peers.go)
	catch    catchUp   // fetching entries or a snapshot (catchup.go)
	election election  // suspecting the leader (election.go)
	ticking  bool      // the tick timer is armed
	woke     bool      // the runtime has had its first event
	stats    Stats
}

// tickKey is the node's timer; the runtime's is rounds.ConfigOf.TimerKey.
const tickKey = "smr"

// New returns a replica. It panics on a configuration Validate refuses: a
// programming error found at start-up (validate user input with
// Config.Validate first).
func New(cfg Config) *Node {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg = cfg.withDefaults()
	rc := cfg.Runtime
	rc.Ordered = true
	rc.First = 1
	rc.Window = uint64(cfg.Window)
	// A follower accepts whatever its leader sends, and proposes the no-op
	// only if it must coordinate an instance (the leader failed).
	rc.Input = func(uint64) (string, bool) { return noop, true }
	if rc.LogBytes <= 0 {
		// The runtime's decision log answers a follower that missed a
		// value; two windows of full batches are enough for that, and
		// catch-up (Fetch) serves anything older.
		rc.LogBytes = max(2*cfg.WindowBytes, 16<<20)
	}
	return &Node{cfg: cfg, rt: rounds.NewRuntime(algos.MultiPaxos[string](), rc)}
}

// Runtime is the runtime underneath, for its statistics and tests.
func (n *Node) Runtime() *rounds.RuntimeOf[string] { return n.rt }

// Status reports where the node stands. Call it on the node's goroutine
// (inside a handler: the Inspect request) or once the node is stopped.
func (n *Node) Status() Status {
	st := n.rt.Lease()
	return Status{
		Leader: uint32(st.Leader), Leading: st.Held && st.Leader == n.id, Ballot: st.Ballot,
		Applied: n.applied, Highest: n.rt.Highest(), Snapshot: n.snap.index,
		Queued: len(n.lead.queue), InFlight: len(n.lead.inflight), Waiting: n.waiters.count(),
		Reads: len(n.reads.list), Sessions: len(n.sess.m), Stats: n.stats,
	}
}

// Init starts an incarnation: the runtime, then the state machine from the
// latest durable snapshot and the log entries after it.
func (n *Node) Init(ctx core.Context) {
	n.ctx = ctx
	n.id = ctx.ID()
	n.n = len(ctx.Nodes())
	n.sess = newSessions(n.cfg.SessionWindow, n.cfg.MaxSessions)
	n.lead = newLeader()
	n.waiters = waiters{m: map[key][]waiter{}}
	n.peers = make([]peer, n.n)
	n.rt.Init(ctx)
	n.sm = n.cfg.New()
	if err := n.recover(); err != nil {
		n.fail(err)
		return
	}
	n.election.reset(n)
	n.progress = ctx.Now()
}

// fail stops this node for good (fail-stop): what it stored does not
// decode, or a write failed.
func (n *Node) fail(err error) {
	if n.failed == nil {
		n.failed = err
		n.ctx.Logger().Error("smr: node stopped", "err", err)
	}
	n.ctx.Fail(err)
}

// Handle takes the log's requests and messages, and hands the runtime
// everything else.
func (n *Node) Handle(ctx core.Context, ev core.Event) {
	n.ctx = ctx
	if n.failed != nil {
		n.refuse(ev)
		return
	}
	if !n.woke {
		// The runtime does what a start or restart leaves to do (its
		// leader solicits the lease) at its first event; the log's own
		// messages never reach it, so it gets a timer that is not its own.
		n.woke = true
		if _, restart := ev.(core.Restart); !restart {
			n.rt.Handle(ctx, core.Timer{Key: tickKey})
		}
	}
	switch ev := ev.(type) {
	case core.Request:
		switch b := ev.Body.(type) {
		case Submit:
			n.submit(b)
		case Read:
			n.read(b)
		case Inspect:
			if b.Done != nil {
				b.Done(n.Status())
			}
		default:
			ctx.Logger().Warn("smr: unknown request", "type", fmt.Sprintf("%T", ev.Body))
		}
	case core.Message:
		if int(ev.From) >= n.n {
			return
		}
		n.peers[ev.From].heard = ctx.Now()
		switch b := ev.Body.(type) {
		case Forward:
			n.forwarded(b)
		case Ping:
			n.pinged(ev.From, b)
		case Pong:
			n.ponged(ev.From, b)
		case Fetch:
			n.serveFetch(ev.From, b)
		case Entries:
			n.entries(ev.From, b)
		case SnapChunk:
			n.snapChunk(ev.From, b)
		case FetchSnap:
			n.serveSnap(ev.From, b)
		default:
			n.rt.Handle(ctx, ev)
		}
	case core.Timer:
		if ev.Key == tickKey {
			n.ticking = false
			n.tick()
		} else {
			n.rt.Handle(ctx, ev)
		}
	case core.Restart:
		n.rt.Handle(ctx, ev)
		n.restarted()
	}
	n.settle()
}

// settle runs after every event: apply what was decided, propose what is
// queued, answer what can be answered, and keep the timer while there is
// work.
func (n *Node) settle() {
	if n.failed != nil {
		return
	}
	n.drain()
	n.pump()
	n.drain() // a cluster of one decides at once
	n.serveReads()
	if !n.ticking && n.busy() {
		n.ticking = true
		n.ctx.SetTimer(tickKey, n.cfg.Tick)
	}
}

// refuse answers a request that reaches a stopped node.
func (n *Node) refuse(ev core.Event) {
	r, ok := ev.(core.Request)
	if !ok {
		return
	}
	err := fmt.Errorf("%w: %w", ErrStopped, n.failed)
	switch b := r.Body.(type) {
	case Submit:
		if b.Done != nil {
			b.Done(Reply{Err: err})
		}
	case Read:
		if b.Done != nil {
			b.Done(Reply{Err: err})
		}
	}
}

// tick is the node's periodic work while it has any.
func (n *Node) tick() {
	now := n.ctx.Now()
	n.heartbeat()
	n.waiters.expire(n, now)
	n.reads.expire(n, now)
	n.retry(now)
	n.fillGaps(now)
	n.catchUpIfBehind(now)
	n.election.check(n, now)
}

// busy reports whether the node has work that needs its timer.
func (n *Node) busy() bool {
	return n.waiters.count() > 0 || len(n.reads.list) > 0 || n.lead.active(n) || n.catch.active(n)
}

// restarted runs at the Restart event: this node lost its volatile state;
// it asks its peers where they are, to catch up.
func (n *Node) restarted() {
	n.pingAll(0)
}
