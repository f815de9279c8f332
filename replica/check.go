package replica

import (
	"fmt"
	"math"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/lattice"
	"github.com/rondo-dev/rondo/scenario"
)

// run indexes what a convergence campaign's history says.
type run[L lattice.Lattice[L]] struct {
	final   []L // last state of each node (⊥ if it never changed)
	has     []bool
	all     L // join of every applied delta
	correct L // join of the deltas applied by correct nodes
	bad     []scenario.Violation
}

func summarize[L lattice.Lattice[L]](cfg Config[L], h *scenario.History) run[L] {
	r := run[L]{final: make([]L, h.N), has: make([]bool, h.N), all: cfg.Bottom(0), correct: cfg.Bottom(0)}
	for i := range r.final {
		r.final[i] = cfg.Bottom(core.NodeID(i))
	}
	last := make([][]byte, h.N)
	for _, o := range h.Observations {
		if !o.Output {
			continue
		}
		switch v := o.Value.(type) {
		case Snapshot:
			if v.State != nil || cfg.OutputState == StateOnChange {
				last[o.Node] = v.State
			}
		case Applied:
			if len(v.Delta) == 0 {
				continue
			}
			d, err := cfg.Codec.Decode(v.Delta)
			if err != nil {
				r.bad = append(r.bad, scenario.Violation{Property: "integrity",
					Detail: fmt.Sprintf("node %d output a delta that does not decode: %v", o.Node, err)})
				continue
			}
			r.all.Merge(d)
			if h.Correct(o.Node) {
				r.correct.Merge(d)
			}
		}
	}
	for i, b := range last {
		if b == nil {
			continue
		}
		s, err := cfg.Codec.Decode(b)
		if err != nil {
			r.bad = append(r.bad, scenario.Violation{Property: "integrity",
				Detail: fmt.Sprintf("node %d output a state that does not decode: %v", i, err)})
			continue
		}
		r.final[i], r.has[i] = s, true
	}
	return r
}

func show[L lattice.Lattice[L]](cfg Config[L], l L) string {
	if cfg.Value == nil {
		return "(no Value)"
	}
	return cfg.Value(l)
}

// check verifies convergence (every correct replica ends in the same
// state), completeness (that state holds every delta a correct replica
// applied) and integrity (it holds nothing no replica applied). With no
// crash, completeness and integrity together say the state is exactly the
// join of every operation's delta.
func check[L lattice.Lattice[L]](cfg Config[L], h *scenario.History, semantics func(*scenario.History, L) []scenario.Violation) []scenario.Violation {
	r := summarize(cfg, h)
	vs := r.bad
	ref := -1
	for i := range h.N {
		if !h.Correct(core.NodeID(i)) {
			continue
		}
		if ref < 0 {
			ref = i
			continue
		}
		if !lattice.Equal(r.final[ref], r.final[i]) {
			vs = append(vs, scenario.Violation{Property: "convergence",
				Detail: fmt.Sprintf("correct replicas %d and %d ended apart: %s vs %s",
					ref, i, show(cfg, r.final[ref]), show(cfg, r.final[i]))})
		}
	}
	if ref < 0 {
		return vs // no correct replica: nothing to agree on
	}
	final := r.final[ref]
	if !lattice.LessEq(r.correct, final) {
		vs = append(vs, scenario.Violation{Property: "completeness",
			Detail: fmt.Sprintf("replica %d ended at %s, missing updates correct replicas applied (their join is %s)",
				ref, show(cfg, final), show(cfg, r.correct))})
	}
	if !lattice.LessEq(final, r.all) {
		vs = append(vs, scenario.Violation{Property: "integrity",
			Detail: fmt.Sprintf("replica %d ended at %s, above the join of every applied operation %s",
				ref, show(cfg, final), show(cfg, r.all))})
	}
	if semantics != nil {
		vs = append(vs, semantics(h, final)...)
	}
	return vs
}

// report computes the campaign figures: whether the correct replicas
// converged, how many gossip rounds after the last operation they took to
// agree on their visible value, and the anti-entropy bytes against what
// full-state anti-entropy would have shipped in the same messages.
func report[L lattice.Lattice[L]](cfg Config[L], h *scenario.History) map[string]any {
	converged := true
	for _, v := range check(cfg, h, nil) {
		if v.Property == "convergence" {
			converged = false
		}
	}
	// Visible values of the correct replicas over time.
	bottom := make(map[string]int)
	cur := make([]string, h.N)
	correct := 0
	for i := range h.N {
		if h.Correct(core.NodeID(i)) {
			cur[i] = show(cfg, cfg.Bottom(core.NodeID(i)))
			bottom[cur[i]]++
			correct++
		}
	}
	counts := bottom
	var lastOp, agreedAt time.Duration
	agreed := len(counts) <= 1
	type incKey struct {
		node core.NodeID
		inc  int
	}
	stats := map[incKey]Stats{}
	for _, o := range h.Observations {
		if !o.Output {
			lastOp = max(lastOp, o.At)
			continue
		}
		switch v := o.Value.(type) {
		case Snapshot:
			if !h.Correct(o.Node) {
				continue
			}
			if counts[cur[o.Node]]--; counts[cur[o.Node]] == 0 {
				delete(counts, cur[o.Node])
			}
			cur[o.Node] = v.Value
			counts[v.Value]++
			if now := len(counts) == 1; now && !agreed {
				agreedAt = o.At
				agreed = true
			} else if !now {
				agreed = false
			}
		case Stats:
			stats[incKey{o.Node, o.Incarnation}] = v
		}
	}
	var total Stats
	for _, s := range stats {
		total.Rounds += s.Rounds
		total.Deltas += s.Deltas
		total.Pieces += s.Pieces
		total.Acks += s.Acks
		total.BytesSent += s.BytesSent
		total.BytesFull += s.BytesFull
	}
	rounds := 0
	if agreedAt > lastOp {
		rounds = int(math.Ceil(float64(agreedAt-lastOp) / float64(cfg.Interval)))
	}
	out := map[string]any{
		"converged":                    converged && agreed,
		"rounds_to_converge":           rounds,
		"converged_at_ms":              float64(agreedAt) / 1e6,
		"last_operation_ms":            float64(lastOp) / 1e6,
		"replication_bytes_sent":       total.BytesSent,
		"replication_bytes_full_state": total.BytesFull,
		"delta_messages":               total.Deltas,
		"full_state_messages":          total.Pieces,
		"ack_messages":                 total.Acks,
		"gossip_rounds":                total.Rounds,
		"correct_replicas":             correct,
	}
	if total.BytesFull > 0 {
		out["delta_to_full_ratio"] = float64(total.BytesSent) / float64(total.BytesFull)
	}
	return out
}
