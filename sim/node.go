package sim

import (
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/scenario"
	"github.com/rondo-dev/rondo/trace"
)

// node is one simulated process and the core.Context it is driven through.
type node struct {
	w      *world
	id     core.NodeID
	proc   core.Process
	up     bool
	inc    int
	timers timers
	store  *lazyStore   // survives crashes, but for its lazy tail
	view   core.Storage // store, with the fail-stop policy
	rng    *rand.Rand
	log    *slog.Logger
	// failed is the reason the node stopped for good (Context.Fail), or
	// nil. Set inside a handler, it silences the rest of that handler.
	failed error
}

// start begins incarnation inc with a fresh process value; only the storage
// carries over.
func (n *node) start(inc int) {
	n.up = true
	n.inc = inc
	n.timers.reset()
	n.rng = nil
	if n.w.byz[n.id] {
		n.proc = n.w.cfg.Byzantine(n.id, n.w.cfg.N)
	} else {
		n.proc = n.w.cfg.New(n.id, n.w.cfg.N)
	}
	n.proc.Init(n)
	if n.failed == nil && inc > 0 {
		n.proc.Handle(n, core.Restart{Incarnation: inc})
	}
	n.w.afterHandle(n)
}

// crash loses the volatile state: the process value, its timers, every
// message in flight to it (dropped on arrival since the node is down), and
// the lazy writes made since its last strict write; it reports how many
// of those there were.
func (n *node) crash() int {
	lost := n.store.crash()
	n.w.res.LazyLost += lost
	n.up = false
	n.inc++
	n.timers.reset()
	n.proc = nil
	return lost
}

func (n *node) ID() core.NodeID       { return n.id }
func (n *node) Nodes() []core.NodeID  { return n.w.ids }
func (n *node) Now() time.Duration    { return time.Duration(n.w.now) }
func (n *node) Storage() core.Storage { return n.view }

func (n *node) Send(to core.NodeID, m any) {
	if n.failed == nil {
		n.w.send(n.id, to, m)
	}
}

// Fail records why the node stops; the world takes it down when the
// current handler returns.
func (n *node) Fail(err error) {
	if n.failed == nil {
		n.failed = err
	}
}

func (n *node) SetTimer(key string, after time.Duration) {
	if n.failed != nil {
		return
	}
	n.w.timerGen++
	gen := n.w.timerGen
	n.timers.set(key, gen)
	if after < 0 {
		after = 0
	}
	n.w.schedule(n.w.now+int64(after), item{kind: kTimer, to: uint32(n.id), inc: int32(n.inc), gen: gen, key: key})
}

func (n *node) CancelTimer(key string) { n.timers.cancel(key) }

// Rand is seeded by (seed, node, incarnation), so a node's random choices do
// not shift when the fault spec changes how many draws the network makes.
func (n *node) Rand() *rand.Rand {
	if n.rng == nil {
		n.rng = rand.New(rand.NewPCG(n.w.cfg.Seed, uint64(n.id)<<32|uint64(n.inc)))
	}
	return n.rng
}

func (n *node) Output(v any) {
	if n.failed != nil {
		return
	}
	w := n.w
	w.hist.Observations = append(w.hist.Observations, scenario.Observation{
		At: time.Duration(w.now), Node: n.id, Incarnation: n.inc, Output: true, Value: v})
	if w.tr != nil {
		w.tr.Write(trace.Event{At: time.Duration(w.now), Kind: trace.Output, Node: int(n.id), Peer: -1, Msg: w.render(v)})
	}
}

func (n *node) Logger() *slog.Logger {
	if n.log == nil {
		n.log = n.w.discard.With("node", int(n.id))
	}
	return n.log
}
