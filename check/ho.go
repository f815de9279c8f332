package check

import (
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// hoEnum enumerates the heard-of assignments of one step: the HO sets each
// process may have under the fault model and the filters in force (the
// algorithm's safety assumption and the liveness window's round), and, for
// filters that relate processes (Uniform, Pair), the joint assignments.
// What a process does with an HO set is successors' business; hoEnum only
// says which sets, and which combinations, the environment may choose.
type hoEnum struct {
	n     int
	model rounds.Model
	cands []rounds.Set // candidates' result, reused
	// hIndex[q<<n|h]: 1 + index of h in process q's choices (uniform).
	hIndex []int32
}

// candidates lists the HO sets process q may have in round: every set of
// honest senders in the benign and Byzantine models; in the crash model
// every live non-crashing sender plus any subset of those crashing now (c).
// Filters a and b constrain honest senders only: a Byzantine sender counts
// as heard, and delivers whatever it chooses (or nothing). The result is
// valid until the next call.
func (h *hoEnum) candidates(round int, q core.NodeID, faulty, c rounds.Set, a, b rounds.HOFilter) []rounds.Set {
	n := h.n
	all := rounds.All(n)
	hs := h.cands[:0]
	if h.model == rounds.Crash {
		base := all &^ c
		for t := c; ; t = (t - 1) & c {
			ho := base | t
			if a.Allows(n, round, q, ho) && b.Allows(n, round, q, ho) {
				hs = append(hs, ho)
			}
			if t == 0 {
				break
			}
		}
	} else {
		honest := all &^ faulty
		for ho := honest; ; ho = (ho - 1) & honest {
			if a.Allows(n, round, q, ho|faulty) && b.Allows(n, round, q, ho|faulty) {
				hs = append(hs, ho)
			}
			if ho == 0 {
				break
			}
		}
	}
	h.cands = hs
	return hs
}

// choices is what one process may do in a step under a joint filter: its
// candidate HO sets, and for each the distinct options (next states) it
// yields. A process that does not update (silent, or crashing now) has one
// choice, of HO set 0.
type choices struct {
	hs   []rounds.Set
	opts [][]option
}

// uniform emits every assignment in which the active processes all hear
// the same set, as one option list per process (out, reused).
func (h *hoEnum) uniform(cs []choices, active rounds.Set, out [][]option, emit func([][]option)) {
	n := h.n
	first := -1
	for q := range n {
		if active.Has(core.NodeID(q)) {
			first = q
			break
		}
	}
	if first < 0 {
		for q := range n {
			out[q] = cs[q].opts[0]
		}
		emit(out)
		return
	}
	if len(h.hIndex) < n<<n {
		h.hIndex = make([]int32, n<<n)
	}
	for q := range n {
		idx := h.hIndex[q<<n : (q+1)<<n]
		clear(idx)
		for i, ho := range cs[q].hs {
			idx[ho] = int32(i + 1)
		}
	}
next:
	for _, ho := range cs[first].hs {
		for q := range n {
			if !active.Has(core.NodeID(q)) {
				out[q] = cs[q].opts[0]
				continue
			}
			i := h.hIndex[q<<n|int(ho)]
			if i == 0 {
				continue next
			}
			out[q] = cs[q].opts[i-1]
		}
		emit(out)
	}
}

// pairwise emits, once per distinct vector of next states, an assignment
// reaching it whose active processes' HO sets are pairwise compatible. A
// successor is one next state per process, possible when some choice of HO
// sets producing those next states satisfies the pairwise filter; so this
// enumerates the distinct next-state vectors and searches one witness
// assignment for each (stopping at the first), rather than every
// assignment. Each process gets a one-option list in out (reused).
func (h *hoEnum) pairwise(cs []choices, active rounds.Set, compatible func(hp, hq rounds.Set) bool, out [][]option, emit func([][]option)) {
	n := h.n
	type cand struct {
		h rounds.Set
		o option
	}
	xs := make([][][]cand, n) // xs[q][i]: the ways q reaches its i-th distinct next state
	for q := range n {
		for i, ho := range cs[q].hs {
			for _, o := range cs[q].opts[i] {
				j := 0
				for j < len(xs[q]) && xs[q][j][0].o.next != o.next {
					j++
				}
				if j == len(xs[q]) {
					xs[q] = append(xs[q], nil)
				}
				xs[q][j] = append(xs[q][j], cand{ho, o})
			}
		}
	}
	at := make([]int, n) // which distinct next state of each process
	chosen := make([]rounds.Set, n)
	picked := make([]option, n)
	var witness func(q int) bool
	witness = func(q int) bool {
		if q == n {
			return true
		}
	next:
		for _, cd := range xs[q][at[q]] {
			if active.Has(core.NodeID(q)) {
				for p := range q {
					if active.Has(core.NodeID(p)) && !compatible(chosen[p], cd.h) {
						continue next
					}
				}
			}
			chosen[q], picked[q] = cd.h, cd.o
			if witness(q + 1) {
				return true
			}
		}
		return false
	}
	for {
		if witness(0) {
			for q := range n {
				out[q] = picked[q : q+1 : q+1]
			}
			emit(out)
		}
		q := n - 1
		for ; q >= 0; q-- {
			if at[q]++; at[q] < len(xs[q]) {
				break
			}
			at[q] = 0
		}
		if q < 0 {
			return
		}
	}
}
