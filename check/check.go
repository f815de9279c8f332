// Package check holds Rondo's checkers. This file's checker explores
// round-based algorithms (package rounds) in the Heard-Of model: starting
// from every initial configuration over a small value domain, it enumerates
// every heard-of assignment the fault model allows, round by round, checks
// the algorithm's safety properties at every distinct global state and its
// liveness promise on every execution where its communication predicate
// holds, and returns the shortest counterexample of every property violated
// at the depth of the first violation.
//
// It takes any rounds.Algorithm through the public API: nothing in it knows
// the algorithms of rounds/algos.
//
// The exploration is split where its concerns meet:
//
//   - explore.go drives it: breadth-first by round, one layer of stored
//     global states per round, with its bounds, cancellation and progress;
//   - intern.go numbers distinct local states and messages;
//   - ho.go enumerates the heard-of assignments the fault model and the
//     filters (safety assumption, liveness window) allow;
//   - successors.go computes what processes send and what each may become,
//     and emits the successor global states;
//   - properties.go judges a global state: safety, and liveness at the end
//     of a window;
//   - counterexample.go rebuilds the execution leading to a violation, and
//     report.go prints it as a table or saves it as a trace.
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
	"context"
	"fmt"
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
	// MaxStates stops the exploration, inconclusive, once it stores more
	// than this many global states (0: no bound).
	MaxStates uint64
	// MaxMemory stops the exploration, inconclusive, once the memory it
	// holds (Result.StoreBytes: stored states, parent links, hash tables,
	// interned states and caches) exceeds this many bytes (0: no bound).
	// It is the explorer's own account, so where a bound stops is the same
	// on every run; the process's resident memory is about 1.5 to 2 times
	// as much (the garbage collector's headroom).
	MaxMemory uint64
	// Progress, when set, is called after each round and about once a
	// second in between. The caller decides how to show it.
	Progress func(Progress)
}

// Progress is where a running exploration is.
type Progress struct {
	// Round is the round being explored (counted from 1) of Rounds.
	Round, Rounds int
	// States is how many global states are stored so far, Transitions how
	// many successors were generated.
	States, Transitions uint64
	// MemoryBytes is what the explorer holds (Result.StoreBytes).
	MemoryBytes uint64
	Elapsed     time.Duration
}

// MaxN is the largest system the checker explores.
const MaxN = 8

// Verdicts of an exploration (Result.Verdict).
const (
	// Held: every property held on every execution explored, to the end.
	Held = "held"
	// Violated: some property was violated (see Result.Violated).
	Violated = "violated"
	// Inconclusive: a bound or a cancellation stopped the exploration
	// before a verdict (see Result.Stopped).
	Inconclusive = "inconclusive"
)

// Reasons an exploration stopped early without a verdict (Result.Stopped).
const (
	StoppedMaxStates = "max-states"
	StoppedMaxMemory = "max-memory"
	StoppedCanceled  = "canceled"
)

// Result summarises an exploration.
type Result struct {
	Algorithm string `json:"algorithm"`
	N         int    `json:"n"`
	// Rounds is how many rounds were asked for, RoundsExplored how many
	// were explored in full (fewer when a violation or a bound stopped the
	// exploration).
	Rounds         int    `json:"rounds"`
	RoundsExplored int    `json:"rounds_explored"`
	Values         int    `json:"values"`
	Model          string `json:"model"`
	Faults         string `json:"faults"`
	Symmetry       bool   `json:"symmetry"`
	// Verdict is Held, Violated or Inconclusive.
	Verdict string `json:"verdict"`
	// States counts distinct global states: (round, configuration) pairs,
	// the initial ones included; up to symmetry when Symmetry is set.
	States uint64 `json:"states"`
	// LivenessStates counts the states stored while following a
	// communication-predicate window (a configuration reached inside a
	// window is stored once more per window position, to know where the
	// window is); they are not distinct global states.
	LivenessStates uint64 `json:"liveness_states"`
	// Transitions counts generated (state, successor) pairs.
	Transitions uint64 `json:"transitions"`
	// LocalStates counts distinct local states (interned).
	LocalStates int `json:"local_states"`
	// Windows counts global states at which a liveness window was checked
	// to its end.
	Windows uint64 `json:"liveness_checks"`
	// Violations counts the violating states found at the depth of the
	// first violation; Violated names the properties they violate, in the
	// order they were first found.
	Violations int      `json:"violations"`
	Violated   []string `json:"violated"`
	// Complete is true when every execution of Rounds rounds was explored.
	Complete bool `json:"complete"`
	// Stopped says why an inconclusive exploration stopped (StoppedMaxStates,
	// StoppedMaxMemory or StoppedCanceled).
	Stopped           string  `json:"stopped,omitempty"`
	Seconds           float64 `json:"seconds"`
	StatesPerSec      float64 `json:"states_per_sec"`
	TransitionsPerSec float64 `json:"transitions_per_sec"`
	// MaxRSSBytes is the peak resident memory of the whole process
	// (getrusage), the exploration included; 0 where the system does not
	// report it.
	MaxRSSBytes uint64 `json:"max_rss_bytes"`
	// StoreBytes is the most memory the explorer held at once: stored
	// states and parent links of every round, hash tables, interned states
	// and caches.
	StoreBytes uint64 `json:"store_bytes"`
	// Counterexamples holds the shortest execution violating each property
	// of Violated, in the same order; Counterexample is the first (nil:
	// none).
	Counterexamples []*Counterexample `json:"-"`
	Counterexample  *Counterexample   `json:"-"`
}

// Run explores alg with the given options. An error means the options or
// the algorithm are unusable, or ctx was canceled (the partial Result is
// returned with it, Stopped = StoppedCanceled); a violation is a Result,
// and so is a bound hit (Verdict Inconclusive).
func Run[S comparable, M comparable](ctx context.Context, alg *rounds.Algorithm[S, M], opt Options) (*Result, error) {
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
	e := newExplorer(ctx, alg, opt)
	start := time.Now()
	e.run()
	res := e.result(time.Since(start))
	if res.Stopped == StoppedCanceled {
		return res, fmt.Errorf("check: exploration canceled after %d of %d rounds: %w", res.RoundsExplored, opt.Rounds, context.Cause(ctx))
	}
	return res, nil
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
	fmt.Fprintf(&b, "%s n=%d rounds=%d/%d values=%d faults=%s: %s; %d states (+%d liveness), %d transitions, %d local states in %.2fs (%.0f states/s, %.0f transitions/s)",
		r.Algorithm, r.N, r.RoundsExplored, r.Rounds, r.Values, r.Faults, r.Verdict, r.States, r.LivenessStates, r.Transitions, r.LocalStates, r.Seconds, r.StatesPerSec, r.TransitionsPerSec)
	if len(r.Violated) > 0 {
		fmt.Fprintf(&b, ", %d violating state(s) of %s", r.Violations, strings.Join(r.Violated, ", "))
	}
	if r.Stopped != "" {
		fmt.Fprintf(&b, ", stopped: %s", r.Stopped)
	}
	return b.String()
}
