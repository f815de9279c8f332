package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/scenario"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newRunCmd) }

type runFlags struct {
	instances int
	n         int
	seed      uint64
	faults    string
	timeout   time.Duration
	asJSON    bool
	http      string
	verbose   bool
}

// runSummary is the --json output of rondo run.
type runSummary struct {
	Protocol         string               `json:"protocol"`
	Nodes            int                  `json:"nodes"`
	Faults           string               `json:"faults"`
	Seed             uint64               `json:"seed"`
	Properties       []string             `json:"properties"`
	Violations       int                  `json:"violations"`
	Failures         []scenario.Violation `json:"failures"`
	Inputs           int                  `json:"inputs"`
	InputsLost       int                  `json:"inputs_lost"`
	Outputs          int                  `json:"outputs"`
	Crashed          []core.NodeID        `json:"crashed"`
	MessagesSent     uint64               `json:"messages_sent"`
	BytesSent        uint64               `json:"bytes_sent"`
	MessagesReceived uint64               `json:"messages_received"`
	MessagesDropped  uint64               `json:"messages_dropped"`
	Finished         bool                 `json:"finished"`
	// Unjudged lists the liveness properties a run stopped at --timeout was
	// too short to judge.
	Unjudged []string       `json:"unjudged"`
	WallMs   float64        `json:"wall_ms"`
	Report   map[string]any `json:"-"`
}

// MarshalJSON flattens Report into the summary object, as rondo sim does.
func (s runSummary) MarshalJSON() ([]byte, error) {
	type plain runSummary
	return flattenReport(plain(s), s.Report)
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run PROTOCOL",
		Short: "Run a protocol on real TLS connections over loopback, in one process",
		Long: `Run PROTOCOL on -n nodes in this process, each with its own goroutine and its
own TLS 1.3 listener on a loopback port the OS picks, authenticated by a
certificate authority made in memory for this run (no files needed). The
protocol's workload is handed to the nodes at its times (drawn from --seed, as
rondo sim draws it); faults are injected in the transport; the run stops when
everything the protocol waits for has happened, or at --timeout, and the same
properties rondo sim checks are checked on what the nodes output.

Faults the real runtime injects, from the same fault spec as rondo sim
(times are wall-clock from the start of the run):
  drop, dup, delay      per message, at the sender
  reorder               a message is held back past the delay range
  partition@, heal@,    node pairs are cut in the transport, both ways
  partitions=K
  crash@, restart@,     a node's goroutine, timers and connections stop;
  crashes=K, crash=F    a restart builds a new process on the same Storage
byzantine=F is refused (use rondo sim).

` + fault.Help + `

Exit status: 0 = the workload finished and every property held, 1 = a
property was violated (each violation printed), 2 = bad usage (unknown
protocol, bad or uninjectable fault spec, faults or inputs after --timeout),
3 = inconclusive: the run stopped at --timeout before its workload finished.`,
		Example: `  rondo run broadcast -n 5 --json
  rondo run broadcast -n 4 --faults 'drop=0.2,delay=1ms..10ms,partition@500ms={0,1}|{2,3},heal@1s'
  rondo run broadcast --faults 'crash@300ms=2,restart@900ms=2' --http 127.0.0.1:9090`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := runContext(cmd.Context(), 0)
			defer stop()
			return runRun(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], f, cmd.Flags().Changed("nodes"))
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.instances, "instances", 0, "protocol instances per run, for protocols that run many (round-based consensus; default 3)")
	fl.IntVarP(&f.n, "nodes", "n", 3, "number of nodes (default 3, or the protocol's minimum if larger)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the workload, the fault plan and each node's Rand")
	fl.StringVar(&f.faults, "faults", "", "fault spec (see above), e.g. 'drop=0.2,crash@500ms=1'")
	fl.DurationVar(&f.timeout, "timeout", cluster.DefaultTimeout, "stop the run after this long if it has not finished")
	fl.BoolVar(&f.asJSON, "json", false, "print one JSON summary object on stdout")
	fl.StringVar(&f.http, "http", "", "serve /metrics and /debug/pprof/ on this address (e.g. 127.0.0.1:9090)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log connections and faults on stderr (default: warnings only)")
	return cmd
}

