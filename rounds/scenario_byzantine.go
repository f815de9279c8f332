package rounds

import (
	"github.com/rondo-dev/rondo/core"
)

// Adversary is a Byzantine node for a round-based algorithm: whenever it
// sees an instance reach a round, it sends each peer, separately, one of the
// messages Spec.Forge allows for that round, or nothing (equivocation). It
// also reports false decisions and claims far-future rounds, so that the
// runtime's f+1 rules for learned decisions and catch-up are exercised. It
// cannot forge another node's messages: everything it sends carries its own
// identity, as authenticated links guarantee.
type Adversary[S, M comparable] struct {
	alg    *Algorithm[S, M]
	values []Value
	id     core.NodeID
	n      int
	acted  map[actKey]bool
	lied   map[uint64]bool
}

type actKey struct {
	inst  uint64
	round int
}

// NewAdversary returns a Byzantine node for alg over the inputs
// 0..values-1.
func NewAdversary[S, M comparable](alg *Algorithm[S, M], values int) *Adversary[S, M] {
	vs := make([]Value, max(values, 1))
	for i := range vs {
		vs[i] = Value(i)
	}
	return &Adversary[S, M]{alg: alg, values: vs}
}

// Init starts the adversary.
func (a *Adversary[S, M]) Init(ctx core.Context) {
	a.id, a.n = ctx.ID(), len(ctx.Nodes())
	a.acted = map[actKey]bool{}
	a.lied = map[uint64]bool{}
}

// Handle reacts to proposals and to honest nodes' round messages.
func (a *Adversary[S, M]) Handle(ctx core.Context, ev core.Event) {
	switch ev := ev.(type) {
	case core.Request:
		if p, ok := ev.Body.(Propose); ok {
			a.act(ctx, p.Instance, 0)
		}
	case core.Message:
		if m, ok := ev.Body.(Msg[M]); ok && m.Round < MaxWireRound-8 {
			a.act(ctx, m.Instance, m.Round)
			a.act(ctx, m.Instance, m.Round+1)
		}
	}
}

func (a *Adversary[S, M]) act(ctx core.Context, inst uint64, round int) {
	k := actKey{inst, round}
	if a.acted[k] {
		return
	}
	if len(a.acted) > 1<<14 {
		clear(a.acted)
	}
	a.acted[k] = true
	rng := ctx.Rand()
	a.forge(ctx, inst, round)
	if rng.IntN(8) == 0 {
		a.forge(ctx, inst, round+100+rng.IntN(1000)) // try to drag peers ahead
	}
	if !a.lied[inst] && rng.IntN(4) == 0 {
		a.lied[inst] = true
		for _, p := range ctx.Nodes() {
			if p != a.id {
				ctx.Send(p, Decided{Instance: inst, Value: a.values[rng.IntN(len(a.values))]})
			}
		}
	}
}

// forge sends each peer one forged message of the round, or nothing.
func (a *Adversary[S, M]) forge(ctx core.Context, inst uint64, round int) {
	if a.alg.Spec.Forge == nil {
		return // this algorithm's adversary stays silent
	}
	msgs := a.forged(round)
	if len(msgs) == 0 {
		return
	}
	rng := ctx.Rand()
	for _, p := range ctx.Nodes() {
		if p == a.id {
			continue
		}
		if i := rng.IntN(len(msgs) + 1); i < len(msgs) {
			ctx.Send(p, Msg[M]{Instance: inst, Round: round, Body: msgs[i]})
		}
	}
}

// forged asks Spec.Forge for the round's messages this node can send on
// its own. Forge may also relay what honest processes signed, read from
// their states; but this node has seen no honest state, and on the real
// network no signature it could copy. So Forge is asked twice, with the
// honest processes in two different initial states (inputs 0 and 1), and
// only the messages offered both times are used: those that depend on no
// honest state. A Forge that panics on such a state leaves the adversary
// silent for the round.
func (a *Adversary[S, M]) forged(round int) (msgs []M) {
	defer func() {
		if recover() != nil {
			msgs = nil
		}
	}()
	first := a.alg.Spec.Forge(View{ID: a.id, N: a.n, Round: round}, a.values, a.blank(round, 0))
	second := a.alg.Spec.Forge(View{ID: a.id, N: a.n, Round: round}, a.values, a.blank(round, 1))
	in := make(map[M]bool, len(second))
	for _, m := range second {
		in[m] = true
	}
	for _, m := range first {
		if in[m] {
			msgs = append(msgs, m)
			delete(in, m)
		}
	}
	return msgs
}

// blank is a global state in which every honest process is in its initial
// state with input v.
func (a *Adversary[S, M]) blank(round int, v Value) *Global[S] {
	g := &Global[S]{N: a.n, Round: round, Values: a.values, States: make([]S, a.n),
		Status: make([]Status, a.n), Inputs: make([]Value, a.n), Faulty: SetOf(a.id)}
	for p := range a.n {
		g.Inputs[p] = v
		g.States[p] = a.alg.Init(core.NodeID(p), a.n, v)
	}
	return g
}
