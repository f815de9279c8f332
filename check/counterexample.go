package check

import (
	"fmt"
	"slices"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// Counterexample is a shortest execution reaching a violation.
type Counterexample struct {
	Algorithm string
	N         int
	Property  string
	Reason    string
	// Liveness is set when the violation is a missed decision under the
	// communication predicate (Window names it).
	Liveness bool
	Window   string
	// Steps[0] is the initial state; Steps[i] the state after round i-1,
	// with the HO sets and messages of that round.
	Steps []Step
}

// Step is one round of a counterexample and the state it led to. Messages,
// states and decided values are printed by the algorithm's Format.
type Step struct {
	// Round is the round that led here (-1 for the initial state).
	Round     int
	RoundName string
	// HO[q] is the set of processes q heard; Msgs[q][p] the message q got
	// from p ("" if none).
	HO   []rounds.Set
	Msgs [][]string
	// NewlyCrashed are the processes that crashed in this round.
	NewlyCrashed rounds.Set
	// States, Status and Inputs are each process's after the round.
	States []string
	Status []rounds.Status
	Inputs []rounds.Value
	// Decided[p] is p's decision ("" if none) and Revoked[p] the value of
	// its later, different decision ("" if none).
	Decided, Revoked []string
	Faulty           rounds.Set
	Crashed          rounds.Set
}

// counterexample rebuilds the execution leading to v, following parent
// links back to an initial state and re-running each round forward to find
// the HO sets and messages of every step.
func (e *explorer[S, M]) counterexample(v violation) *Counterexample {
	n := e.n
	chain := make([]int, v.layer+1)
	chain[v.layer] = v.index
	for l := v.layer; l > 0; l-- {
		chain[l-1] = int(e.layers[l].parent[chain[l]])
	}
	cx := &Counterexample{Algorithm: e.alg.Name, N: n, Property: v.property, Reason: v.reason, Liveness: v.liveness}
	if v.liveness {
		cx.Window = e.alg.Spec.Liveness.Name
	}
	concrete := slices.Clone(e.layers[0].state(chain[0]))
	cx.Steps = append(cx.Steps, e.describe(concrete, -1, nil, nil, 0))
	rb := &rebuild[S, M]{succ: e.succ, sym: e.sym, n: n}
	e.succ.rebuild = rb
	defer func() { e.succ.rebuild = nil }()
	for l := 0; l < v.layer; l++ {
		e.succ.startRound(l)
		rb.target, rb.found = e.layers[l+1].state(chain[l+1]), false
		e.succ.expand(concrete[:n], concrete[n], 0)
		if !rb.found {
			// Cannot happen: the parent link says target is a successor.
			cx.Reason += fmt.Sprintf(" (reconstruction lost the trail at round %d)", l)
			return cx
		}
		concrete = rb.vec
		cx.Steps = append(cx.Steps, e.describe(concrete, l, rb.ho, rb.mb, rb.crashed))
	}
	cx.Reason = e.judge.reason(v, concrete[:n])
	return cx
}

// rebuild takes the successors while a counterexample is rebuilt: it looks
// for the one whose stored form is target and records how it was produced.
type rebuild[S, M comparable] struct {
	succ    *successors[S, M]
	sym     bool
	n       int
	key     []uint32
	target  []uint32
	found   bool
	vec     []uint32
	ho      []rounds.Set
	mb      [][]uint32
	crashed rounds.Set
}

func (rb *rebuild[S, M]) emit(next []uint32, pos uint32) {
	if rb.found {
		return
	}
	rb.key = canonical(rb.key, next, pos, rb.sym)
	if !slices.Equal(rb.key, rb.target) {
		return
	}
	n := rb.n
	rb.found = true
	rb.vec = append(slices.Clone(next), pos)
	rb.ho = make([]rounds.Set, n)
	rb.mb = make([][]uint32, n)
	rb.crashed = rb.succ.crashC
	for q := range n {
		o := rb.succ.chosen(q)
		if o.mb < 0 {
			continue
		}
		rb.mb[q] = slices.Clone(rb.succ.mbStore[o.mb : int(o.mb)+n])
		for p, id := range rb.mb[q] {
			if id != 0 {
				rb.ho[q] = rb.ho[q].Add(core.NodeID(p))
			}
		}
	}
}

// describe prints one step with the algorithm's Format.
func (e *explorer[S, M]) describe(vec []uint32, round int, ho []rounds.Set, mb [][]uint32, c rounds.Set) Step {
	n := e.n
	st := Step{Round: round, HO: ho, NewlyCrashed: c,
		States: make([]string, n), Status: make([]rounds.Status, n), Inputs: make([]rounds.Value, n),
		Decided: make([]string, n), Revoked: make([]string, n)}
	if round >= 0 {
		st.RoundName = e.alg.Phase(round).Name
	}
	if mb != nil {
		st.Msgs = make([][]string, n)
		for q := range n {
			st.Msgs[q] = make([]string, n)
			for p, id := range mb[q] {
				if id != 0 {
					st.Msgs[q][p] = e.alg.FormatMsg(round, e.in.msgs[id])
				}
			}
		}
	}
	for p := range n {
		l := &e.in.locals[vec[p]]
		st.Status[p], st.Inputs[p] = l.St, l.In
		if l.St.Decided {
			st.Decided[p] = e.alg.FormatValue(l.St.Decision)
		}
		if l.St.Revoked {
			st.Revoked[p] = e.alg.FormatValue(l.St.Other)
		}
		switch {
		case l.F&flagByzantine != 0:
			st.Faulty = st.Faulty.Add(core.NodeID(p))
			st.States[p] = "byzantine"
		default:
			st.States[p] = e.alg.FormatState(l.S)
			if l.F&flagCrashed != 0 {
				st.Crashed = st.Crashed.Add(core.NodeID(p))
				st.States[p] += " (crashed)"
			}
		}
	}
	return st
}
