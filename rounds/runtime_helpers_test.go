package rounds

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// fakeCtx is a core.Context for transcript tests: it records what the
// process sends, outputs and arms, and lets the test set the time.
type fakeCtx struct {
	id    core.NodeID
	nodes []core.NodeID
	now   time.Duration
	store core.MemStorage
	// disk, when set, replaces store (a storage that fails, for tests of
	// the fail-stop policy).
	disk  core.Storage
	rng   *rand.Rand
	log   []string
	timer time.Duration // when the runtime's core timer fires; -1: disarmed
}

func newFakeCtx(id core.NodeID, n int) *fakeCtx {
	c := &fakeCtx{id: id, rng: rand.New(rand.NewPCG(1, 2)), timer: -1}
	for i := range n {
		c.nodes = append(c.nodes, core.NodeID(i))
	}
	return c
}

func (c *fakeCtx) ID() core.NodeID      { return c.id }
func (c *fakeCtx) Nodes() []core.NodeID { return c.nodes }
func (c *fakeCtx) Now() time.Duration   { return c.now }
func (c *fakeCtx) Rand() *rand.Rand     { return c.rng }

// Storage applies the policy every world applies: a failed write calls
// Fail (core.FailStop).
func (c *fakeCtx) Storage() core.Storage {
	if c.disk != nil {
		return core.FailStop(c.disk, c.Fail)
	}
	return core.FailStop(&c.store, c.Fail)
}
func (c *fakeCtx) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func (c *fakeCtx) Send(to core.NodeID, msg any) {
	c.log = append(c.log, fmt.Sprintf("send %v %v", to, msg))
}
func (c *fakeCtx) Output(v any) { c.log = append(c.log, fmt.Sprintf("output %v", v)) }
func (c *fakeCtx) SetTimer(key string, after time.Duration) {
	c.timer = c.now + after
}
func (c *fakeCtx) CancelTimer(key string) { c.timer = -1 }
func (c *fakeCtx) Fail(err error)         { c.log = append(c.log, fmt.Sprintf("fail %v", err)) }

// take returns the transcript so far and clears it.
func (c *fakeCtx) take() []string {
	l := c.log
	c.log = nil
	return l
}

// node is a runtime under test with its context.
type node struct {
	t   *testing.T
	ctx *fakeCtx
	rt  *Runtime
}

func newNode[S, M comparable](t *testing.T, alg *Algorithm[S, M], id core.NodeID, n int, cfg Config) *node {
	nd := &node{t: t, ctx: newFakeCtx(id, n), rt: NewRuntime(alg, cfg)}
	nd.rt.Init(nd.ctx)
	return nd
}

func (nd *node) propose(inst uint64, v Value) []string {
	nd.rt.Handle(nd.ctx, core.Request{Body: Propose{Instance: inst, Value: v}})
	return nd.ctx.take()
}

func (nd *node) recv(from core.NodeID, body any) []string {
	nd.rt.Handle(nd.ctx, core.Message{From: from, Body: body})
	return nd.ctx.take()
}

// at moves time to d and fires the runtime's timer if it is due.
func (nd *node) at(d time.Duration) []string {
	nd.ctx.now = d
	if nd.ctx.timer >= 0 && nd.ctx.timer <= d {
		nd.ctx.timer = -1
		nd.rt.Handle(nd.ctx, core.Timer{Key: "rounds"})
	}
	return nd.ctx.take()
}

// expect compares a transcript with the lines it should be.
func expect(t *testing.T, step string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got: %s\nwant: %s", step, strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}

// minState and minMsg make the test algorithm: flood the minimum, decide it
// at the end of round 2.
type minState struct{ X Value }
type minMsg struct{ X Value }

func (m minMsg) String() string { return fmt.Sprintf("x=%d", m.X) }

func minFlood() *Algorithm[minState, minMsg] {
	return &Algorithm[minState, minMsg]{
		Name: "minflood",
		Init: func(_ core.NodeID, _ int, in Value) minState { return minState{X: in} },
		Rounds: []Round[minState, minMsg]{{
			Send: func(s minState, _ View, out *Outbox[minMsg]) { out.Broadcast(minMsg(s)) },
			Update: func(s *minState, mb Mailbox[minMsg], r *Ctx) {
				for _, m := range mb.All() {
					s.X = min(s.X, m.X)
				}
				if r.Round == 2 {
					r.Decide(s.X)
				}
			},
		}},
		Spec: Spec[minState, minMsg]{Model: Benign, MaxFaults: func(n int) int { return (n - 1) / 2 }},
	}
}

func msg(inst uint64, round int, x Value) Msg[minMsg] {
	return Msg[minMsg]{Instance: inst, Round: round, Body: minMsg{X: x}}
}
