package replica_test

import (
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// desk is a hand-driven world: a test delivers each sent message itself,
// as many times and in whatever order it likes.
type desk struct {
	nodes   []core.NodeID
	store   []core.Storage
	sent    []envelope
	outputs [][]any
	now     time.Duration
	failed  map[core.NodeID]error // why a node stopped (Context.Fail)
	logs    strings.Builder       // every node's log lines
}

type envelope struct {
	from, to core.NodeID
	msg      any
}

func newDesk(n int) *desk {
	d := &desk{outputs: make([][]any, n), failed: map[core.NodeID]error{}}
	for i := range n {
		d.nodes = append(d.nodes, core.NodeID(i))
		d.store = append(d.store, &core.MemStorage{})
	}
	return d
}

// later moves the desk's clock on.
func (d *desk) later(by time.Duration) { d.now += by }

// ctx is node id's Context.
func (d *desk) ctx(id core.NodeID) core.Context { return &deskCtx{d: d, id: id} }

// take removes and returns the messages sent so far.
func (d *desk) take() []envelope {
	out := d.sent
	d.sent = nil
	return out
}

type deskCtx struct {
	d  *desk
	id core.NodeID
}

func (c *deskCtx) ID() core.NodeID                { return c.id }
func (c *deskCtx) Nodes() []core.NodeID           { return c.d.nodes }
func (c *deskCtx) Now() time.Duration             { return c.d.now }
func (c *deskCtx) Send(to core.NodeID, m any)     { c.d.sent = append(c.d.sent, envelope{c.id, to, m}) }
func (c *deskCtx) SetTimer(string, time.Duration) {}
func (c *deskCtx) CancelTimer(string)             {}
func (c *deskCtx) Rand() *rand.Rand               { return rand.New(rand.NewPCG(1, uint64(c.id))) }
func (c *deskCtx) Storage() core.Storage          { return c.d.store[c.id] }
func (c *deskCtx) Output(v any)                   { c.d.outputs[c.id] = append(c.d.outputs[c.id], v) }
func (c *deskCtx) Logger() *slog.Logger           { return slog.New(slog.NewTextHandler(&c.d.logs, nil)) }

// Fail records why the node stopped; a desk test checks that nothing left
// the node after it.
func (c *deskCtx) Fail(err error) {
	if c.d.failed[c.id] == nil {
		c.d.failed[c.id] = err
	}
}
