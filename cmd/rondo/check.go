package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rondo-dev/rondo/check"
	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos/registry"
)

func init() { subcommands = append(subcommands, newCheckCmd) }

// checkNames lists what rondo check knows, the deliberately broken
// variants labelled.
func checkNames() string {
	var names []string
	for _, e := range registry.All() {
		name := e.Name()
		if of, ok := e.Mutant(); ok {
			name += " (deliberately broken " + of + ")"
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}

// checkSummary is the --json object: the Result's fields, and what the
// command did with the counterexamples.
type checkSummary struct {
	*check.Result
	// MutantOf names the library algorithm a deliberately broken variant
	// breaks.
	MutantOf string `json:"mutant_of,omitempty"`
	// Counterexample is where the first counterexample was saved (--trace),
	// TraceError why it could not be.
	Counterexample string `json:"counterexample,omitempty"`
	TraceError     string `json:"trace_error,omitempty"`
	// Property, Reason and Depth describe the first counterexample;
	// Counterexamples every property violated at that depth.
	Property        string           `json:"property,omitempty"`
	Reason          string           `json:"reason,omitempty"`
	Depth           int              `json:"counterexample_rounds,omitempty"`
	Counterexamples []checkViolation `json:"counterexamples,omitempty"`
	// MaxMemory is the bound on the explorer's memory (0: none).
	MaxMemory uint64 `json:"max_memory_bytes"`
}

type checkViolation struct {
	Property string `json:"property"`
	Reason   string `json:"reason"`
	Rounds   int    `json:"rounds"`
}

type checkFlags struct {
	n, rnds, values, k         int
	maxStates                  uint64
	maxMemory                  string
	faults, tracePath          string
	asJSON, noSym, noLive, all bool
}

func newCheckCmd() *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check ALGO",
		Short: "Explore every Heard-Of execution of a round-based algorithm and check its spec",
		Long: `check explores every execution of a round-based algorithm on n processes
for a number of rounds: every initial configuration over the value domain
0..V-1, and every heard-of assignment the fault model allows, round by round:

  no --faults     benign: any message may be lost (any HO sets), restricted
                  only by the algorithm's own safety assumption (uv: no split
                  rounds); crash-model algorithms default to crash=1 and
                  Byzantine ones to byzantine=f for n = 3f+1
  crash=F         synchronous rounds; up to F processes crash, each reaching
                  only some receivers in its last round
  byzantine=F     F processes send any value to each peer separately, but
                  cannot forge another's authenticated message

Safety properties are checked at every distinct global state; termination on
every execution where the algorithm's communication predicate holds. The
exploration stops after the round of the first violation and reports every
property violated there, with the shortest counterexample of the first (all
of them with --all); --trace FILE saves that counterexample as a trace.

The memory the explorer holds is bounded (--max-memory, default 1GiB: under
about 2 GiB of resident memory for the process); so is the number of stored
states with --max-states. A bound hit, or an interrupt, stops the exploration with
the statistics so far.

Exit status: 0 every property held; 1 a property was violated; 2 bad usage;
3 inconclusive (a bound was hit or the check was interrupted before a
verdict).

Algorithms: ` + checkNames(),
		Example: `  rondo check otr -n 4 --rounds 4
  rondo check lastvoting -n 3 --rounds 8 --json
  rondo check floodmin -n 4 --rounds 3 --faults crash=1
  rondo check pbft -n 4 --rounds 6 --faults byzantine=1
  rondo check otr-majority -n 5 --rounds 3 --trace /tmp/cx.trace
  rondo check lastvoting -n 5 --rounds 1000000 --max-memory 512MiB`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("check needs one algorithm name; one of: %s", checkNames())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runCheck(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], f, cmd.Flags().Changed("rounds"))
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&f.n, "nodes", "n", 3, "number of processes")
	fl.IntVar(&f.rnds, "rounds", 0, "rounds every execution runs (default: two phases)")
	fl.IntVar(&f.values, "values", 2, "size of the input domain 0..V-1")
	fl.StringVar(&f.faults, "faults", "", "fault model: crash=F or byzantine=F (default: benign, any HO sets)")
	fl.BoolVar(&f.asJSON, "json", false, "print one JSON summary object")
	fl.StringVar(&f.tracePath, "trace", "", "save the first counterexample as a trace in this file (default: not saved)")
	fl.BoolVar(&f.all, "all", false, "print the counterexample of every property violated, not only the first")
	fl.BoolVar(&f.noSym, "no-symmetry", false, "do not reduce by process symmetry")
	fl.BoolVar(&f.noLive, "no-liveness", false, "check safety only")
	fl.IntVar(&f.k, "k", 2, "k for k-set agreement (kset)")
	fl.Uint64Var(&f.maxStates, "max-states", 0, "stop, inconclusive (exit 3), beyond this many stored states (0: no bound)")
	// 1GiB held by the explorer is 1.5 to 1.8 GiB of resident memory for
	// the process (the garbage collector's headroom on top): enough for
	// every check in the docs, and it fits a laptop.
	fl.StringVar(&f.maxMemory, "max-memory", "1GiB", "stop, inconclusive (exit 3), when the explorer holds more than this (e.g. 512MiB, 4GiB; 0: no bound)")
	return cmd
}

