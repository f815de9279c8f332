package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/sim"
	"github.com/rondo-dev/rondo/trace"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newSimCmd) }

type simFlags struct {
	instances int
	n         int
	seed      uint64
	runs      int
	faults    string
	tracePath string
	asJSON    bool
	keepGoing bool
	workers   int
	maxTime   time.Duration
	noCodec   bool
}

// simSummary is the --json output of rondo sim.
type simSummary struct {
	Protocol   string       `json:"protocol"`
	Nodes      int          `json:"nodes"`
	Seed       uint64       `json:"seed"`
	Runs       int          `json:"runs"`
	Faults     string       `json:"faults"`
	Properties []string     `json:"properties"`
	Violations int          `json:"violations"`
	FailedRuns int          `json:"failed_runs"`
	Failures   []simFailure `json:"failures"`
	// Finished is false when some run stopped before doing its work (a
	// bound was hit); IncompleteRuns counts those without a violation.
	Finished       bool            `json:"finished"`
	IncompleteRuns int             `json:"incomplete_runs"`
	Incomplete     []simIncomplete `json:"incomplete"`
	TooLarge       int             `json:"messages_too_large"`
	Events         int             `json:"events"`
	MessagesSent   int             `json:"messages_sent"`
	Delivered      int             `json:"messages_delivered"`
	VirtualTimeMs  float64         `json:"virtual_time_ms"`
	WallMs         float64         `json:"wall_ms"`
	TraceDigest    string          `json:"trace_digest"`
	TraceFile      string          `json:"trace_file,omitempty"`
	// Report holds protocol-specific figures (scenario.Report); they are
	// printed as top-level fields beside the standard ones.
	Report map[string]any `json:"-"`
}

// MarshalJSON flattens Report into the summary object.
func (s simSummary) MarshalJSON() ([]byte, error) {
	type plain simSummary
	return flattenReport(plain(s), s.Report)
}

type simIncomplete struct {
	Seed   uint64 `json:"seed"`
	Reason string `json:"reason"`
	Replay string `json:"replay"`
}

type simFailure struct {
	Seed     uint64 `json:"seed"`
	Property string `json:"property"`
	Detail   string `json:"detail"`
	Replay   string `json:"replay"`
}

