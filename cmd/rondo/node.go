package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/fault"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newNodeCmd) }

type nodeFlags struct {
	config   string
	id       int
	proto    string
	seed     uint64
	data     string
	http     string
	duration time.Duration
	verbose  bool
}

// nodeOutput is one line of rondo node's stdout.
type nodeOutput struct {
	Node        core.NodeID `json:"node"`
	Incarnation int         `json:"incarnation"`
	AtMs        float64     `json:"at_ms"`
	Output      any         `json:"output"`
}

func newNodeCmd() *cobra.Command {
	var f nodeFlags
	cmd := &cobra.Command{
		Use:   "node --config FILE --id I",
		Short: "Run one node of a cluster as this OS process",
		Long: `Run node I of the cluster described by --config (as written by rondo certs):
listen on its address, connect to every other node over mutually authenticated
TLS 1.3, and run the protocol. The lower id of each pair dials the higher one;
a peer whose certificate is not from the cluster CA, or does not name a node of
the config, is refused and the refusal logged with its reason.

The node runs the protocol's workload entries addressed to it, drawn from
--seed (give every node the same seed, so that their inputs agree), at their
offsets from its start. Each output is printed on stdout as one JSON line:
  {"node":0,"incarnation":0,"at_ms":812.4,"output":{...}}
Logs (slog text) go to stderr. With --data DIR the node's Storage is an
embedded store in DIR/store that survives a restart: the node handles events in
batches and commits each batch's writes with one fsync before anything the
batch sent or printed leaves it (docs/storage.md). It counts its incarnations
there and tells the protocol it restarted. Without --data, storage is in memory
and lost on exit. If the storage fails (a full disk) the node stops for good and
exits with status 4: restart it on the same --data once fixed.

The node stops on SIGINT or SIGTERM, or after --duration.`,
		Example: `  rondo certs --out cluster --nodes 3
  rondo node --config cluster/cluster.json --id 0 --data /var/lib/rondo/0 --http 127.0.0.1:9100
  rondo node --config cluster/cluster.json --id 1 --duration 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runNode(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "cluster config file (cluster.json from rondo certs)")
	fl.IntVar(&f.id, "id", -1, "this node's id in the config (required)")
	fl.StringVar(&f.proto, "proto", "broadcast", "protocol to run (see rondo list)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the workload (the same on every node) and of this node's Rand")
	fl.StringVar(&f.data, "data", "", "directory for durable storage (default: in memory)")
	fl.StringVar(&f.http, "http", "", "serve /metrics and /debug/pprof/ on this address (e.g. 127.0.0.1:9100)")
	fl.DurationVar(&f.duration, "duration", 0, "stop after this long (default: run until SIGINT/SIGTERM)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "also log debug events (dial attempts)")
	return cmd
}

func runNode(ctx context.Context, stdout, stderr io.Writer, f nodeFlags) error {
	if f.config == "" {
		return usagef("--config FILE is required (rondo certs --out DIR writes DIR/cluster.json)")
	}
	if f.id < 0 {
		return usagef("--id I is required: which node of the config this process is")
	}
	if f.duration < 0 {
		return usagef("--duration must not be negative")
	}
	sc, ok := catalog().Lookup(f.proto)
	if !ok {
		return usageError{catalog().Unknown(f.proto)}
	}
	cfg, err := cluster.LoadConfig(f.config)
	if err != nil {
		return usageError{err}
	}
	n := len(cfg.Nodes)
	if f.id >= n {
		return usagef("--id %d is not in %s, whose nodes are 0..%d", f.id, f.config, n-1)
	}
	// A node runs no injected faults; this refuses cluster sizes the
	// protocol cannot serve (round-based: more than 64 nodes).
	if err := sc.Admits(fault.Spec{}, n); err != nil {
		return usagef("%s (%s has %d nodes)", err, f.config, n)
	}
	id := core.NodeID(f.id)
	idn, err := cfg.Identity(id)
	if err != nil {
		return usageError{err}
	}
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	var storage core.Storage = &core.MemStorage{}
	incarnation := 0
	if f.data != "" {
		st, inc, err := openData(f.data, "rondo node "+f.proto, nodeLegacy, log)
		if err != nil {
			return storageError(err)
		}
		defer st.Close()
		storage, incarnation = st, inc
	}

	ctx, stop := runContext(ctx, f.duration)
	defer stop()
	reg, closeDebug, err := serveDebug("--http", f.http, log)
	if err != nil {
		return err
	}
	defer closeDebug()

	var outMu sync.Mutex
	enc := json.NewEncoder(stdout)
	ncfg := cluster.NodeConfig{
		ID: id, Addrs: cfg.Addrs(), Identity: idn, Codec: sc.Codec(),
		New:     func() core.Process { return sc.New(id, n) },
		Storage: storage, Incarnation: incarnation, Seed: f.seed, Logger: log,
		Output: func(o cluster.Output) {
			outMu.Lock()
			defer outMu.Unlock()
			line := nodeOutput{Node: o.Node, Incarnation: o.Incarnation, AtMs: float64(o.At) / float64(time.Millisecond), Output: o.Value}
			if err := enc.Encode(line); err != nil {
				log.Error("cannot print output", "reason", err.Error())
			}
		},
		OnRequest: func(body any) { log.Info("input", "body", fmt.Sprint(body)) },
	}
	if reg != nil {
		ncfg.Registerer = reg
	}
	node, err := cluster.StartNode(ncfg)
	if err != nil {
		return usageError{err}
	}
	log.Info("node started", "node", f.id, "incarnation", incarnation, "addr", node.Addr().String(),
		"protocol", f.proto, "nodes", n, "seed", f.seed)

	var inputs int
	for _, in := range cluster.Workload(sc, n, f.seed) {
		if in.Node != id {
			continue
		}
		inputs++
		in := in
		t := time.AfterFunc(in.At, func() { node.Submit(in.Body) })
		defer t.Stop()
	}
	log.Info("workload scheduled", "inputs", inputs)

	select {
	case <-ctx.Done():
	case <-node.Done():
	}
	node.Stop()
	if err := node.Err(); err != nil {
		return nodeFailedError{err}
	}
	log.Info("node stopped", "reason", stopReason(ctx))
	return nil
}

func stopReason(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "--duration elapsed"
	}
	return "signal"
}
