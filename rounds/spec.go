package rounds

import (
	"fmt"
	"iter"

	"github.com/rondo-dev/rondo/core"
)

// Model is the fault model an algorithm is designed for.
type Model uint8

const (
	// Benign: any message may be lost (any HO sets), possibly restricted by
	// the algorithm's Spec.Safety predicate.
	Benign Model = iota
	// Crash: synchronous rounds with up to f crash-stop processes; a
	// process crashing in a round reaches only some of its receivers.
	Crash
	// Byzantine: up to f processes send anything (authenticated: they
	// cannot forge another process's message).
	Byzantine
)

func (m Model) String() string {
	switch m {
	case Benign:
		return "benign"
	case Crash:
		return "crash"
	case Byzantine:
		return "byzantine"
	}
	return fmt.Sprintf("model(%d)", uint8(m))
}

// Spec is the spec of an algorithm over int64 values.
type Spec[S, M any] = SpecOf[S, M, Value]

// SpecOf is what an algorithm promises, written beside it: the faults it
// tolerates, the safety properties that must hold in every reachable global
// state, and the communication predicate under which it must decide.
type SpecOf[S, M any, V comparable] struct {
	// Model is the fault model.
	Model Model
	// Threshold states the resilience in words: "n > 3f", "f < n/2", …
	Threshold string
	// MaxFaults is the largest f tolerated with n processes (nil: 0).
	MaxFaults func(n int) int
	// Symmetric declares that process ids play no role (no coordinator, no
	// id in the state, messages, properties or HO filters): permuting
	// processes maps executions to executions. The checker then stores one
	// representative per orbit.
	Symmetric bool
	// Safety is the environment assumption that safety needs beyond the
	// fault model, such as UniformVoting's "no split rounds" (zero value:
	// none, any HO sets).
	Safety HOFilter
	// Properties are checked at every reachable global state.
	Properties []PropertyOf[S, V]
	// Liveness is the communication predicate and decision bound.
	Liveness LivenessOf[S, V]
	// Forge lists the messages Byzantine process r.ID may send in round
	// r.Round; each peer gets any one of them, or nothing (equivocation).
	// Like Send, it gets a read-only View.
	// Messages are authenticated: Forge must return only messages r.ID can
	// sign itself, or relays of what honest processes demonstrably signed —
	// g shows their states, from which such relays are derived. Values is
	// the checked domain. nil: a Byzantine process only stays silent.
	Forge func(r ViewOf[V], values []V, g *GlobalOf[S, V]) []M
}

// HOFilter restricts the HO assignments of one round. The zero value allows
// every assignment. All functions get the system size n and the round.
type HOFilter struct {
	// Name says what the filter requires, for reports.
	Name string
	// Each must hold for every process p's HO set ho.
	Each func(n, round int, p core.NodeID, ho Set) bool
	// Pair must hold for every two processes' HO sets (e.g. "no split
	// rounds": every two HO sets intersect). It is costly to explore: the
	// checker enumerates joint assignments.
	Pair func(n, round int, hp, hq Set) bool
	// Uniform requires every process to hear the same set (space uniform).
	Uniform bool
}

// Any reports whether the filter allows every assignment.
func (f HOFilter) Any() bool { return f.Each == nil && f.Pair == nil && !f.Uniform }

// Allows reports whether one process's HO set passes Each.
func (f HOFilter) Allows(n, round int, p core.NodeID, ho Set) bool {
	return f.Each == nil || f.Each(n, round, p, ho)
}

// Liveness is the communication predicate of an algorithm over int64
// values.
type Liveness[S any] = LivenessOf[S, Value]

// LivenessOf is a communication predicate of the windowed form "there is a
// round r0 where Start holds such that round r0+i's HO assignment satisfies
// Window(n,f)[i] for every i", together with the promise that then every
// correct process has decided by the end of the window.
type LivenessOf[S any, V comparable] struct {
	// Name states the predicate in words.
	Name string
	// Start says where a window may begin (nil: at any round). faulty is
	// the set of Byzantine processes (crashes are not known in advance).
	Start func(n, round int, faulty Set) bool
	// Window gives one filter per round of the window (nil or empty: no
	// liveness promise). Honest senders obey it; Byzantine ones do not.
	Window func(n, f int) []HOFilter
	// Holds is what must be true when a window ends (nil: every correct —
	// neither Byzantine nor crashed — process has decided). Algorithms
	// whose progress is not a decision, such as an eventual leader, state
	// it here.
	Holds func(g *GlobalOf[S, V]) (bool, string)
}

// Global is a global state of an algorithm over int64 values.
type Global[S any] = GlobalOf[S, Value]

// GlobalOf is a global state as properties see it: every process's local
// state, status and input. Byzantine processes' states mean nothing.
type GlobalOf[S any, V comparable] struct {
	N     int
	Round int
	// Values is the checked value domain.
	Values  []V
	States  []S
	Status  []StatusOf[V]
	Inputs  []V
	Faulty  Set // Byzantine processes
	Crashed Set // processes that crashed
	// Format prints a decided value as the algorithm does (its
	// Algorithm.FormatValue; nil: ShowValue), for the reasons properties
	// give.
	Format func(V) string
}