func newSimCmd() *cobra.Command {
	var f simFlags
	cmd := &cobra.Command{
		Use:   "sim PROTOCOL",
		Short: "Run a protocol in the deterministic simulator and check its properties",
		Long: `Run PROTOCOL on -n simulated nodes in virtual time. Every random choice (fault
draws, each node's Rand, the client workload) comes from --seed, so the same
seed and fault spec replay the same run byte for byte; its trace digest says so.
With --runs K, seeds S..S+K-1 run as a campaign (in parallel; each run is still
a pure function of its seed). Properties are checked after every run; a
violation prints the failing seed, the property and the command that replays it.

` + fault.Help + `

For broadcast, every property holds under any mix of the faults above except
byzantine: crashed nodes are simply not counted as correct, and partitions heal
at the end of their episode (random faults end by window=D, default 2s).`,
		Example: `  rondo sim broadcast -n 5 --seed 7 --faults 'drop=0.2,dup=0.05,delay=1ms..20ms' --json
  rondo sim broadcast -n 5 --runs 1000 --faults 'drop=0.3,crashes=1'
  rondo sim broadcast -n 4 --faults 'partition@500ms={0,1}|{2,3},heal@1.5s' --trace run.trace`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := runContext(cmd.Context(), 0)
			defer stop()
			return runSim(ctx, cmd.OutOrStdout(), args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.instances, "instances", 0, "protocol instances per run, for protocols that run many (round-based consensus; default 3)")
	fl.IntVarP(&f.n, "nodes", "n", 5, "number of nodes")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the (first) run")
	fl.IntVar(&f.runs, "runs", 1, "number of seeded runs (seeds S, S+1, …)")
	fl.StringVar(&f.faults, "faults", "", "fault spec (see above), e.g. 'drop=0.2,crashes=1'")
	fl.StringVar(&f.tracePath, "trace", "", "write the trace of the first failing run (or of the first run) to this file")
	fl.BoolVar(&f.asJSON, "json", false, "print one JSON summary object on stdout")
	fl.BoolVar(&f.keepGoing, "keep-going", false, "run every seed even after a violation")
	fl.IntVar(&f.workers, "workers", 0, "parallel runs (default: one per core)")
	fl.DurationVar(&f.maxTime, "max-time", sim.DefaultMaxTime, "virtual-time bound of each run")
	fl.BoolVar(&f.noCodec, "no-codec", false, "do not round-trip messages through the codec (faster)")
	return cmd
}

func runSim(ctx context.Context, stdout io.Writer, proto string, f simFlags) error {
	sc, err := lookupScenario(proto, f.instances)
	if err != nil {
		return err
	}
	if f.runs < 1 {
		return usagef("--runs must be at least 1, got %d", f.runs)
	}
	if f.maxTime <= 0 {
		return usagef("--max-time must be positive")
	}
	setup, err := sim.NewSetup(sc, f.n, f.faults)
	if err != nil {
		return usageError{err}
	}
	setup.RoundTrip, setup.MaxTime = !f.noCodec, f.maxTime
	if err := setup.Validate(); err != nil {
		return usageError{err}
	}
	if err := setup.CheckWorkload(f.seed); err != nil {
		return usageError{err}
	}
	spec := setup.Faults
	start := time.Now()
	prog := newProgress()
	defer prog.done()
	one := setup
	one.Progress = func(events int, now time.Duration) {
		prog.update("sim %s seed %d: %d events, %v of virtual time", proto, f.seed, events, now.Round(time.Millisecond))
	}

	// The first run is always traced (into a hash, at least): its digest is
	// what tells two runs apart.
	var firstFile *os.File
	if f.tracePath != "" {
		if firstFile, err = os.Create(f.tracePath); err != nil {
			return usagef("cannot write trace: %v", err)
		}
		defer firstFile.Close()
	}
	tw := trace.NewWriter(nilIfNone(firstFile))
	first, err := one.RunOne(ctx, f.seed, tw)
	if err != nil {
		return err
	}
	camp := sim.Campaign{Runs: 1, Events: first.Result.Events, Sent: first.Result.Sent,
		Delivered: first.Result.Delivered, Virtual: first.Result.End}
	tooLarge := first.Result.TooLarge
	if len(first.Violations) > 0 {
		camp.Failures = []sim.Outcome{first}
	} else if first.Incomplete != "" {
		camp.Incomplete = []sim.Outcome{first}
	}
	if f.runs > 1 && (len(first.Violations) == 0 || f.keepGoing) {
		rest, err := setup.RunCampaign(ctx, f.seed+1, f.runs-1, sim.CampaignOptions{
			Workers: f.workers, KeepGoing: f.keepGoing,
			Progress: func(done, failed int) {
				prog.update("sim %s: %d/%d runs, %d failed, %.0f runs/s", proto, done+1, f.runs, failed,
					float64(done+1)/time.Since(start).Seconds())
			},
		})
		if err != nil {
			return err
		}
		camp.Runs += rest.Runs
		camp.Incomplete = append(camp.Incomplete, rest.Incomplete...)
		camp.Events += rest.Events
		camp.Sent += rest.Sent
		camp.Delivered += rest.Delivered
		camp.Virtual += rest.Virtual
		camp.Failures = append(camp.Failures, rest.Failures...)
	}
	wall := time.Since(start)

	// Save the first failure's trace where --trace says, replacing the first
	// run's when that run passed.
	if f.tracePath != "" && len(camp.Failures) > 0 && camp.Failures[0].Seed != f.seed {
		firstFile.Close()
		file, err := os.Create(f.tracePath)
		if err != nil {
			return usagef("cannot write trace: %v", err)
		}
		if _, err := setup.RunOne(ctx, camp.Failures[0].Seed, trace.NewWriter(file)); err != nil {
			file.Close()
			return err
		}
		if err := file.Close(); err != nil {
			return fmt.Errorf("writing trace: %w", err)
		}
	}

	sum := simSummary{
		Protocol: proto, Nodes: f.n, Seed: f.seed, Runs: camp.Runs, Faults: spec.String(),
		Properties: sc.Properties, Failures: []simFailure{},
		Events: camp.Events, MessagesSent: camp.Sent, Delivered: camp.Delivered,
		VirtualTimeMs: float64(camp.Virtual) / float64(time.Millisecond),
		WallMs:        float64(wall) / float64(time.Millisecond),
		TraceDigest:   tw.Digest(), TraceFile: f.tracePath,
		FailedRuns: len(camp.Failures),
		Finished:   len(camp.Incomplete) == 0, IncompleteRuns: len(camp.Incomplete),
		Incomplete: []simIncomplete{}, TooLarge: tooLarge,
	}
	for _, o := range camp.Incomplete {
		if len(sum.Incomplete) == 10 {
			break
		}
		sum.Incomplete = append(sum.Incomplete, simIncomplete{Seed: o.Seed, Reason: o.Incomplete, Replay: replayCommand(proto, f, spec, o.Seed)})
	}
	if sc.Report != nil {
		sum.Report = sc.Report(first.Result.History)
	}
	for _, o := range camp.Failures {
		sum.Violations += len(o.Violations)
		for _, v := range o.Violations {
			sum.Failures = append(sum.Failures, simFailure{Seed: o.Seed, Property: v.Property,
				Detail: v.Detail, Replay: replayCommand(proto, f, spec, o.Seed)})
		}
	}
	if f.asJSON {
		if err := printJSON(stdout, sum); err != nil {
			return err
		}
	} else {
		printSimHuman(stdout, sum, first)
	}
	if len(camp.Failures) > 0 {
		return violationError{sum.Violations}
	}
	if len(camp.Incomplete) > 0 {
		return inconclusiveError{fmt.Sprintf("%d run(s) did not finish", len(camp.Incomplete))}
	}
	return nil
}

// nilIfNone keeps a nil *os.File from becoming a non-nil io.Writer.
func nilIfNone(f *os.File) io.Writer {
	if f == nil {
		return nil
	}
	return f
}

func replayCommand(proto string, f simFlags, spec fault.Spec, seed uint64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rondo sim %s -n %d --seed %d", proto, f.n, seed)
	if s := spec.String(); s != "none" {
		fmt.Fprintf(&b, " --faults '%s'", s)
	}
	if f.maxTime != sim.DefaultMaxTime {
		fmt.Fprintf(&b, " --max-time %s", f.maxTime)
	}
	if f.noCodec {
		b.WriteString(" --no-codec")
	}
	b.WriteString(" --trace seed.trace")
	return b.String()
}

func printSimHuman(w io.Writer, s simSummary, first sim.Outcome) {
	fmt.Fprintf(w, "sim %s: %d nodes, faults %s\n", s.Protocol, s.Nodes, s.Faults)
	r := first.Result
	end := "quiescent"
	switch {
	case r.HitMaxPending:
		end = "stopped: too many pending events"
	case r.HitMaxEvents:
		end = "stopped at the event bound"
	case !r.Quiescent:
		end = "stopped at the time bound"
	}
	fmt.Fprintf(w, "  seed %d: %d events in %v virtual time, %d messages sent, %d delivered, %d dropped; %s\n",
		first.Seed, r.Events, r.End.Round(time.Microsecond), r.Sent, r.Delivered, r.Dropped, end)
	if r.TooLarge > 0 {
		fmt.Fprintf(w, "  %d message(s) refused: larger than the %d-byte frame limit\n", r.TooLarge, core.MaxMessageSize)
	}
	if s.Runs > 1 {
		fmt.Fprintf(w, "  %d runs (seeds %d..%d): %d events, %.0f runs/s of wall time\n",
			s.Runs, s.Seed, s.Seed+uint64(s.Runs)-1, s.Events, float64(s.Runs)/(s.WallMs/1000))
	}
	printReport(w, s.Report)
	fmt.Fprintf(w, "  trace digest %s\n", s.TraceDigest)
	if s.TraceFile != "" {
		fmt.Fprintf(w, "  trace written to %s\n", s.TraceFile)
	}
	if len(s.Failures) == 0 && s.IncompleteRuns > 0 {
		fmt.Fprintf(w, "INCONCLUSIVE: %d run(s) stopped before finishing their work (no property was violated in what ran):\n", s.IncompleteRuns)
		for _, in := range s.Incomplete {
			fmt.Fprintf(w, "  seed %d: %s\n", in.Seed, in.Reason)
		}
		fmt.Fprintf(w, "replay the first with:\n  %s\n", s.Incomplete[0].Replay)
		return
	}
	if len(s.Failures) == 0 {
		fmt.Fprintf(w, "ok: %s held in every run\n", strings.Join(s.Properties, ", "))
		return
	}
	fmt.Fprintf(w, "VIOLATED in %d run(s):\n", s.FailedRuns)
	shown := 0
	for _, v := range s.Failures {
		if shown == 10 {
			fmt.Fprintf(w, "  … and %d more\n", len(s.Failures)-shown)
			break
		}
		fmt.Fprintf(w, "  seed %d: %s: %s\n", v.Seed, v.Property, v.Detail)
		shown++
	}
	fmt.Fprintf(w, "replay the first with:\n  %s\n", s.Failures[0].Replay)
}

// printJSON writes v as one line of JSON: --json output is exactly one object.
func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}
