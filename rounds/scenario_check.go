package rounds

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/scenario"
)

// runIndex is a history sorted by instance: who proposed what, when, and
// who decided what, when.
type runIndex[V comparable] struct {
	insts []uint64
	by    map[uint64]*instRecord[V]
}

type instRecord[V comparable] struct {
	proposed  map[core.NodeID]proposal[V]
	decisions map[core.NodeID][]decisionAt[V]
}

type proposal[V comparable] struct {
	value V
	at    time.Duration
}

type decisionAt[V comparable] struct {
	DecisionOf[V]
	at          time.Duration
	incarnation int
}

func index[V comparable](h *scenario.History) runIndex[V] {
	ix := runIndex[V]{by: map[uint64]*instRecord[V]{}}
	rec := func(inst uint64) *instRecord[V] {
		r := ix.by[inst]
		if r == nil {
			r = &instRecord[V]{proposed: map[core.NodeID]proposal[V]{}, decisions: map[core.NodeID][]decisionAt[V]{}}
			ix.by[inst] = r
			ix.insts = append(ix.insts, inst)
		}
		return r
	}
	for _, o := range h.Observations {
		if int(o.Node) < h.N && h.Byzantine[o.Node] {
			continue // a Byzantine node's inputs and outputs mean nothing
		}
		switch v := o.Value.(type) {
		case ProposeOf[V]:
			if o.Output {
				continue
			}
			r := rec(v.Instance)
			if _, ok := r.proposed[o.Node]; !ok {
				r.proposed[o.Node] = proposal[V]{value: v.Value, at: o.At}
			}
		case DecisionOf[V]:
			if !o.Output {
				continue
			}
			r := rec(v.Instance)
			r.decisions[o.Node] = append(r.decisions[o.Node], decisionAt[V]{DecisionOf: v, at: o.At, incarnation: o.Incarnation})
		}
	}
	slices.Sort(ix.insts)
	return ix
}

// check evaluates the algorithm's safety properties on a global state
// rebuilt per instance from the run's decisions (each node's first
// decision, and its state when it decided), then termination.
func check[S, M, V comparable](alg *AlgorithmOf[S, M, V], values []V, h *scenario.History) []scenario.Violation {
	ix := index[V](h)
	var vs []scenario.Violation
	faulty, crashed := Set(0), Set(0)
	for p := range h.N {
		if h.Byzantine[p] {
			faulty = faulty.Add(core.NodeID(p))
		}
		if h.Crashed[p] {
			crashed = crashed.Add(core.NodeID(p))
		}
	}
	props := properties(alg)
	for _, inst := range ix.insts {
		r := ix.by[inst]
		g := &GlobalOf[S, V]{N: h.N, Values: values, States: make([]S, h.N), Status: make([]StatusOf[V], h.N),
			Inputs: make([]V, h.N), Faulty: faulty, Crashed: crashed, Format: alg.FormatValue}
		var some V
		for p := range h.N {
			if pr, ok := r.proposed[core.NodeID(p)]; ok {
				some = pr.value
				break
			}
		}
		for p := range h.N {
			id := core.NodeID(p)
			if pr, ok := r.proposed[id]; ok {
				g.Inputs[p] = pr.value
			} else {
				// A node without an input never takes part: giving it
				// another node's input changes no property's verdict.
				g.Inputs[p] = some
			}
			ds := r.decisions[id]
			if len(ds) == 0 {
				continue
			}
			first := ds[0]
			g.Status[p] = StatusOf[V]{Decided: true, Decision: first.Value}
			if st, ok := first.state.(S); ok {
				g.States[p] = st
			}
			for _, d := range ds[1:] {
				if d.Revoked || d.Value != first.Value {
					g.Status[p].Revoked, g.Status[p].Other = true, d.Value
					vs = append(vs, scenario.Violation{Property: "irrevocability",
						Detail: fmt.Sprintf("instance %d: node %d decided %s at %v, then %s at %v (round %d, incarnation %d)",
							inst, p, alg.FormatValue(first.Value), first.at, alg.FormatValue(d.Value), d.at, d.Round, d.incarnation)})
					break
				}
			}
		}
		for _, pr := range props {
			if ok, why := pr.Holds(g); !ok {
				vs = append(vs, scenario.Violation{Property: pr.Name, Detail: fmt.Sprintf("instance %d: %s", inst, why)})
			}
		}
	}
	if decides(alg) && faulty.Len()+crashed.Len() <= maxFaults(alg, h.N) {
		for _, inst := range ix.insts {
			r := ix.by[inst]
			var missing []core.NodeID
			for p := range h.N {
				id := core.NodeID(p)
				if _, ok := r.proposed[id]; ok && h.Correct(id) && len(r.decisions[id]) == 0 {
					missing = append(missing, id)
				}
			}
			if len(missing) > 0 {
				vs = append(vs, scenario.Violation{Property: "termination",
					Detail: fmt.Sprintf("instance %d: correct node(s) %v proposed but never decided (run ended at %v)", inst, missing, h.End)})
			}
		}
	}
	return vs
}

// done reports whether every correct node decided every instance it
// proposed in: the real runtime has nothing left to wait for.
func done[V comparable](h *scenario.History) bool {
	ix := index[V](h)
	for _, inst := range ix.insts {
		r := ix.by[inst]
		for id := range r.proposed {
			if h.Correct(id) && len(r.decisions[id]) == 0 {
				return false
			}
		}
	}
	return true
}

// report gives decision latency in rounds and in (virtual) milliseconds from
// a node's proposal to its decision.
func report[V comparable](h *scenario.History) map[string]any {
	ix := index[V](h)
	var rounds, ms []float64
	decided, learned := 0, 0
	for _, inst := range ix.insts {
		r := ix.by[inst]
		for id, ds := range r.decisions {
			d := ds[0]
			decided++
			if d.Learned {
				learned++
			}
			pr, ok := r.proposed[id]
			if !ok || d.incarnation != 0 && d.at < pr.at {
				continue
			}
			if d.Round >= 0 {
				rounds = append(rounds, float64(d.Round+1))
			}
			ms = append(ms, float64(d.at-pr.at)/float64(time.Millisecond))
		}
	}
	return map[string]any{
		"instances":         len(ix.insts),
		"decisions":         decided,
		"learned":           learned,
		"rounds_median":     quantile(rounds, 0.5),
		"rounds_p99":        quantile(rounds, 0.99),
		"latency_ms_median": quantile(ms, 0.5),
		"latency_ms_p99":    quantile(ms, 0.99),
	}
}

// quantile is the nearest-rank q-quantile (0 for no data).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}
