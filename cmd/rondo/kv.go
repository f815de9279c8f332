package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/kv"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newKVCmd) }

type kvFlags struct {
	mode     string
	replicas int
	httpBase int
	config   string
	id       int
	http     string
	data     string
	admin    bool
	causal   bool
	duration time.Duration
	asJSON   bool
	verbose  bool
	debug    string
}

// kvAddress is one replica's line of rondo kv's startup output.
type kvAddress struct {
	ID        core.NodeID `json:"id"`
	HTTP      string      `json:"http"`
	Transport string      `json:"transport"`
}

func newKVCmd() *cobra.Command {
	var f kvFlags
	cmd := &cobra.Command{
		Use:   "kv [--mode lattice]",
		Short: "Run the key-value service (eventually consistent lattice KV)",
		Long: `Run Rondo's key-value service over HTTP/JSON:

  GET    /kv/KEY        read the value at the replica you ask
  PUT    /kv/KEY        store the request body (at most 1 MiB) as the value
  DELETE /kv/KEY        delete the key
  GET    /status        replica id, key count, session clock, state digest

--mode lattice (the default for now) is an eventually consistent store in the
style of Anna: each key is a last-writer-wins register, writes are
acknowledged by the replica that takes them, and replicas converge by
delta-state anti-entropy. For read-your-writes, send back the Rondo-Session
header of your last response: a replica that has not yet received every write
of your session waits for it (up to 2s, or ?wait=D) and otherwise answers 503.
With --causal each key is a multi-value register instead: writes made
concurrently at different replicas are all kept and a read returns them all
("values"), until a write that has seen them replaces them. --mode
linearizable (on rounds consensus) is not yet available.

Without --config, rondo kv runs --replicas replicas (default 3) in this
process over loopback TLS with an ephemeral CA, and prints each replica's HTTP
address. With --config FILE --id I (a cluster.json from rondo certs) it runs
replica I alone, as one OS process per replica; --data DIR keeps its store
across restarts (an embedded store in DIR/store; a write is acknowledged once
committed there, with one fsync per batch of requests: docs/storage.md). --admin adds POST /admin/partition {"groups":[[0],[1,2]]} and
POST /admin/heal, which cut and restore this process's links (in the embedded
mode, the whole cluster's): for tests and demonstrations.

The API, --admin and --debug are unauthenticated plain HTTP: keep them on
loopback (the default), or put the API behind a TLS proxy that authenticates
clients. Slow or stalled clients are cut off and bounded (timeouts, at most
512 connections and 64 uploads in progress). SIGINT/SIGTERM shuts down
gracefully; if a replica's storage fails (a full disk) it stops for good and
rondo kv exits with status 4 saying why: restart it on the same --data once
fixed.

docs/replication.md describes the protocol and the API.`,
		Example: `  rondo kv --mode lattice
  curl -X PUT --data-binary 'blue' http://127.0.0.1:PORT/kv/colour
  curl http://127.0.0.1:PORT/kv/colour
  rondo kv --config cluster/cluster.json --id 0 --http 127.0.0.1:8080 --data /var/lib/rondo-kv/0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKV(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.mode, "mode", "lattice", "consistency: lattice (eventual, Anna-style); linearizable is not yet available")
	fl.IntVar(&f.replicas, "replicas", 3, "replicas to run in this process (without --config)")
	fl.IntVar(&f.httpBase, "http-base-port", 0, "without --config, replica I serves HTTP on 127.0.0.1:PORT+I (default: ephemeral ports)")
	fl.StringVar(&f.config, "config", "", "cluster config (cluster.json from rondo certs): run one replica of it")
	fl.IntVar(&f.id, "id", -1, "with --config: this replica's id")
	fl.StringVar(&f.http, "http", "127.0.0.1:0", "with --config: the HTTP API's address")
	fl.StringVar(&f.data, "data", "", "with --config: directory for durable storage (default: in memory)")
	fl.BoolVar(&f.causal, "causal", false, "keys are multi-value registers: concurrent writes are kept as siblings (default: last writer wins)")
	fl.BoolVar(&f.admin, "admin", false, "serve POST /admin/partition and /admin/heal (always on in the embedded mode)")
	fl.DurationVar(&f.duration, "duration", 0, "stop after this long (default: run until SIGINT/SIGTERM)")
	fl.StringVar(&f.debug, "debug", "", "serve /metrics (transport, batch and storage metrics) and /debug/pprof/ on this address")
	fl.BoolVar(&f.asJSON, "json", false, "print the replicas' addresses as one JSON object")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log debug events")
	return cmd
}

func runKV(ctx context.Context, stdout, stderr io.Writer, f kvFlags) error {
	switch f.mode {
	case "lattice":
	case "linearizable":
		return usagef("--mode linearizable is not yet available (it will run on rounds consensus); use --mode lattice")
	default:
		return usagef("--mode must be lattice or linearizable, not %q", f.mode)
	}
	if f.duration < 0 {
		return usagef("--duration must not be negative")
	}
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := runContext(ctx, f.duration)
	defer stop()
	reg, closeDebug, err := serveDebug("--debug", f.debug, log)
	if err != nil {
		return err
	}
	defer closeDebug()
	var registerer prometheus.Registerer
	if reg != nil {
		registerer = reg
	}

	var addrs []kvAddress
	var replicas []*kv.Replica
	if f.config == "" {
		if f.id >= 0 || f.data != "" {
			return usagef("--id and --data go with --config; without it rondo kv runs every replica in this process")
		}
		if f.replicas < 1 || f.replicas > 64 {
			return usagef("--replicas must be 1..64, got %d", f.replicas)
		}
		var https []string
		if f.httpBase > 0 {
			for i := range f.replicas {
				https = append(https, fmt.Sprintf("127.0.0.1:%d", f.httpBase+i))
			}
		}
		l, err := kv.StartLocal(kv.LocalConfig{N: f.replicas, HTTP: https,
			Options: kv.Options{Causal: f.causal}, Logger: log, Registerer: registerer})
		if err != nil {
			return err
		}
		replicas = l.Replicas
	} else {
		r, closeStore, err := startKVReplica(f, log, registerer)
		if err != nil {
			return err
		}
		defer closeStore() // after serveKV has stopped the replica
		replicas = []*kv.Replica{r}
	}
	for _, r := range replicas {
		addrs = append(addrs, kvAddress{ID: r.Service.ID(), HTTP: r.URL(), Transport: r.Addr().String()})
	}

	if f.asJSON {
		json.NewEncoder(stdout).Encode(map[string]any{"mode": f.mode, "replicas": addrs})
	} else {
		for _, a := range addrs {
			fmt.Fprintf(stdout, "replica %d  %s  (transport %s)\n", a.ID, a.HTTP, a.Transport)
		}
	}
	if fl, ok := stdout.(interface{ Sync() error }); ok {
		fl.Sync()
	}
	return serveKV(ctx, replicas, f.data)
}

// serveKV runs until the context ends (SIGINT, SIGTERM, --duration) or a
// replica stops by itself, then shuts every replica down gracefully:
// requests in progress finish (for up to kv.ShutdownTimeout) before the
// nodes stop. A replica that stopped by itself — fail-stop, after a storage
// write failed — is an error: the process exits non-zero saying why, rather
// than answering 503 for ever. Its data directory holds every write it
// acknowledged; restarted once the cause is fixed, it recovers.
func serveKV(ctx context.Context, replicas []*kv.Replica, data string) error {
	stopped := make(chan *kv.Replica, len(replicas))
	for _, r := range replicas {
		go func() {
			<-r.Done()
			stopped <- r
		}()
	}
	var failed *kv.Replica
	select {
	case <-ctx.Done():
	case failed = <-stopped:
	}
	var wg sync.WaitGroup
	for _, r := range replicas {
		wg.Go(r.Close)
	}
	wg.Wait()
	if failed == nil || failed.Err() == nil {
		return nil
	}
	where := ""
	if data != "" {
		where = fmt.Sprintf("; %s holds every write it acknowledged: fix the cause (free disk space) and start it again on the same --data", data)
	}
	return nodeFailedError{fmt.Errorf("replica %d stopped and this process exits: %w%s", failed.Service.ID(), failed.Err(), where)}
}

// startKVReplica runs replica --id of the --config cluster; the function
// it returns closes the replica's store, once the replica has stopped.
func startKVReplica(f kvFlags, log *slog.Logger, reg prometheus.Registerer) (*kv.Replica, func(), error) {
	if f.id < 0 {
		return nil, nil, usagef("--id I is required with --config")
	}
	cfg, err := cluster.LoadConfig(f.config)
	if err != nil {
		return nil, nil, usageError{err}
	}
	if f.id >= len(cfg.Nodes) {
		return nil, nil, usagef("--id %d is not in %s, whose nodes are 0..%d", f.id, f.config, len(cfg.Nodes)-1)
	}
	id := core.NodeID(f.id)
	idn, err := cfg.Identity(id)
	if err != nil {
		return nil, nil, usageError{err}
	}
	var storage core.Storage = &core.MemStorage{}
	incarnation := 0
	closeStore := func() {}
	if f.data != "" {
		st, inc, err := openData(f.data, "rondo kv lattice", kvLegacy, log)
		if err != nil {
			return nil, nil, storageError(err)
		}
		storage, incarnation, closeStore = st, inc, func() { st.Close() }
	}
	r, err := kv.StartReplica(kv.ReplicaConfig{
		ID: id, Addrs: cfg.Addrs(), Identity: idn, Storage: storage, Incarnation: incarnation,
		HTTP: f.http, Admin: f.admin, Logger: log, Options: kv.Options{Causal: f.causal}, Registerer: reg,
	})
	if err != nil {
		closeStore()
		return nil, nil, err
	}
	return r, closeStore, nil
}
