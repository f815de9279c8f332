package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/scenario"
	"github.com/rondo-dev/rondo/trace"
)

// DefaultDelay is a message's latency when the fault spec names none.
const DefaultDelay = time.Millisecond

// DefaultMaxTime bounds a run in virtual time when Config names no bound.
const DefaultMaxTime = time.Minute

// Bounds of a run that never quiesces or grows without end.
const (
	DefaultMaxEvents  = 50_000_000
	DefaultMaxPending = 10_000_000
	// ProgressEvery is how many events pass between Config.Progress calls
	// (and between checks of the context): few enough that a run whose
	// events are slow (large states) still reports every few seconds.
	ProgressEvery = 1 << 10
)

// Config describes one simulated run.
type Config struct {
	// Name names the protocol in the trace header.
	Name string
	// N is the number of nodes, with IDs 0..N-1.
	N int
	// Seed decides every random choice: fault draws, each node's Rand.
	Seed uint64
	// Faults is the fault spec; Plan expands its random part with the seed.
	Faults fault.Spec
	// New builds node id's process; it is called again at every restart.
	New func(id core.NodeID, n int) core.Process
	// Byzantine builds the process of a Byzantine node; required when the
	// spec has byzantine=F.
	Byzantine func(id core.NodeID, n int) core.Process
	// Inputs are the client requests of the run.
	Inputs []scenario.Input
	// Codec, if set, round-trips every message through its encoding, so that
	// a message the real network could not carry fails here first: one that
	// does not encode or decode stops the run with an error, and one whose
	// encoding exceeds MaxMessage is dropped and counted, as the transport
	// drops it.
	Codec core.Codec
	// MaxMessage bounds an encoded message (default core.MaxMessageSize, the
	// transport's frame limit). It is enforced only when Codec is set: the
	// size of a message is the size of its encoding.
	MaxMessage int
	// MaxTime ends the run in virtual time (default DefaultMaxTime); a run
	// also ends when nothing is left to happen.
	MaxTime time.Duration
	// MaxEvents ends a run that never quiesces (default DefaultMaxEvents).
	MaxEvents int
	// MaxPending bounds the events waiting in the queue (default
	// DefaultMaxPending): a run that would hold more stops, as
	// Result.HitMaxPending, instead of exhausting memory.
	MaxPending int
	// Progress, if set, is called every ProgressEvery events with the count
	// so far and the virtual time; long runs use it to show they are alive.
	Progress func(events int, now time.Duration)
	// Storage, if set, builds node id's storage (default: a fresh
	// core.MemStorage per node). It is called once per run: storage
	// survives crashes, but for the lazy writes (core.LazyStorage) made
	// after the node's last strict write, which a crash takes back.
	// Tests use it to make writes fail.
	Storage func(id core.NodeID) core.Storage
	// Trace, if set, records every event.
	Trace *trace.Writer
	// Logger receives the processes' logs (default: discarded).
	Logger *slog.Logger
}

// Result is what a run leaves.
type Result struct {
	History   *scenario.History
	Plan      fault.Plan
	Events    int // events handled: deliveries, timers, inputs, faults
	Sent      int // messages handed to the network
	Delivered int
	Dropped   int
	Duplicate int
	// TooLarge counts the messages refused because their encoding exceeded
	// Config.MaxMessage (they are counted in Dropped too).
	TooLarge int
	// End is the virtual time the run stopped at.
	End time.Duration
	// Quiescent is true when the run stopped because nothing was left to
	// happen (rather than at MaxTime or MaxEvents).
	Quiescent bool
	// HitMaxEvents is true when the run stopped at Config.MaxEvents, and
	// HitMaxPending when it stopped because too many events were waiting:
	// either way it did not finish the work it was given.
	HitMaxEvents  bool
	HitMaxPending bool
	// Failed lists the nodes that stopped for good (Context.Fail, or a
	// failed storage write), in the order they stopped.
	Failed []FailStop
	// LazyLost counts the lazy writes (core.LazyStorage) crashes took
	// back: those made after the crashed node's last strict write.
	LazyLost int
}

// FailStop is a node that stopped for good, and why.
type FailStop struct {
	Node   core.NodeID
	At     time.Duration
	Reason string
}

// Run executes one simulated run. Cancelling ctx stops it between events
// with an error.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	w, err := newWorld(cfg)
	if err != nil {
		return nil, err
	}
	return w.run(ctx)
}