func runCheck(ctx context.Context, stdout, stderr io.Writer, name string, f checkFlags, roundsSet bool) error {
	if f.k < 1 {
		return usagef("--k must be >= 1 (got %d)", f.k)
	}
	e, ok := registry.Lookup(name)
	if !ok {
		return usagef("unknown algorithm %q; rondo check knows: %s", name, checkNames())
	}
	info := e.Info(registry.Defaults())
	if f.n < 1 || f.n > check.MaxN {
		return usagef("-n must be in 1..%d (got %d)", check.MaxN, f.n)
	}
	if f.rnds < 0 {
		return usagef("--rounds must be >= 0 (got %d)", f.rnds)
	}
	if !roundsSet {
		f.rnds = 2 * info.Rounds
	}
	if f.values < 1 || f.values > 64 {
		return usagef("--values must be in 1..64 (got %d)", f.values)
	}
	maxMemory, err := parseBytes(f.maxMemory)
	if err != nil {
		return usagef("--max-memory: %v", err)
	}
	sp, err := fault.Parse(f.faults)
	if err != nil {
		return usagef("--faults: %v", err)
	}
	if sp.Drop != 0 || sp.Dup != 0 || sp.Reorder != 0 || sp.DelayMin != 0 || sp.DelayMax != 0 ||
		sp.Crashes != 0 || sp.Partitions != 0 || len(sp.Schedule) != 0 {
		return usagef("--faults %q: the HO checker explores message loss itself; only crash=F or byzantine=F apply", f.faults)
	}
	if sp.CrashStop > 0 && sp.Byzantine > 0 {
		return usagef("--faults: give crash=F or byzantine=F, not both")
	}
	opt := check.Options{N: f.n, Rounds: f.rnds, Values: f.values, Crash: sp.CrashStop, Byzantine: sp.Byzantine,
		NoSymmetry: f.noSym, NoLiveness: f.noLive, MaxStates: f.maxStates, MaxMemory: maxMemory}
	if f.faults == "" {
		switch info.Model {
		case rounds.Crash:
			opt.Crash = 1
		case rounds.Byzantine:
			opt.Byzantine = (f.n - 1) / 3
		}
	}
	if opt.Crash >= f.n && opt.Crash > 0 || opt.Byzantine >= f.n && opt.Byzantine > 0 {
		return usagef("--faults: %d faulty processes leave no correct one among %d", opt.Crash+opt.Byzantine, f.n)
	}
	prog := newProgressTo(stderr)
	opt.Progress = func(pr check.Progress) {
		prog.update("rondo check %s: round %d/%d, %d states, %d transitions, %s held", name,
			pr.Round, pr.Rounds, pr.States, pr.Transitions, formatBytes(pr.MemoryBytes))
	}
	res, err := e.Check(ctx, registry.Params{F: opt.Crash + opt.Byzantine, K: f.k}, opt)
	prog.done()
	if err != nil && (res == nil || res.Stopped != check.StoppedCanceled) {
		return usagef("%v", err)
	}

	sum := checkSummary{Result: res, MaxMemory: maxMemory}
	sum.MutantOf, _ = e.Mutant()
	var traceErr error
	if cx := res.Counterexample; cx != nil {
		sum.Property, sum.Reason, sum.Depth = cx.Property, cx.Reason, len(cx.Steps)-1
		for _, c := range res.Counterexamples {
			sum.Counterexamples = append(sum.Counterexamples, checkViolation{Property: c.Property, Reason: c.Reason, Rounds: len(c.Steps) - 1})
		}
		if f.tracePath != "" {
			if traceErr = saveCounterexample(f.tracePath, cx, res.Faults); traceErr != nil {
				sum.TraceError = traceErr.Error()
			} else {
				sum.Counterexample, _ = filepath.Abs(f.tracePath)
			}
		}
	}
	if f.asJSON {
		if err := json.NewEncoder(stdout).Encode(sum); err != nil {
			return err
		}
	} else {
		printCheckResult(stdout, sum, f)
	}
	if traceErr != nil {
		// The counterexample is printed above; saving it is what failed.
		fmt.Fprintf(stderr, "rondo: cannot save the counterexample: %v\n", traceErr)
	}
	switch res.Verdict {
	case check.Violated:
		return violationError{res.Violations}
	case check.Inconclusive:
		return inconclusiveError{stoppedReason(res, maxMemory, f.maxStates)}
	}
	return nil
}

