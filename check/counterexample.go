package check

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/trace"
)

// match is emit during reconstruction: it looks for the successor whose
// canonical form is the target and records how it was produced.
func (e *explorer[S, M]) match(opts [][]option, pos uint32) {
	if e.found {
		return
	}
	key := e.canonical(e.next, pos)
	if !slices.Equal(key, e.target) {
		return
	}
	n := e.n
	e.found = true
	e.foundVec = append(append([]uint32(nil), e.next...), pos)
	e.foundHO = make([]rounds.Set, n)
	e.foundMB = make([][]uint32, n)
	e.foundC = e.crashC
	for q := range n {
		o := opts[q][e.idx[q]]
		if o.mb >= 0 {
			e.foundMB[q] = append([]uint32(nil), e.mbStore[o.mb:int(o.mb)+n]...)
			for p, id := range e.foundMB[q] {
				if id != 0 {
					e.foundHO[q] = e.foundHO[q].Add(core.NodeID(p))
				}
			}
		}
	}
}

// counterexample rebuilds the execution leading to v, following parent
// links back to an initial state and re-running each round forward to find
// the HO sets and messages of every step.
func (e *explorer[S, M]) counterexample(v *violation) *Counterexample {
	n := e.n
	chain := make([]int, v.layer+1)
	chain[v.layer] = v.index
	for l := v.layer; l > 0; l-- {
		chain[l-1] = int(e.layers[l].parent[chain[l]])
	}
	cx := &Counterexample{Algorithm: e.alg.Name, N: n, Property: v.property, Reason: v.reason, Liveness: v.liveness}
	if v.liveness {
		cx.Window = e.spec.Liveness.Name
	}
	concrete := slices.Clone(e.layers[0].state(chain[0]))
	cx.Steps = append(cx.Steps, e.describe(concrete, -1, nil, nil, 0))
	for l := 0; l < v.layer; l++ {
		e.round = l
		e.resetRound()
		e.target = e.layers[l+1].state(chain[l+1])
		e.found = false
		e.expand(concrete[:n], concrete[n], 0)
		if !e.found {
			// Cannot happen: the parent link says target is a successor.
			cx.Reason += fmt.Sprintf(" (reconstruction lost the trail at round %d)", l)
			break
		}
		concrete = e.foundVec
		cx.Steps = append(cx.Steps, e.describe(concrete, l, e.foundHO, e.foundMB, e.foundC))
	}
	e.target = nil
	cx.Reason = e.reason(v, concrete[:n])
	return cx
}

// reason re-derives the violation's explanation on the reconstructed
// execution's last state, whose process numbering (under symmetry) may
// differ from the stored representative's.
func (e *explorer[S, M]) reason(v *violation, vec []uint32) string {
	if v.liveness && e.spec.Liveness.Holds != nil {
		e.fillGlobal(vec)
		e.global.Round = v.layer
		if ok, why := e.spec.Liveness.Holds(&e.global); !ok {
			return fmt.Sprintf("the communication predicate held for %d rounds but: %s", len(e.window), why)
		}
		return v.reason
	}
	if v.liveness {
		var missing []core.NodeID
		for p := range e.n {
			if l := &e.locals[vec[p]]; l.F == 0 && !l.St.Decided {
				missing = append(missing, core.NodeID(p))
			}
		}
		return fmt.Sprintf("the communication predicate held for %d rounds but process(es) %v did not decide", len(e.window), missing)
	}
	e.fillGlobal(vec)
	e.global.Round = v.layer
	for _, p := range e.spec.Properties {
		if p.Name != v.property {
			continue
		}
		if ok, why := p.Holds(&e.global); !ok {
			return why
		}
	}
	return v.reason
}

func (e *explorer[S, M]) describe(vec []uint32, round int, ho []rounds.Set, mb [][]uint32, c rounds.Set) Step {
	n := e.n
	st := Step{Round: round, HO: ho, NewlyCrashed: c,
		States: make([]string, n), Status: make([]rounds.Status, n), Inputs: make([]rounds.Value, n)}
	if round >= 0 {
		st.RoundName = e.alg.Phase(round).Name
	}
	if mb != nil {
		st.Msgs = make([][]string, n)
		for q := range n {
			st.Msgs[q] = make([]string, n)
			for p, id := range mb[q] {
				if id != 0 {
					st.Msgs[q][p] = fmt.Sprintf("%+v", e.msgs[id])
				}
			}
		}
	}
	for p := range n {
		l := &e.locals[vec[p]]
		st.Status[p], st.Inputs[p] = l.St, l.In
		switch {
		case l.F&flagByzantine != 0:
			st.Faulty = st.Faulty.Add(core.NodeID(p))
			st.States[p] = "byzantine"
		default:
			st.States[p] = fmt.Sprintf("%+v", l.S)
			if l.F&flagCrashed != 0 {
				st.Crashed = st.Crashed.Add(core.NodeID(p))
				st.States[p] += " (crashed)"
			}
		}
	}
	return st
}