type world struct {
	cfg      Config
	now      int64
	msgs     uint64
	timerGen uint64
	q        queue
	rng      *rand.Rand
	nodes    []*node
	ids      []core.NodeID
	groups   fault.Groups
	plan     fault.Plan
	hist     *scenario.History
	res      Result
	tr       *trace.Writer
	buf      []byte
	err      error
	faults   fault.Spec
	delayLo  int64
	delaySp  int64 // delay spread: DelayMax-DelayMin
	reorder  int64 // extra hold-back span for reordered messages
	byz      []bool
	discard  *slog.Logger
	maxTime  int64
	maxEvent int
	maxMsg   int
	maxPend  int
}

func newWorld(cfg Config) (*world, error) {
	if cfg.N < 1 {
		return nil, fmt.Errorf("sim: need at least one node, got %d", cfg.N)
	}
	if cfg.New == nil {
		return nil, errors.New("sim: Config.New is nil")
	}
	if err := cfg.Faults.Validate(cfg.N); err != nil {
		return nil, err
	}
	if cfg.Faults.Byzantine > 0 && cfg.Byzantine == nil {
		return nil, errors.New("sim: byzantine=F needs a Byzantine process (the protocol does not tolerate Byzantine nodes)")
	}
	w := &world{
		cfg:      cfg,
		rng:      rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)),
		hist:     scenario.NewHistory(cfg.N),
		tr:       cfg.Trace,
		faults:   cfg.Faults,
		maxTime:  int64(cfg.MaxTime),
		maxEvent: cfg.MaxEvents,
		maxMsg:   cfg.MaxMessage,
		maxPend:  cfg.MaxPending,
	}
	if w.maxPend <= 0 {
		w.maxPend = DefaultMaxPending
	}
	if w.maxMsg <= 0 {
		w.maxMsg = core.MaxMessageSize
	}
	if w.maxTime <= 0 {
		w.maxTime = int64(DefaultMaxTime)
	}
	if w.maxEvent <= 0 {
		w.maxEvent = DefaultMaxEvents
	}
	lo, hi := cfg.Faults.DelayMin, cfg.Faults.DelayMax
	if hi == 0 {
		lo, hi = DefaultDelay, DefaultDelay
	}
	w.delayLo, w.delaySp = int64(lo), int64(hi-lo)
	w.reorder = 5 * int64(max(hi, time.Millisecond))
	w.discard = cfg.Logger
	if w.discard == nil {
		w.discard = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	w.plan = cfg.Faults.Plan(cfg.N, w.rng)
	w.byz = make([]bool, cfg.N)
	for _, id := range w.plan.Byzantine {
		w.byz[id] = true
		w.hist.Byzantine[id] = true
	}
	w.ids = make([]core.NodeID, cfg.N)
	for i := range w.ids {
		w.ids[i] = core.NodeID(i)
	}
	w.nodes = make([]*node, cfg.N)
	for i := range w.nodes {
		n := &node{w: w, id: core.NodeID(i), up: true}
		var st core.Storage = &core.MemStorage{}
		if cfg.Storage != nil {
			st = cfg.Storage(n.id)
		}
		n.store = &lazyStore{Storage: st}
		n.view = core.FailStop(n.store, n.Fail)
		w.nodes[i] = n
	}
	return w, nil
}

func (w *world) run(ctx context.Context) (*Result, error) {
	if w.tr != nil {
		plan := make([]string, len(w.plan.Actions))
		for i, a := range w.plan.Actions {
			plan[i] = a.String()
		}
		for _, id := range w.plan.Byzantine {
			plan = append(plan, fmt.Sprintf("byzantine=%d", id))
		}
		w.tr.WriteHeader(trace.Header{Tool: "sim", Protocol: w.cfg.Name, Nodes: w.cfg.N, Seed: w.cfg.Seed, Faults: w.faults.String(), Plan: plan})
	}
	for i, a := range w.plan.Actions {
		w.schedule(int64(a.At), item{kind: kFault, gen: uint64(i)})
	}
	for i, in := range w.cfg.Inputs {
		if int(in.Node) >= w.cfg.N {
			return nil, fmt.Errorf("sim: input %d is for node %d, but the cluster has nodes 0..%d", i, in.Node, w.cfg.N-1)
		}
		if int64(in.At) >= w.maxTime {
			return nil, fmt.Errorf("sim: input %d is at %v, at or after the run's time bound %v, so it would never be handed over: raise the bound", i, in.At, time.Duration(w.maxTime))
		}
		w.schedule(int64(in.At), item{kind: kInput, to: uint32(in.Node), gen: uint64(i), body: in.Body})
	}
	for _, n := range w.nodes {
		n.start(0)
		if w.err != nil {
			return nil, w.err
		}
	}
	for w.q.len() > 0 {
		if w.q.peek() > w.maxTime {
			break
		}
		if w.res.Events >= w.maxEvent {
			w.res.HitMaxEvents = true
			break
		}
		if w.q.len() > w.maxPend {
			w.res.HitMaxPending = true
			break
		}
		if w.res.Events%ProgressEvery == ProgressEvery-1 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("sim: run stopped after %d events: %w", w.res.Events, err)
			}
			if w.cfg.Progress != nil {
				w.cfg.Progress(w.res.Events+1, time.Duration(w.now))
			}
		}
		at, it := w.q.pop()
		if it.kind == kTimer && w.staleTimer(&it) {
			continue // cancelled, replaced, or set before a crash: not an event
		}
		w.now = at
		w.res.Events++
		w.dispatch(&it)
		if w.err != nil {
			return nil, w.err
		}
	}
	w.res.Quiescent = w.q.len() == 0
	w.res.End = time.Duration(w.now)
	w.hist.End = w.res.End
	w.res.History = w.hist
	w.res.Plan = w.plan
	if w.tr != nil {
		if err := w.tr.Flush(); err != nil {
			return nil, fmt.Errorf("sim: writing trace: %w", err)
		}
	}
	return &w.res, nil
}

