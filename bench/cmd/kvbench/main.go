// Command kvbench runs every system × fsync mode × client count of the
// side-by-side write benchmark in one go and prints a table (or, with
// --json, one JSON object): median ops/s, p50 and p99 latency per cell and,
// for candidate systems, the ratio to the better peer.
//
//	cd bench && go run ./cmd/kvbench [--json] [--duration 5s] [--clients 1,16,256] [--fsync on,off] [--systems etcd,hashicorp]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rondo-dev/rondo/bench/hraft"
	"github.com/rondo-dev/rondo/bench/kvbench"
)

type options struct {
	systems      []string
	clients      []int
	fsync        []bool
	runs         int
	workload     kvbench.Workload
	dir          string
	json         bool
	hashicorpOff hraft.OffStore
	cpuProfile   string
}

func main() {
	o, err := parse(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "kvbench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "kvbench:", err)
			os.Exit(1)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	failed, err := run(ctx, o, os.Stdout, os.Stderr)
	pprof.StopCPUProfile()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kvbench:", err)
		os.Exit(1)
	}
	if failed {
		os.Exit(1)
	}
}

func parse(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("kvbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{}
	systems := fs.String("systems", "all", "comma-separated systems to run (all: every peer and candidate)")
	clients := fs.String("clients", "1,16,256", "comma-separated numbers of concurrent closed-loop clients")
	fsync := fs.String("fsync", "on,off", "comma-separated fsync modes: on, off")
	fs.IntVar(&o.runs, "runs", 3, "runs of every cell; the table shows medians")
	fs.DurationVar(&o.workload.Duration, "duration", 5*time.Second, "measured window of each run")
	fs.DurationVar(&o.workload.Warmup, "warmup", time.Second, "unmeasured warm-up before each window")
	fs.IntVar(&o.workload.Keys, "keys", 100000, "keyspace size (keys drawn uniformly)")
	fs.IntVar(&o.workload.ValueSize, "value", 128, "value size in bytes")
	fs.StringVar(&o.dir, "dir", os.TempDir(), "directory on the disk to measure (each run gets a fresh subdirectory, removed after)")
	fs.BoolVar(&o.json, "json", false, "print one JSON object instead of the table")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	off := fs.String("hashicorp-off", "bolt-nosync", "hashicorp's log store with fsync off: bolt-nosync or inmem")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch *off {
	case "bolt-nosync":
		o.hashicorpOff = hraft.BoltNoSync
	case "inmem":
		o.hashicorpOff = hraft.InMemory
	default:
		return o, fmt.Errorf("--hashicorp-off %q: want bolt-nosync or inmem", *off)
	}
	for _, s := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 100000 {
			return o, fmt.Errorf("--clients: %q is not a client count between 1 and 100000", s)
		}
		o.clients = append(o.clients, n)
	}
	for _, s := range strings.Split(*fsync, ",") {
		switch strings.TrimSpace(s) {
		case "on":
			o.fsync = append(o.fsync, true)
		case "off":
			o.fsync = append(o.fsync, false)
		default:
			return o, fmt.Errorf("--fsync: %q is neither on nor off", s)
		}
	}
	if o.runs < 1 {
		return o, fmt.Errorf("--runs %d: want at least 1", o.runs)
	}
	if o.workload.Duration <= 0 || o.workload.Warmup < 0 {
		return o, fmt.Errorf("--duration must be positive and --warmup not negative")
	}
	if o.workload.Keys < 1 || o.workload.ValueSize < 0 || o.workload.ValueSize > 16<<20 {
		return o, fmt.Errorf("--keys must be positive and --value between 0 and 16 MiB")
	}
	known := map[string]bool{}
	for _, s := range append(peers(o), candidates(o)...) {
		known[s.Name()] = true
	}
	if *systems != "all" {
		for _, s := range strings.Split(*systems, ",") {
			s = strings.TrimSpace(s)
			if !known[s] {
				return o, fmt.Errorf("--systems: unknown system %q (known: %s)", s, strings.Join(slices.Sorted(mapsKeys(known)), ", "))
			}
			o.systems = append(o.systems, s)
		}
	}
	if fi, err := os.Stat(o.dir); err != nil || !fi.IsDir() {
		return o, fmt.Errorf("--dir %q is not a directory", o.dir)
	}
	return o, nil
}

func mapsKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// run measures every cell o selects, runs times, and writes the report.
// Within a run the systems take turns cell by cell, so that a change in the
// machine's load falls on all of them alike. failed reports cells whose
// runs failed.
func run(ctx context.Context, o options, stdout, stderr io.Writer) (failed bool, err error) {
	var systems []kvbench.System
	rep := &kvbench.Report{Workload: o.workload, Runs: o.runs, Peers: []string{}, Candidates: []string{}}
	chosen := func(s kvbench.System) bool { return o.systems == nil || slices.Contains(o.systems, s.Name()) }
	for _, s := range peers(o) {
		if chosen(s) {
			systems = append(systems, s)
			rep.Peers = append(rep.Peers, s.Name())
		}
	}
	for _, s := range candidates(o) {
		if chosen(s) {
			systems = append(systems, s)
			rep.Candidates = append(rep.Candidates, s.Name())
		}
	}
	for _, s := range systems {
		if n, ok := notes(o)[s.Name()]; ok {
			rep.Notes = append(rep.Notes, n)
		}
	}
	rep.Machine = kvbench.Describe(o.dir)
	if rep.Machine.Filesystem == "tmpfs" && slices.Contains(o.fsync, true) {
		fmt.Fprintf(stderr, "kvbench: warning: %s is on tmpfs, where fsync costs nothing; fsync-on cells measure no disk\n", o.dir)
	}
	if rep.Probes, err = kvbench.Probe(o.dir); err != nil {
		return false, err
	}
	rep.LoadStart = kvbench.LoadAverage()

	cells := map[string]*kvbench.Cell{}
	for _, fsync := range o.fsync {
		for _, n := range o.clients {
			for _, s := range systems {
				c := &kvbench.Cell{System: s.Name(), Fsync: fsync, Clients: n}
				cells[key(c.System, fsync, n)] = c
				rep.Cells = append(rep.Cells, c)
			}
		}
	}
	for run := 1; run <= o.runs; run++ {
		for _, fsync := range o.fsync {
			for _, n := range o.clients {
				for _, s := range systems {
					c := cells[key(s.Name(), fsync, n)]
					sample, err := kvbench.Measure(ctx, s, o.dir, fsync, n, o.workload)
					if ctx.Err() != nil {
						return false, ctx.Err()
					}
					if err != nil {
						c.Errors = append(c.Errors, err.Error())
						failed = true
						fmt.Fprintf(stderr, "run %d/%d %-10s fsync=%-3v clients=%-4d FAILED: %v\n", run, o.runs, s.Name(), onOff(fsync), n, err)
						continue
					}
					c.Samples = append(c.Samples, sample)
					fmt.Fprintf(stderr, "run %d/%d %-10s fsync=%-3v clients=%-4d %9.0f ops/s  p50 %.3f ms  p99 %.3f ms  cpu/op %v  errors %d  others' CPU %.0f%%  load %.2f\n",
						run, o.runs, s.Name(), onOff(fsync), n, sample.OpsPerSec, ms(sample.P50), ms(sample.P99), sample.CPUPerOp.Round(100*time.Nanosecond), sample.Errors, 100*sample.OthersCPU, sample.Load1)
				}
			}
		}
	}
	rep.LoadEnd = kvbench.LoadAverage()
	rep.Summarize()
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return failed, enc.Encode(rep)
	}
	return failed, rep.WriteTable(stdout)
}

func key(system string, fsync bool, clients int) string {
	return fmt.Sprintf("%s/%v/%d", system, fsync, clients)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
