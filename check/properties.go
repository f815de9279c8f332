package check

import (
	"fmt"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// violation is a property found violated at a stored state.
type violation struct {
	layer, index int
	property     string
	reason       string
	liveness     bool
}

// judge decides whether global states satisfy the algorithm's spec: its
// safety properties at every stored state, and its liveness promise at the
// end of every communication-predicate window. It keeps the first
// violation of each property, in the order they are found.
type judge[S, M comparable] struct {
	spec   *rounds.Spec[S, M]
	in     *interner[S, M]
	n      int
	window []rounds.HOFilter
	global rounds.Global[S]

	found   []violation
	count   int    // violating states
	windows uint64 // states at which a window ended
}

func newJudge[S, M comparable](alg *rounds.Algorithm[S, M], in *interner[S, M], n int, vals []rounds.Value, window []rounds.HOFilter) judge[S, M] {
	return judge[S, M]{spec: &alg.Spec, in: in, n: n, window: window,
		global: rounds.Global[S]{N: n, Values: vals, States: make([]S, n),
			Status: make([]rounds.Status, n), Inputs: make([]rounds.Value, n), Format: alg.FormatValue}}
}

// state judges the state vec stored at (layer, index), reached after
// round rounds at window position pos; changed says whether the step that
// led there changed some status or fault flag (status-only properties held
// at the parent otherwise).
func (j *judge[S, M]) state(vec []uint32, layer, index int, pos uint32, changed bool) {
	filled, bad := false, false
	for _, p := range j.spec.Properties {
		if p.StatusOnly && !changed {
			continue // its parent, with the same statuses, passed
		}
		if !filled {
			j.fill(vec, layer)
			filled = true
		}
		if ok, why := p.Holds(&j.global); !ok {
			j.record(violation{layer: layer, index: index, property: p.Name, reason: why})
			bad = true
		}
	}
	if k := uint32(len(j.window)); k > 0 && pos == k {
		j.windows++
		if name, why, ok := j.live(vec, layer); !ok {
			j.record(violation{layer: layer, index: index, property: name, liveness: true, reason: why})
			bad = true
		}
	}
	if bad {
		j.count++
	}
}

func (j *judge[S, M]) fill(vec []uint32, round int) {
	j.in.fill(&j.global, vec)
	j.global.Round = round
}

func (j *judge[S, M]) record(v violation) {
	for _, f := range j.found {
		if f.property == v.property {
			return
		}
	}
	j.found = append(j.found, v)
}

// live checks the liveness promise at the end of a window: Liveness.Holds,
// or else that every correct process decided ("termination").
func (j *judge[S, M]) live(vec []uint32, round int) (property, reason string, ok bool) {
	k := len(j.window)
	if holds := j.spec.Liveness.Holds; holds != nil {
		j.fill(vec, round)
		if ok, why := holds(&j.global); !ok {
			return "liveness", fmt.Sprintf("the communication predicate held for %d rounds but: %s", k, why), false
		}
		return "", "", true
	}
	var missing []core.NodeID
	for p := range j.n {
		if l := &j.in.locals[vec[p]]; l.F == 0 && !l.St.Decided {
			missing = append(missing, core.NodeID(p))
		}
	}
	if len(missing) > 0 {
		return "termination", fmt.Sprintf("the communication predicate held for %d rounds but process(es) %v did not decide", k, missing), false
	}
	return "", "", true
}

// reason re-derives v's explanation on vec, the last state of the
// rebuilt execution, whose process numbering (under symmetry) may differ
// from the stored representative's.
func (j *judge[S, M]) reason(v violation, vec []uint32) string {
	if v.liveness {
		if _, why, ok := j.live(vec, v.layer); !ok {
			return why
		}
		return v.reason
	}
	j.fill(vec, v.layer)
	for _, p := range j.spec.Properties {
		if p.Name != v.property {
			continue
		}
		if ok, why := p.Holds(&j.global); !ok {
			return why
		}
	}
	return v.reason
}
