package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rondo-dev/rondo/check"
	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
)

func init() { subcommands = append(subcommands, newCheckCmd) }

// checkTarget is one algorithm the HO checker can explore, with its type
// parameters erased: f is the fault count (for algorithms built for a given
// f, such as FloodMin).
type checkTarget struct {
	info   rounds.Info
	broken bool
	run    func(f int, opt check.Options) (*check.Result, error)
}

func target[S comparable, M comparable](mk func(f int) *rounds.Algorithm[S, M], broken bool) checkTarget {
	return checkTarget{
		info:   mk(1).Info(),
		broken: broken,
		run: func(f int, opt check.Options) (*check.Result, error) {
			return check.Run(mk(f), opt)
		},
	}
}

func fixed[S comparable, M comparable](mk func() *rounds.Algorithm[S, M]) func(int) *rounds.Algorithm[S, M] {
	return func(int) *rounds.Algorithm[S, M] { return mk() }
}

// checkTargets lists what rondo check knows, the broken variants included
// (they exist to show what a counterexample looks like).
func checkTargets() map[string]checkTarget { return checkTargetsK(2) }

// checkTargetsK builds the list with k for k-set agreement.
func checkTargetsK(k int) map[string]checkTarget {
	ts := []checkTarget{
		target(fixed(algos.OTR), false),
		target(fixed(algos.UniformVoting), false),
		target(fixed(algos.LastVoting), false),
		target(fixed(algos.ShortLastVoting), false),
		target(fixed(algos.BenOr), false),
		target(algos.FloodMin, false),
		target(func(f int) *rounds.Algorithm[algos.KSetState, algos.KSetMsg] { return algos.KSet(k, f) }, false),
		target(algos.LatticeAgreement, false),
		target(fixed(algos.TwoPC), false),
		target(algos.ERB, false),
		target(func(int) *rounds.Algorithm[algos.EpsilonState, algos.EpsilonMsg] { return algos.Epsilon(3) }, false),
		target(fixed(algos.Leader), false),
		target(fixed(algos.PBFT), false),
		target(fixed(algos.BrokenOTRMajority), true),
		target(fixed(algos.BrokenLastVotingNoTimestamps), true),
		target(fixed(algos.BrokenPBFTQuorum2f), true),
	}
	m := make(map[string]checkTarget, len(ts))
	for _, t := range ts {
		m[t.info.Name] = t
	}
	return m
}

