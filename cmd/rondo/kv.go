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
		Use:   "kv [--mode linearizable|lattice] | kv get|put|del|cas|list ...",
		Short: "Run the key-value service (linearizable by default), or talk to it",
		Long: `Run Rondo's key-value service over HTTP, or use it (rondo kv get|put|del|cas|list).

--mode linearizable (the default) is a replicated log on rounds consensus
(Multi-Paxos in the Heard-Of model, docs/smr.md) with a key-value state
machine: every operation takes effect at one instant between its call and
its return, and a write is acknowledged only once a majority holds it on
disk, so a SIGKILL of any replica loses no acknowledged write. Its API:

  GET    /kv/KEY        the value, raw (404 when absent); ?json for JSON
  PUT    /kv/KEY        store the request body (at most 1 MiB) as the value
  DELETE /kv/KEY        delete the key
  POST   /cas/KEY       compare-and-set: {"expect":OLD,"value":NEW} or {"expect_absent":true,...}
  GET    /kv?prefix=P   list keys by prefix (or ?start=A&end=B), in order
  GET    /status        replica id, leader, applied index, key count

Any replica takes any request (a follower forwards a write to the leader, and
serves a read by a read index). Errors say whether the operation may have
taken effect (Rondo-Outcome: not-taken or unknown). docs/kv.md has the rest.

Without --config, rondo kv runs --replicas replicas (default 3) in this
process over loopback TLS with an ephemeral CA, their stores in a temporary
directory (or --data DIR), and prints each replica's HTTP address. The
linearizable replicas serve HTTP on 127.0.0.1:7370, 7371, 7372 when those
ports are free, which is where the client commands look by default; if they
are taken it uses free ports and prints the --endpoints to pass. With --config
FILE --id I (a cluster.json from rondo certs) it runs replica I alone, as one
OS process per replica; --data DIR is its store (required in the linearizable
mode: an acceptor that forgot its promises could decide twice).

--mode lattice is an eventually consistent store in the style of Anna: each
key is a last-writer-wins register, writes are acknowledged by the replica
that takes them, and replicas converge by delta-state anti-entropy. For
read-your-writes, send back the Rondo-Session header of your last response.
With --causal each key is a multi-value register instead. Its embedded mode
uses ephemeral ports; with --config, --data is optional (default: in memory).
docs/replication.md describes it.

Either mode: a write is acknowledged once committed to its store, with one
fsync per batch of requests (docs/storage.md). --admin adds POST
/admin/partition {"groups":[[0],[1,2]]} and POST /admin/heal, which cut and
restore this process's links (in the embedded mode, the whole cluster's): for
tests and demonstrations.

The API, --admin and --debug are unauthenticated plain HTTP: keep them on
loopback (the default), or put the API behind a TLS proxy that authenticates
clients. SIGINT/SIGTERM shuts down gracefully; if a replica's storage fails
(a full disk) it stops for good and rondo kv exits with status 4 saying why:
restart it on the same --data once fixed.`,
		Example: `  rondo kv                       # three linearizable replicas on 127.0.0.1:7370-7372
  rondo kv put colour blue       # in another terminal
  rondo kv get colour
  curl -X PUT --data-binary 'blue' http://127.0.0.1:7370/kv/colour
  rondo kv --config cluster/cluster.json --id 0 --http 127.0.0.1:7370 --data /var/lib/rondo-kv/0
  rondo kv --mode lattice`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKV(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.mode, "mode", "linearizable", "consistency: linearizable (a replicated log on consensus) or lattice (eventual, Anna-style)")
	fl.IntVar(&f.replicas, "replicas", 3, "replicas to run in this process (without --config)")
	fl.IntVar(&f.httpBase, "http-base-port", 0, "without --config, replica I serves HTTP on 127.0.0.1:PORT+I (default: 7370 if free in the linearizable mode, else ephemeral ports)")
	fl.StringVar(&f.config, "config", "", "cluster config (cluster.json from rondo certs): run one replica of it")
	fl.IntVar(&f.id, "id", -1, "with --config: this replica's id")
	fl.StringVar(&f.http, "http", "127.0.0.1:0", "with --config: the HTTP API's address")
	fl.StringVar(&f.data, "data", "", "directory for durable storage (with --config: this replica's, required in the linearizable mode, lattice default in memory; linearizable without --config: every replica's, default a temporary directory)")
	fl.BoolVar(&f.causal, "causal", false, "keys are multi-value registers: concurrent writes are kept as siblings (default: last writer wins)")
	fl.BoolVar(&f.admin, "admin", false, "serve POST /admin/partition and /admin/heal (always on in the embedded mode)")
	fl.DurationVar(&f.duration, "duration", 0, "stop after this long (default: run until SIGINT/SIGTERM)")
	fl.StringVar(&f.debug, "debug", "", "serve /metrics (transport, batch and storage metrics) and /debug/pprof/ on this address")
	fl.BoolVar(&f.asJSON, "json", false, "print the replicas' addresses as one JSON object")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log debug events")
	cmd.AddCommand(newKVClientCmds()...)
	return cmd
}

func runKV(ctx context.Context, stdout, stderr io.Writer, f kvFlags) error {
	switch f.mode {
	case "lattice":
	case "linearizable":
		if err := checkLinearizableFlags(f); err != nil {
			return err
		}
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
	if f.mode == "linearizable" {
		return runLinearizable(ctx, stdout, stderr, f, log, registerer)
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
	syncOut(stdout)
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
	failed := awaitKV(ctx, replicas)
	var wg sync.WaitGroup
	for _, r := range replicas {
		wg.Go(r.Close)
	}
	wg.Wait()
	if failed < 0 {
		return nil
	}
	return kvStoppedError(replicas[failed].Service.ID(), replicas[failed].Err(), data)
}

// kvRunning is a running replica of either mode.
type kvRunning interface {
	Done() <-chan struct{}
	Err() error
}

// awaitKV waits until the context ends (SIGINT, SIGTERM, --duration) or a
// replica stops by itself — fail-stop, after a storage write failed — and
// returns the index of that replica, or -1.
func awaitKV[R kvRunning](ctx context.Context, replicas []R) int {
	stopped := make(chan int, len(replicas))
	for i, r := range replicas {
		go func() {
			<-r.Done()
			stopped <- i
		}()
	}
	select {
	case <-ctx.Done():
		return -1
	case i := <-stopped:
		if replicas[i].Err() == nil {
			return -1
		}
		return i
	}
}

// kvStoppedError is replica id having stopped by itself: the process exits
// non-zero (4) saying why, rather than answering 503 for ever. Its data
// directory holds every write it acknowledged; restarted once the cause is
// fixed, it recovers.
func kvStoppedError(id core.NodeID, err error, data string) error {
	where := ""
	if data != "" {
		where = fmt.Sprintf("; %s holds every write it acknowledged: fix the cause (free disk space) and start it again on the same --data", data)
	}
	return nodeFailedError{fmt.Errorf("replica %d stopped and this process exits: %w%s", id, err, where)}
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