// WriteTable prints the counterexample as a table of rounds: for each round
// and process, the HO set heard, the messages received, the state after the
// round and the decision.
func (c *Counterexample) WriteTable(w io.Writer) {
	kind := "safety property"
	if c.Liveness {
		kind = "liveness (under: " + c.Window + ")"
	}
	fmt.Fprintf(w, "counterexample for %s, n=%d: %s %q violated after %d round(s)\n  %s\n\n",
		c.Algorithm, c.N, kind, c.Property, len(c.Steps)-1, c.Reason)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "round\tproc\tinput\theard\treceived\tstate after\tdecision")
	for _, st := range c.Steps {
		for p := range c.N {
			round := "init"
			if st.Round >= 0 {
				round = strconv.Itoa(st.Round)
				if st.RoundName != "" {
					round += " " + st.RoundName
				}
			}
			if p > 0 {
				round = ""
			}
			heard, recv := "-", "-"
			if st.HO != nil {
				heard = st.HO[p].String()
				var parts []string
				for q, m := range st.Msgs[p] {
					if m != "" {
						parts = append(parts, fmt.Sprintf("%d:%s", q, m))
					}
				}
				recv = strings.Join(parts, " ")
				if st.NewlyCrashed.Has(core.NodeID(p)) {
					heard, recv = "crashes", "-"
				}
			}
			dec := "-"
			if s := st.Status[p]; s.Decided {
				dec = strconv.FormatInt(s.Decision, 10)
				if s.Revoked {
					dec += " (revoked)"
				}
			}
			in := strconv.FormatInt(st.Inputs[p], 10)
			if st.Faulty.Has(core.NodeID(p)) {
				in = "-"
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", round, p, in, heard, recv, st.States[p], dec)
		}
	}
	tw.Flush()
}

// WriteTrace saves the counterexample in Rondo's trace format (Tool
// "check"). Time stands for rounds: the events of round r are at r+1
// seconds, the initial states at 0. Kinds: "round" (a round starts),
// "ho" (a process's HO set), "heard" (a message heard: Node from Peer),
// "crash", "state" (a process's state after the round), "decide" and
// "violation".
func (c *Counterexample) WriteTrace(out io.Writer, faults string) error {
	w := trace.NewWriter(out)
	w.WriteHeader(trace.Header{Tool: "check", Protocol: c.Algorithm, Nodes: c.N, Faults: faults,
		Extra: fmt.Sprintf("violation of %s after %d round(s)", c.Property, len(c.Steps)-1)})
	var prev []rounds.Status
	for _, st := range c.Steps {
		at := time.Duration(st.Round+1) * time.Second
		if st.Round >= 0 {
			w.Write(trace.Event{At: at, Kind: "round", Node: -1, Peer: -1, Detail: st.RoundName})
			for q := range c.N {
				if st.NewlyCrashed.Has(core.NodeID(q)) {
					w.Write(trace.Event{At: at, Kind: trace.Crash, Node: q, Peer: -1})
					continue
				}
				if st.HO == nil {
					continue
				}
				w.Write(trace.Event{At: at, Kind: "ho", Node: q, Peer: -1, Detail: st.HO[q].String()})
				for p, m := range st.Msgs[q] {
					if m != "" {
						w.Write(trace.Event{At: at, Kind: "heard", Node: q, Peer: p, Msg: m, Detail: fmt.Sprintf("from n%d", p)})
					}
				}
			}
		}
		for p := range c.N {
			w.Write(trace.Event{At: at, Kind: "state", Node: p, Peer: -1,
				Detail: fmt.Sprintf("input=%d %s", st.Inputs[p], st.States[p])})
			if s := st.Status[p]; s.Decided && (prev == nil || !prev[p].Decided || s.Revoked != prev[p].Revoked) {
				w.Write(trace.Event{At: at, Kind: "decide", Node: p, Peer: -1, Msg: strconv.FormatInt(s.Decision, 10)})
			}
		}
		prev = st.Status
	}
	last := c.Steps[len(c.Steps)-1]
	w.Write(trace.Event{At: time.Duration(last.Round+1) * time.Second, Kind: trace.Violation, Node: -1, Peer: -1, Msg: c.Property, Detail: c.Reason})
	return w.Flush()
}