func checkNames(ts map[string]checkTarget) string {
	var names []string
	for n, t := range ts {
		if t.broken {
			n += " (broken)"
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// checkSummary is the --json object.
type checkSummary struct {
	*check.Result
	Counterexample string `json:"counterexample,omitempty"`
	Property       string `json:"property,omitempty"`
	Reason         string `json:"reason,omitempty"`
	Depth          int    `json:"counterexample_rounds,omitempty"`
}

func newCheckCmd() *cobra.Command {
	var (
		n, rnds, values, maxStates, k int
		faults, tracePath             string
		asJSON, noSym, noLive         bool
	)
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
every execution where the algorithm's communication predicate holds. On a
violation it prints the shortest counterexample as a table of rounds, saves it
as a trace (--trace) and exits 1.

Algorithms: ` + checkNames(checkTargets()),
		Example: `  rondo check otr -n 4 --rounds 4
  rondo check lastvoting -n 3 --rounds 8 --json
  rondo check floodmin -n 4 --rounds 3 --faults crash=1
  rondo check pbft -n 4 --rounds 6 --faults byzantine=1
  rondo check otr-majority -n 5 --rounds 3 --trace /tmp/cx.trace`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("check needs one algorithm name; one of: %s", checkNames(checkTargets()))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if k < 1 {
				return usagef("--k must be >= 1 (got %d)", k)
			}
			ts := checkTargetsK(k)
			t, ok := ts[args[0]]
			if !ok {
				return usagef("unknown algorithm %q; rondo check knows: %s", args[0], checkNames(ts))
			}
			if n < 1 || n > check.MaxN {
				return usagef("-n must be in 1..%d (got %d)", check.MaxN, n)
			}
			if rnds < 0 {
				return usagef("--rounds must be >= 0 (got %d)", rnds)
			}
			if !cmd.Flags().Changed("rounds") {
				rnds = 2 * t.info.Rounds
			}
			if values < 1 || values > 64 {
				return usagef("--values must be in 1..64 (got %d)", values)
			}
			sp, err := fault.Parse(faults)
			if err != nil {
				return usagef("--faults: %v", err)
			}
			if sp.Drop != 0 || sp.Dup != 0 || sp.Reorder != 0 || sp.DelayMin != 0 || sp.DelayMax != 0 ||
				sp.Crashes != 0 || sp.Partitions != 0 || len(sp.Schedule) != 0 {
				return usagef("--faults %q: the HO checker explores message loss itself; only crash=F or byzantine=F apply", faults)
			}
			if sp.CrashStop > 0 && sp.Byzantine > 0 {
				return usagef("--faults: give crash=F or byzantine=F, not both")
			}
			opt := check.Options{N: n, Rounds: rnds, Values: values, Crash: sp.CrashStop, Byzantine: sp.Byzantine,
				NoSymmetry: noSym, NoLiveness: noLive, MaxStates: maxStates}
			if faults == "" {
				switch t.info.Model {
				case rounds.Crash:
					opt.Crash = 1
				case rounds.Byzantine:
					opt.Byzantine = (n - 1) / 3
				}
			}
			if opt.Crash >= n && opt.Crash > 0 || opt.Byzantine >= n && opt.Byzantine > 0 {
				return usagef("--faults: %d faulty processes leave no correct one among %d", opt.Crash+opt.Byzantine, n)
			}
			if isTerminal(os.Stdout) && isTerminal(os.Stderr) {
				opt.Progress = os.Stderr
			}
			f := opt.Crash + opt.Byzantine
			res, err := t.run(f, opt)
			if err != nil {
				return usagef("%v", err)
			}
			w := cmd.OutOrStdout()
			sum := checkSummary{Result: res}
			if cx := res.Counterexample; cx != nil {
				if tracePath == "" {
					tracePath = "rondo-counterexample.trace"
				}
				abs, _ := filepath.Abs(tracePath)
				file, err := os.Create(tracePath)
				if err != nil {
					return fmt.Errorf("saving the counterexample: %w", err)
				}
				werr := cx.WriteTrace(file, res.Faults)
				if cerr := file.Close(); werr == nil {
					werr = cerr
				}
				if werr != nil {
					return fmt.Errorf("saving the counterexample: %w", werr)
				}
				sum.Counterexample, sum.Property, sum.Reason, sum.Depth = abs, cx.Property, cx.Reason, len(cx.Steps)-1
				if !asJSON {
					cx.WriteTable(w)
					fmt.Fprintf(w, "\ncounterexample saved to %s (replay it with: rondo trace %s)\n\n", abs, tracePath)
				}
			}
			if asJSON {
				enc := json.NewEncoder(w)
				if err := enc.Encode(sum); err != nil {
					return err
				}
			} else {
				printCheckSummary(w, res)
			}
			if res.Violations > 0 {
				return violationError{res.Violations}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&n, "nodes", "n", 3, "number of processes")
	fl.IntVar(&rnds, "rounds", 0, "rounds every execution runs (default: two phases)")
	fl.IntVar(&values, "values", 2, "size of the input domain 0..V-1")
	fl.StringVar(&faults, "faults", "", "fault model: crash=F or byzantine=F (default: benign, any HO sets)")
	fl.BoolVar(&asJSON, "json", false, "print one JSON summary object")
	fl.StringVar(&tracePath, "trace", "", "where to save a counterexample (default ./rondo-counterexample.trace)")
	fl.BoolVar(&noSym, "no-symmetry", false, "do not reduce by process symmetry")
	fl.BoolVar(&noLive, "no-liveness", false, "check safety only")
	fl.IntVar(&k, "k", 2, "k for k-set agreement (kset)")
	fl.IntVar(&maxStates, "max-states", 0, "give up beyond this many distinct states (0: no limit)")
	return cmd
}

func printCheckSummary(w interface{ Write([]byte) (int, error) }, r *check.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	verdict := "every property held"
	if r.Violations > 0 {
		verdict = fmt.Sprintf("%d violating state(s) in the last round explored", r.Violations)
	}
	fmt.Fprintf(tw, "algorithm\t%s (n=%d, %d rounds, values 0..%d, faults %s, model %s)\n", r.Algorithm, r.N, r.Rounds, r.Values-1, r.Faults, r.Model)
	fmt.Fprintf(tw, "states\t%d distinct global states (%d local states)%s\n", r.States, r.LocalStates, map[bool]string{true: ", up to process symmetry", false: ""}[r.Symmetry])
	fmt.Fprintf(tw, "transitions\t%d\n", r.Transitions)
	fmt.Fprintf(tw, "liveness\t%d executions checked to the end of a communication-predicate window\n", r.Windows)
	fmt.Fprintf(tw, "time\t%.2fs (%.0f states/s, %.0f transitions/s), peak heap %.1f MiB\n", r.Seconds, r.StatesPerSec, r.TransitionsPerSec, float64(r.MemoryBytes)/(1<<20))
	fmt.Fprintf(tw, "verdict\t%s\n", verdict)
	tw.Flush()
}
