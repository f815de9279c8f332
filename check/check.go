// Package check holds Rondo's checkers. This file's checker explores
// round-based algorithms (package rounds) in the Heard-Of model: starting
// from every initial configuration over a small value domain, it enumerates
// every heard-of assignment the fault model allows, round by round, checks
// the algorithm's safety properties at every distinct global state and its
// liveness promise on every execution where its communication predicate
// holds, and returns the shortest counterexample when one fails.
//
// It takes any rounds.Algorithm through the public API: nothing in it knows
// the algorithms of rounds/algos.
//
// What makes it fast (see docs/rounds.md for figures):
//
//   - local states are interned: a global state is n small integers, stored
//     once per round layer in a flat array and deduplicated through an
//     open-addressing table of indices (no per-state allocation);
//   - successors are built per process: a process's next state depends only
//     on its own state and mailbox, so for each process the checker computes
//     the distinct mailboxes it may receive, then the distinct next states
//     (memoised per round on (local state, mailbox)), and only then takes the
//     product over processes;
//   - symmetry: an algorithm that declares itself Symmetric is explored up to
//     permutations of processes (a global state is stored as its sorted
//     vector of local states, which carry their input and fault flags);
//   - breadth-first by round, keeping parent links only, so the first
//     violation found is on a shortest execution, which is then rebuilt with
//     its HO sets and messages;
//   - coins (rounds.Ctx.Coin) are explored exhaustively: an update that
//     flips coins yields one next state per outcome.
package check

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rondo-dev/rondo/rounds"
)

// Options configures one exploration.
type Options struct {
	// N is the number of processes (1..MaxN).
	N int
	// Rounds is how many rounds every execution runs.
	Rounds int
	// Values is the size of the input domain 0..Values-1 (0 means 2).
	Values int
	// Crash is the number of crash-stop faults (synchronous rounds with
	// crashes, the crash model); Byzantine the number of Byzantine
	// processes. Both zero: the benign model, any HO sets.
	Crash, Byzantine int
	// NoSymmetry turns symmetry reduction off even for symmetric
	// algorithms.
	NoSymmetry bool
	// NoLiveness skips the communication-predicate windows.
	NoLiveness bool
	// MaxStates stops the exploration (with an error) beyond this many
	// distinct states (0: no limit).
	MaxStates int
	// Progress, when set, gets a progress line (ending in '\r') after each
	// round layer and about once a second.
	Progress io.Writer
}

// MaxN is the largest system the checker explores.
const MaxN = 8

// Result summarises an exploration.
type Result struct {
	Algorithm string `json:"algorithm"`
	N         int    `json:"n"`
	Rounds    int    `json:"rounds"`
	Values    int    `json:"values"`
	Model     string `json:"model"`
	Faults    string `json:"faults"`
	Symmetry  bool   `json:"symmetry"`
	// States counts distinct global states (per round: the same
	// configuration at two rounds counts twice), initial ones included.
	States uint64 `json:"states"`
	// Transitions counts generated (state, successor) pairs.
	Transitions uint64 `json:"transitions"`
	// LocalStates counts distinct local states (interned).
	LocalStates int `json:"local_states"`
	// Windows counts global states at which a liveness window was checked
	// to its end.
	Windows    uint64 `json:"liveness_checks"`
	Violations int    `json:"violations"`
	// Complete is false when a violation stopped the exploration early.
	Complete          bool    `json:"complete"`
	Seconds           float64 `json:"seconds"`
	StatesPerSec      float64 `json:"states_per_sec"`
	TransitionsPerSec float64 `json:"transitions_per_sec"`
	// MemoryBytes is the peak heap in use, sampled after every round.
	MemoryBytes uint64 `json:"memory_bytes"`
	// StoreBytes is what the stored global states themselves take (state
	// vectors and parent links of every round layer).
	StoreBytes uint64 `json:"store_bytes"`
	// Counterexample is the shortest violating execution (nil: none).
	Counterexample *Counterexample `json:"-"`
}

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

// Step is one round of a counterexample and the state it led to.
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
	States  []string
	Status  []rounds.Status
	Inputs  []rounds.Value
	Faulty  rounds.Set
	Crashed rounds.Set
}

// Run explores alg with the given options.
func Run[S comparable, M comparable](alg *rounds.Algorithm[S, M], opt Options) (*Result, error) {
	if err := alg.Validate(); err != nil {
		return nil, err
	}
	if opt.N < 1 || opt.N > MaxN {
		return nil, fmt.Errorf("check: n must be in 1..%d, got %d", MaxN, opt.N)
	}
	if opt.Rounds < 0 {
		return nil, fmt.Errorf("check: rounds must be >= 0, got %d", opt.Rounds)
	}
	if opt.Values == 0 {
		opt.Values = 2
	}
	if opt.Values < 1 || opt.Values > 64 {
		return nil, fmt.Errorf("check: values must be in 1..64, got %d", opt.Values)
	}
	if opt.Crash < 0 || opt.Byzantine < 0 || opt.Crash > 0 && opt.Byzantine > 0 {
		return nil, fmt.Errorf("check: give crash=F or byzantine=F, not both")
	}
	if opt.Crash >= opt.N && opt.Crash > 0 || opt.Byzantine >= opt.N && opt.Byzantine > 0 {
		return nil, fmt.Errorf("check: %d faults leave no correct process among %d", opt.Crash+opt.Byzantine, opt.N)
	}
	e := newExplorer(alg, opt)
	start := time.Now()
	err := e.run()
	res := e.result(time.Since(start))
	return res, err
}

func faultString(opt Options) string {
	switch {
	case opt.Crash > 0:
		return fmt.Sprintf("crash=%d", opt.Crash)
	case opt.Byzantine > 0:
		return fmt.Sprintf("byzantine=%d", opt.Byzantine)
	}
	return "none"
}

// String is a one-line summary.
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s n=%d rounds=%d values=%d faults=%s: %d states, %d transitions, %d local states in %.2fs (%.0f states/s, %.0f transitions/s), %d violation(s)",
		r.Algorithm, r.N, r.Rounds, r.Values, r.Faults, r.States, r.Transitions, r.LocalStates, r.Seconds, r.StatesPerSec, r.TransitionsPerSec, r.Violations)
	return b.String()
}