// Show prints a decided value for a property's reason, as the algorithm
// formats it, so that a reason reads like the counterexample beside it.
func (g *GlobalOf[S, V]) Show(v V) string {
	if g.Format != nil {
		return g.Format(v)
	}
	return ShowValue(v)
}

// Honest iterates over the non-Byzantine processes.
func (g *GlobalOf[S, V]) Honest() iter.Seq[core.NodeID] {
	return (All(g.N) &^ g.Faulty).IDs()
}

// IsHonest reports whether p is not Byzantine.
func (g *GlobalOf[S, V]) IsHonest(p int) bool { return !g.Faulty.Has(core.NodeID(p)) }

// Property is a safety property of an algorithm over int64 values.
type Property[S any] = PropertyOf[S, Value]

// PropertyOf is a safety property: a predicate over global states.
type PropertyOf[S any, V comparable] struct {
	Name string
	// StatusOnly declares that Holds reads only N, Status, Inputs, Faulty
	// and Crashed (not States, not Round): the checker then skips it after
	// a step that changed no status, since the parent state passed.
	StatusOnly bool
	// Holds reports whether g satisfies the property; when it does not,
	// the returned string says why (for the counterexample).
	Holds func(g *GlobalOf[S, V]) (bool, string)
}

// Agreement is AgreementOf over int64 values.
func Agreement[S any]() Property[S] { return AgreementOf[S, Value]() }

// Validity is ValidityOf over int64 values.
func Validity[S any]() Property[S] { return ValidityOf[S, Value]() }

// UnanimityValidity is UnanimityValidityOf over int64 values.
func UnanimityValidity[S any]() Property[S] { return UnanimityValidityOf[S, Value]() }

// Irrevocability is IrrevocabilityOf over int64 values.
func Irrevocability[S any]() Property[S] { return IrrevocabilityOf[S, Value]() }

// Consensus is ConsensusOf over int64 values.
func Consensus[S any]() []Property[S] { return ConsensusOf[S, Value]() }

// AgreementOf: no two honest processes decide differently (uniform
// agreement: crashed processes' past decisions count).
func AgreementOf[S any, V comparable]() PropertyOf[S, V] {
	return PropertyOf[S, V]{Name: "agreement", StatusOnly: true, Holds: func(g *GlobalOf[S, V]) (bool, string) {
		var first int
		var v V
		seen := false
		for p := range g.N {
			st := &g.Status[p]
			if !st.Decided || !g.IsHonest(p) {
				continue
			}
			if !seen {
				first, v, seen = p, st.Decision, true
			} else if st.Decision != v {
				return false, fmt.Sprintf("process %d decided %s but process %d decided %s", first, g.Show(v), p, g.Show(st.Decision))
			}
		}
		return true, ""
	}}
}

// ValidityOf: every decision is the input of some process.
func ValidityOf[S any, V comparable]() PropertyOf[S, V] {
	return PropertyOf[S, V]{Name: "validity", StatusOnly: true, Holds: func(g *GlobalOf[S, V]) (bool, string) {
		for p := range g.N {
			st := &g.Status[p]
			if !st.Decided || !g.IsHonest(p) {
				continue
			}
			ok := false
			for q := range g.N {
				if g.Inputs[q] == st.Decision && g.IsHonest(q) {
					ok = true
					break
				}
			}
			if !ok {
				return false, fmt.Sprintf("process %d decided %s, nobody's input", p, g.Show(st.Decision))
			}
		}
		return true, ""
	}}
}

// UnanimityValidityOf: if every honest process has input v, every honest
// decision is v (the validity Byzantine consensus can promise).
func UnanimityValidityOf[S any, V comparable]() PropertyOf[S, V] {
	return PropertyOf[S, V]{Name: "validity", StatusOnly: true, Holds: func(g *GlobalOf[S, V]) (bool, string) {
		var v V
		first := true
		for p := range g.Honest() {
			if first {
				v, first = g.Inputs[p], false
			} else if g.Inputs[p] != v {
				return true, ""
			}
		}
		for p := range g.Honest() {
			if st := g.Status[p]; st.Decided && st.Decision != v {
				return false, fmt.Sprintf("every honest input is %s but process %d decided %s", ShowValue(v), p, g.Show(st.Decision))
			}
		}
		return true, ""
	}}
}

// IrrevocabilityOf: no process ever decides twice with different values
// (integrity of decisions).
func IrrevocabilityOf[S any, V comparable]() PropertyOf[S, V] {
	return PropertyOf[S, V]{Name: "irrevocability", StatusOnly: true, Holds: func(g *GlobalOf[S, V]) (bool, string) {
		for p := range g.N {
			if st := g.Status[p]; st.Revoked && g.IsHonest(p) {
				return false, fmt.Sprintf("process %d decided %s, then %s", p, g.Show(st.Decision), g.Show(st.Other))
			}
		}
		return true, ""
	}}
}

// ConsensusOf is AgreementOf, ValidityOf and IrrevocabilityOf.
func ConsensusOf[S any, V comparable]() []PropertyOf[S, V] {
	return []PropertyOf[S, V]{AgreementOf[S, V](), ValidityOf[S, V](), IrrevocabilityOf[S, V]()}
}