func saveCounterexample(path string, cx *check.Counterexample, faults string) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	werr := cx.WriteTrace(file, faults)
	if cerr := file.Close(); werr == nil {
		werr = cerr
	}
	return werr
}

// stoppedReason says in words why an exploration was inconclusive.
func stoppedReason(r *check.Result, maxMemory, maxStates uint64) string {
	at := fmt.Sprintf("after %d of %d rounds", r.RoundsExplored, r.Rounds)
	switch r.Stopped {
	case check.StoppedMaxMemory:
		return fmt.Sprintf("memory bound hit (the explorer held more than --max-memory %s) %s", formatBytes(maxMemory), at)
	case check.StoppedMaxStates:
		return fmt.Sprintf("state bound hit (more than --max-states %d) %s", maxStates, at)
	case check.StoppedCanceled:
		return "interrupted " + at
	}
	return r.Stopped + " " + at
}

func printCheckResult(w io.Writer, sum checkSummary, f checkFlags) {
	r := sum.Result
	for i, cx := range r.Counterexamples {
		if i > 0 && !f.all {
			break
		}
		cx.WriteTable(w)
		fmt.Fprintln(w)
	}
	if sum.Counterexample != "" {
		fmt.Fprintf(w, "counterexample saved to %s (replay it with: rondo trace %s)\n\n", sum.Counterexample, f.tracePath)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	alg := r.Algorithm
	if sum.MutantOf != "" {
		alg += " — a deliberately broken variant of " + sum.MutantOf + ", for demonstration"
	}
	fmt.Fprintf(tw, "algorithm\t%s\n", alg)
	fmt.Fprintf(tw, "system\tn=%d, values 0..%d, faults %s, model %s\n", r.N, r.Values-1, r.Faults, r.Model)
	explored := fmt.Sprintf("%d of %d explored", r.RoundsExplored, r.Rounds)
	switch {
	case r.Verdict == check.Violated && r.RoundsExplored < r.Rounds:
		explored += " (stopped after the round of the first violation)"
	case r.Verdict == check.Inconclusive:
		explored += " (stopped: " + r.Stopped + ")"
	}
	fmt.Fprintf(tw, "rounds\t%s\n", explored)
	sym := ""
	if r.Symmetry {
		sym = ", up to process symmetry"
	}
	fmt.Fprintf(tw, "states\t%d distinct global states%s (%d local states); %d more stored to follow liveness windows\n", r.States, sym, r.LocalStates, r.LivenessStates)
	fmt.Fprintf(tw, "transitions\t%d\n", r.Transitions)
	fmt.Fprintf(tw, "liveness\t%d executions checked to the end of a communication-predicate window\n", r.Windows)
	fmt.Fprintf(tw, "time\t%.2fs (%.0f stored states/s, %.0f transitions/s)\n", r.Seconds, r.StatesPerSec, r.TransitionsPerSec)
	bound := "no bound"
	if sum.MaxMemory > 0 {
		bound = "bound " + formatBytes(sum.MaxMemory)
	}
	fmt.Fprintf(tw, "memory\texplorer %s at most (%s); max RSS of the process %s\n", formatBytes(r.StoreBytes), bound, formatBytes(r.MaxRSSBytes))
	switch r.Verdict {
	case check.Held:
		fmt.Fprintf(tw, "verdict\tevery property held\n")
	case check.Violated:
		fmt.Fprintf(tw, "verdict\tviolated: %s (%d violating state(s) after %d round(s))\n", strings.Join(r.Violated, ", "), r.Violations, sum.Depth)
		for _, c := range sum.Counterexamples {
			fmt.Fprintf(tw, "\t  %s: %s\n", c.Property, c.Reason)
		}
	default:
		fmt.Fprintf(tw, "verdict\tinconclusive: %s; no violation in what was explored\n", stoppedReason(r, sum.MaxMemory, f.maxStates))
	}
	tw.Flush()
}

// parseBytes reads a size: a number of bytes with an optional unit (B, KB,
// MB, GB, KiB, MiB, GiB, TiB).
func parseBytes(s string) (uint64, error) {
	units := []struct {
		suffix string
		mult   uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	t := strings.TrimSpace(s)
	mult := uint64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	x, err := strconv.ParseFloat(t, 64)
	if err != nil || x < 0 || x*float64(mult) >= 1<<63 {
		return 0, fmt.Errorf("%q is not a size (e.g. 512MiB, 2GiB, 0 for no bound)", s)
	}
	return uint64(x * float64(mult)), nil
}

func formatBytes(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}