func runRun(ctx context.Context, stdout, stderr io.Writer, proto string, f runFlags, nSet bool) error {
	sc, err := lookupScenario(proto, f.instances)
	if err != nil {
		return err
	}
	if !nSet {
		f.n = max(f.n, sc.MinNodes)
	}
	if f.timeout <= 0 {
		return usagef("--timeout must be positive, got %v", f.timeout)
	}
	spec, err := fault.Parse(f.faults)
	if err != nil {
		return usageError{err}
	}
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg := cluster.LocalConfig{Scenario: sc, N: f.n, Faults: spec, Seed: f.seed, Timeout: f.timeout, Logger: log}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	if f.http != "" {
		reg := prometheus.NewRegistry()
		srv, err := cluster.ServeDebug(f.http, prometheus.Gatherers{cluster.ProcessRegistry(), reg}, log)
		if err != nil {
			return usagef("--http %s: %w", f.http, err)
		}
		defer srv.Close()
		cfg.Registerer = reg
	}
	prog := newProgress()
	cfg.Progress = func(outputs int, wall time.Duration) {
		prog.update("run %s: %d nodes, %d outputs after %v", proto, f.n, outputs, wall.Round(time.Second))
	}
	res, err := cluster.RunLocal(ctx, cfg)
	prog.done()
	if err != nil {
		return err
	}
	h := res.History
	sum := runSummary{
		Protocol: proto, Nodes: f.n, Faults: spec.String(), Seed: f.seed,
		Properties: sc.Properties, Failures: []scenario.Violation{},
		Inputs: len(res.Inputs), InputsLost: h.Lost, Crashed: []core.NodeID{},
		MessagesSent: res.Stats.MessagesSent, BytesSent: res.Stats.BytesSent,
		MessagesReceived: res.Stats.MessagesReceived, MessagesDropped: res.Stats.MessagesDropped,
		Finished: res.Finished, WallMs: float64(res.Wall) / float64(time.Millisecond),
	}
	for _, o := range h.Observations {
		if o.Output {
			sum.Outputs++
		}
	}
	for id, c := range h.Crashed {
		if c {
			sum.Crashed = append(sum.Crashed, core.NodeID(id))
		}
	}
	vs, unjudged := sc.Judge(h, res.Finished)
	sum.Failures = append(sum.Failures, vs...)
	sum.Unjudged = append([]string{}, unjudged...)
	sum.Violations = len(sum.Failures)
	if sc.Report != nil {
		sum.Report = sc.Report(h)
	}
	if f.asJSON {
		if err := printJSON(stdout, sum); err != nil {
			return err
		}
	} else {
		printRunHuman(stdout, sum)
	}
	if sum.Violations > 0 {
		return violationError{sum.Violations}
	}
	if !sum.Finished {
		return inconclusiveError{"the run stopped at --timeout before its workload finished"}
	}
	return nil
}

func printRunHuman(w io.Writer, s runSummary) {
	fmt.Fprintf(w, "run %s: %d nodes over loopback TLS, seed %d, faults %s\n", s.Protocol, s.Nodes, s.Seed, s.Faults)
	state := "finished"
	if !s.Finished {
		state = "stopped at the timeout"
	}
	fmt.Fprintf(w, "  %s in %.0f ms: %d inputs (%d to nodes that were down), %d outputs\n",
		state, s.WallMs, s.Inputs, s.InputsLost, s.Outputs)
	fmt.Fprintf(w, "  %d messages (%d bytes) sent, %d received, %d dropped\n",
		s.MessagesSent, s.BytesSent, s.MessagesReceived, s.MessagesDropped)
	if len(s.Crashed) > 0 {
		fmt.Fprintf(w, "  crashed (not counted as correct): %v\n", s.Crashed)
	}
	printReport(w, s.Report)
	if s.Violations == 0 && !s.Finished {
		fmt.Fprintf(w, "INCONCLUSIVE: the run stopped at the timeout before its workload finished; no safety property was violated in what ran, but that is not a pass (raise --timeout)\n")
		if len(s.Unjudged) > 0 {
			fmt.Fprintf(w, "  not judged (the run was too short to show they fail): %s\n", strings.Join(s.Unjudged, ", "))
		}
		return
	}
	if s.Violations == 0 {
		props := "every property"
		if len(s.Properties) > 0 {
			props = strings.Join(s.Properties, ", ")
		}
		fmt.Fprintf(w, "ok: %s held\n", props)
		return
	}
	fmt.Fprintf(w, "VIOLATED (%d):\n", s.Violations)
	for _, v := range s.Failures {
		fmt.Fprintf(w, "  %s: %s\n", v.Property, v.Detail)
	}
	fmt.Fprintln(w, "rerun with the same --seed and --faults; timing on a real network varies, so a rerun may pass")
}