func (w *world) schedule(at int64, it item) {
	w.q.push(at, it)
}

func (w *world) dispatch(it *item) {
	switch it.kind {
	case kDeliver:
		w.deliver(it)
	case kTimer:
		n := w.nodes[it.to]
		n.timers.cancel(it.key) // it fires now: disarm it
		if w.tr != nil {
			w.tr.Write(trace.Event{At: time.Duration(w.now), Kind: trace.Timer, Node: int(n.id), Peer: -1, Seq: it.gen, Detail: it.key})
		}
		n.proc.Handle(n, core.Timer{Key: it.key})
		w.afterHandle(n)
	case kInput:
		n := w.nodes[it.to]
		if !n.up {
			w.hist.Lost++
			if w.tr != nil {
				w.tr.Write(trace.Event{At: time.Duration(w.now), Kind: trace.Input, Node: int(n.id), Peer: -1, Msg: w.render(it.body), Detail: "lost: node down"})
			}
			return
		}
		w.hist.Observations = append(w.hist.Observations, scenario.Observation{
			At: time.Duration(w.now), Node: n.id, Incarnation: n.inc, Value: it.body})
		if w.tr != nil {
			w.tr.Write(trace.Event{At: time.Duration(w.now), Kind: trace.Input, Node: int(n.id), Peer: -1, Msg: w.render(it.body)})
		}
		n.proc.Handle(n, core.Request{Body: it.body})
		w.afterHandle(n)
	case kFault:
		w.applyFault(w.plan.Actions[it.gen])
	}
}

// staleTimer reports whether a timer event is one that was cancelled,
// replaced by a later SetTimer with the same key, or set by an incarnation
// that has since crashed.
func (w *world) staleTimer(it *item) bool {
	n := w.nodes[it.to]
	return !n.up || it.inc != int32(n.inc) || !n.timers.armed(it.key, it.gen)
}

func (w *world) deliver(it *item) {
	n := w.nodes[it.to]
	reason := ""
	switch {
	case !n.up:
		reason = "receiver down"
	case w.groups.Cut(core.NodeID(it.from), core.NodeID(it.to)):
		reason = "partitioned"
	}
	if reason != "" {
		w.res.Dropped++
		if w.tr != nil {
			w.tr.Write(trace.Event{At: time.Duration(w.now), Kind: trace.Drop, Node: int(it.to), Peer: int(it.from), Seq: it.gen, Detail: reason})
		}
		return
	}
	w.res.Delivered++
	if w.tr != nil {
		w.tr.Write(trace.Event{At: time.Duration(w.now), Kind: trace.Deliver, Node: int(it.to), Peer: int(it.from), Seq: it.gen})
	}
	n.proc.Handle(n, core.Message{From: core.NodeID(it.from), Body: it.body})
	w.afterHandle(n)
}

// afterHandle takes a node that called Fail down for good: like a crash,
// but it never restarts, and the history counts it as crashed (a fail-stop
// node is faulty, not correct).
func (w *world) afterHandle(n *node) {
	if n.failed == nil || !n.up {
		return
	}
	n.Logger().Error("node stopped (fail-stop)", "reason", n.failed.Error())
	w.trace(trace.Event{At: time.Duration(w.now), Kind: trace.Crash, Node: int(n.id), Peer: -1, Detail: "fail-stop: " + n.failed.Error()})
	n.crash()
	w.hist.Crashed[n.id] = true
	w.res.Failed = append(w.res.Failed, FailStop{Node: n.id, At: time.Duration(w.now), Reason: n.failed.Error()})
}

// send puts a message on the network, deciding its fate with the world's rng.
func (w *world) send(from, to core.NodeID, msg any) {
	if int(to) >= len(w.nodes) {
		w.fail(fmt.Errorf("sim: node %d sent %T to node %d, which does not exist", from, msg, to))
		return
	}
	if w.cfg.Codec != nil {
		w.buf = w.buf[:0]
		b, err := w.cfg.Codec.Append(w.buf, msg)
		if err != nil {
			w.fail(fmt.Errorf("sim: node %d sent a message the codec cannot encode: %w", from, err))
			return
		}
		w.buf = b
		if len(b) > w.maxMsg {
			w.tooLarge(from, to, msg, len(b))
			return
		}
		back, err := w.cfg.Codec.Decode(b)
		if err != nil {
			w.fail(fmt.Errorf("sim: node %d sent %T, which does not decode from its own encoding: %w", from, msg, err))
			return
		}
		msg = back
	}
	w.msgs++
	id := w.msgs
	w.res.Sent++
	if w.tr != nil {
		w.tr.Write(trace.Event{At: time.Duration(w.now), Kind: trace.Send, Node: int(from), Peer: int(to), Seq: id, Msg: w.render(msg)})
	}
	f := &w.faults
	if f.Drop > 0 && w.rng.Float64() < f.Drop {
		w.res.Dropped++
		if w.tr != nil {
			w.tr.Write(trace.Event{At: time.Duration(w.now), Kind: trace.Drop, Node: int(to), Peer: int(from), Seq: id, Detail: "lost"})
		}
		return
	}
	w.schedule(w.now+w.latency(), item{kind: kDeliver, to: uint32(to), from: uint32(from), gen: id, body: msg})
	if f.Dup > 0 && w.rng.Float64() < f.Dup {
		w.res.Duplicate++
		if w.tr != nil {
			w.tr.Write(trace.Event{At: time.Duration(w.now), Kind: trace.Duplicate, Node: int(to), Peer: int(from), Seq: id})
		}
		w.schedule(w.now+w.latency(), item{kind: kDeliver, to: uint32(to), from: uint32(from), gen: id, body: msg, dup: true})
	}
}

// tooLarge refuses a message whose encoding the transport would refuse: it
// never leaves the sender, and the sender's log says so, as on the real
// runtime.
func (w *world) tooLarge(from, to core.NodeID, msg any, size int) {
	w.msgs++
	w.res.Sent++
	w.res.Dropped++
	w.res.TooLarge++
	w.nodes[from].Logger().Warn("message larger than the frame limit; not sent",
		"to", uint32(to), "type", fmt.Sprintf("%T", msg), "bytes", size, "limit", w.maxMsg)
	if w.tr != nil {
		w.tr.Write(trace.Event{At: time.Duration(w.now), Kind: trace.Drop, Node: int(to), Peer: int(from), Seq: w.msgs,
			Detail: fmt.Sprintf("too large: %d bytes > %d", size, w.maxMsg)})
	}
}

func (w *world) latency() int64 {
	d := w.delayLo
	if w.delaySp > 0 {
		d += w.rng.Int64N(w.delaySp + 1)
	}
	if w.faults.Reorder > 0 && w.rng.Float64() < w.faults.Reorder {
		d += 1 + w.rng.Int64N(w.reorder)
	}
	return d
}

func (w *world) applyFault(a fault.Action) {
	ev := trace.Event{At: time.Duration(w.now), Node: -1, Peer: -1, Detail: a.String()}
	switch a.Kind {
	case fault.Crash:
		n := w.nodes[a.Node]
		if !n.up {
			return
		}
		ev.Kind, ev.Node = trace.Crash, int(a.Node)
		if lost := n.crash(); lost > 0 {
			ev.Detail += fmt.Sprintf(" (lost %d lazy writes)", lost)
		}
		w.trace(ev)
		w.hist.Crashed[a.Node] = true
	case fault.Restart:
		n := w.nodes[a.Node]
		if n.up || n.failed != nil {
			return // a fail-stop node stays down
		}
		ev.Kind, ev.Node = trace.Restart, int(a.Node)
		w.trace(ev)
		n.start(n.inc)
	case fault.Partition:
		ev.Kind = trace.Partition
		w.trace(ev)
		w.groups = fault.NewGroups(w.cfg.N, a.Groups)
	case fault.Heal:
		ev.Kind = trace.Heal
		w.trace(ev)
		w.groups = fault.Groups{}
	}
}

func (w *world) trace(ev trace.Event) {
	if w.tr != nil {
		w.tr.Write(ev)
	}
}

func (w *world) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// render prints a message or value for the trace, deterministically: through
// its String method if it has one, else as its Go type and JSON encoding
// (JSON sorts map keys and follows pointers, so no address leaks in).
func (w *world) render(v any) string {
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%T(unprintable: %v)", v, err)
	}
	return fmt.Sprintf("%T%s", v, b)
}
