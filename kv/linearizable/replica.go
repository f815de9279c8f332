package linearizable

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/kv"
	"github.com/rondo-dev/rondo/kv/client"
	"github.com/rondo-dev/rondo/kv/machine"
	"github.com/rondo-dev/rondo/smr"
	"github.com/rondo-dev/rondo/transport"
)

// ReplicaConfig describes one replica on the real runtime.
type ReplicaConfig struct {
	// ID is this replica; Addrs every replica's transport address.
	ID    core.NodeID
	Addrs []string
	// Listener, if set, is the transport's listener (else Addrs[ID]).
	Listener net.Listener
	// Identity is the replica's TLS identity (rondo certs, or an ephemeral
	// CA).
	Identity *transport.Identity
	// Storage keeps the log, its snapshots and the consensus records
	// across restarts (default: in memory, which a restart loses).
	// Incarnation is 0 at a first start, then counts restarts
	// (cluster.DiskStorage.NextIncarnation).
	Storage     core.Storage
	Incarnation int
	// HTTP is the address the API listens on (default 127.0.0.1:0), or
	// HTTPListener a listener to use instead.
	HTTP         string
	HTTPListener net.Listener
	// Faults, if set, is the transport's fault injector; with Admin set,
	// /admin/partition drives it (a fresh one is made if nil).
	Faults *transport.Faults
	Admin  bool
	Logger *slog.Logger
	// Registerer, if set, gets the replica's metrics: the node's
	// (transport, batches, commits, fsyncs), the log's and the service's.
	Registerer prometheus.Registerer
	// Limits bound what clients can hold of the HTTP server.
	Limits kv.HTTPLimits
	// Log tunes the replicated log (batching, window, snapshots,
	// timeouts); its New is the replica's own. Its RequestTimeout
	// (default 5s here) bounds how long a request waits for its commit
	// before it is answered 504, outcome unknown.
	Log smr.Config
}

// Replica is a running replica of the linearizable KV: the log on a
// cluster node, and the HTTP API in front of it.
type Replica struct {
	id      core.NodeID
	node    *cluster.Node
	state   *applied
	log     *slog.Logger
	timeout time.Duration
	metrics *metrics
	anon    client.Sessions // for writes that come without a session

	status atomic.Pointer[smr.Status] // the last one the node reported
	stop   chan struct{}              // closed by Shutdown: the status poller stops
	polled chan struct{}

	srv    *http.Server
	ln     net.Listener
	served chan struct{}
}

// DefaultRequestTimeout is how long a request waits for its commit.
const DefaultRequestTimeout = 5 * time.Second

// Register adds the messages of the KV's log to a codec.
func Register(r *core.Registry) { smr.Register(r) }

// StartReplica starts the replica's node and HTTP server.
func StartReplica(cfg ReplicaConfig) (*Replica, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Log.RequestTimeout <= 0 {
		cfg.Log.RequestTimeout = DefaultRequestTimeout
	}
	state := &applied{}
	cfg.Log.New = func() smr.StateMachine { return observed{machine.New(), state} }
	if err := cfg.Log.Validate(); err != nil {
		return nil, err
	}
	if max := cfg.Log.MaxCommandBytes(); max < machine.MaxValue+machine.MaxKey+64 {
		return nil, fmt.Errorf("kv: the log takes commands of at most %d bytes, less than a key and a value (%d)",
			max, machine.MaxValue+machine.MaxKey)
	}
	var admin kv.Admin
	if cfg.Admin {
		if cfg.Faults == nil {
			cfg.Faults = transport.NewFaults(fault.Spec{}, len(cfg.Addrs), uint64(cfg.ID))
		}
		admin = kv.FaultAdmin(cfg.Faults, len(cfg.Addrs))
	}
	ln := cfg.HTTPListener
	if ln == nil {
		addr := cfg.HTTP
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("kv: HTTP listener: %w", err)
		}
	}
	if a, ok := ln.Addr().(*net.TCPAddr); ok && !a.IP.IsLoopback() {
		cfg.Logger.Warn("kv: the HTTP API is unauthenticated and unencrypted, and listens beyond this host; "+
			"bind it to a loopback address, or put it behind a TLS proxy that authenticates clients",
			"addr", a.String(), "admin", cfg.Admin)
	}
	codec := &core.Registry{}
	Register(codec)
	logCfg := cfg.Log
	node, err := cluster.StartNode(cluster.NodeConfig{
		ID: cfg.ID, Addrs: cfg.Addrs, Listener: cfg.Listener, Identity: cfg.Identity,
		Codec: codec, New: func() core.Process { return smr.New(logCfg) },
		Storage: cfg.Storage, Incarnation: cfg.Incarnation,
		Seed: uint64(time.Now().UnixNano()), Faults: cfg.Faults, Logger: cfg.Logger,
		BackoffMin: 10 * time.Millisecond, BackoffMax: 500 * time.Millisecond,
		Registerer: cfg.Registerer,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	r := &Replica{id: cfg.ID, node: node, state: state, log: cfg.Logger, timeout: cfg.Log.RequestTimeout,
		stop: make(chan struct{}), polled: make(chan struct{}), ln: ln, served: make(chan struct{})}
	r.metrics = newMetrics(r)
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(r.metrics); err != nil {
			node.Stop()
			ln.Close()
			return nil, fmt.Errorf("kv: registering replica %d metrics: %w", cfg.ID, err)
		}
		defer func() {
			go func() { <-r.served; cfg.Registerer.Unregister(r.metrics) }()
		}()
	}
	go r.poll()
	lim := cfg.Limits.WithDefaults()
	a := &api{b: r, id: cfg.ID, admin: admin, bodies: &budget{max: int64(lim.MaxPuts) * machine.MaxValue}}
	r.srv = &http.Server{
		Handler:           a.handler(),
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		WriteTimeout:      lim.WriteTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    lim.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(r.served)
		if err := r.srv.Serve(kv.LimitListener(ln, lim.MaxConns)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Logger.Error("kv: HTTP server stopped", "err", err)
		}
	}()
	return r, nil
}

// pollEvery is how often a replica asks its node where it stands (the
// leader, the applied index, the log's counters): what the Rondo-Leader
// header, /status and the metrics report between two polls.
const pollEvery = 100 * time.Millisecond

// poll keeps r.status fresh until the replica shuts down or its node
// stops.
func (r *Replica) poll() {
	defer close(r.polled)
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		r.inspect()
		select {
		case <-r.stop:
			return
		case <-r.node.Done():
			return
		case <-t.C:
		}
	}
}

// inspect asks the node for its status and records it; it gives up when
// the node does not answer within a poll period (it is busy: the last
// status stands).
func (r *Replica) inspect() {
	got := make(chan smr.Status, 1)
	if !r.node.Submit(smr.Inspect{Done: func(st smr.Status) { got <- st }}) {
		return
	}
	t := time.NewTimer(pollEvery)
	defer t.Stop()
	select {
	case st := <-got:
		r.status.Store(&st)
	case <-t.C:
	case <-r.node.Done():
	}
}

// ID is the replica's node id.
func (r *Replica) ID() core.NodeID { return r.id }

// URL is the base URL of the replica's HTTP API.
func (r *Replica) URL() string { return "http://" + r.ln.Addr().String() }

// Addr is the replica's transport address.
func (r *Replica) Addr() net.Addr { return r.node.Addr() }

// Done is closed when the replica's node has stopped: after Shutdown, or
// by itself when it cannot go on (a storage write failed); Err says why.
func (r *Replica) Done() <-chan struct{} { return r.node.Done() }

// Err is why the node stopped by itself (it wraps cluster.ErrFailStop
// after a failed storage write), or nil.
func (r *Replica) Err() error { return r.node.Err() }

// Shutdown stops the replica gracefully: the HTTP server takes no new
// request and waits for those in progress (until ctx ends, when it cuts
// them off), then the node stops. Every write acknowledged was applied and
// made durable first.
func (r *Replica) Shutdown(ctx context.Context) error {
	err := r.srv.Shutdown(ctx)
	if err != nil {
		r.srv.Close()
	}
	<-r.served
	close(r.stop)
	<-r.polled
	r.node.Stop()
	return err
}

// ShutdownTimeout is how long Close lets requests in progress finish.
const ShutdownTimeout = 5 * time.Second

// Close is Shutdown with ShutdownTimeout.
func (r *Replica) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	r.Shutdown(ctx)
}

// leader is the leader this replica last knew of, or -1.
func (r *Replica) leader() int {
	if st := r.status.Load(); st != nil {
		return int(st.Leader)
	}
	return -1
}

// Status is where the replica stands, as of its last poll.
func (r *Replica) Status() client.Status {
	st := client.Status{ID: int(r.id), Leader: -1,
		Keys: int(r.state.keys.Load()), Revision: r.state.revision.Load(),
		Digest: fmt.Sprintf("%016x", r.state.digest.Load())}
	if s := r.status.Load(); s != nil {
		st.Leader, st.IsLeader, st.Applied = int(s.Leader), s.Leading, s.Applied
	}
	return st
}

// Write hands a command to the log and waits for its result, applied here
// and durable. Without a session (client 0) it takes one of the replica's
// own for the request: applied at most once, never retried.
func (r *Replica) Write(ctx context.Context, client, seq uint64, cmd []byte) ([]byte, error) {
	if client == 0 {
		s := r.anon.Get()
		defer r.anon.Put(s)
		s.Seq++
		client, seq = s.ID, s.Seq
	}
	start := time.Now()
	res, err := r.submit(ctx, smr.Submit{Client: client, Seq: seq, Cmd: cmd}, true)
	r.metrics.wrote(time.Since(start), err)
	return res, err
}

// Read runs a query by the log's read index.
func (r *Replica) Read(ctx context.Context, q []byte) ([]byte, error) {
	return r.submit(ctx, smr.Read{Query: q}, false)
}

// submit hands a request to the node, waits for its reply and for the
// node's barrier, and maps the log's errors to what the client is told.
// Done runs inside a handler, before its batch is committed: the answer
// waits for the barrier, so no client learns of a write a crash could
// take back.
func (r *Replica) submit(ctx context.Context, req any, write bool) ([]byte, error) {
	got := make(chan smr.Reply, 1)
	done := func(rep smr.Reply) { got <- rep }
	switch q := req.(type) {
	case smr.Submit:
		q.Done = done
		req = q
	case smr.Read:
		q.Done = done
		req = q
	}
	if !r.node.Submit(req) {
		return nil, notTaken(-1, "replica %d is not running: %v", r.id, r.node.Err())
	}
	// The log answers within its RequestTimeout; the margin covers a
	// batch's commit on a slow disk.
	t := time.NewTimer(r.timeout + time.Second)
	defer t.Stop()
	var rep smr.Reply
	select {
	case rep = <-got:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-r.node.Done():
		return nil, r.stopped(write)
	case <-t.C:
		return nil, r.indefinite(write, "replica %d: no answer from the log within %v", r.id, r.timeout)
	}
	select {
	case <-r.node.Barrier():
	case <-r.node.Done():
		return nil, r.stopped(write)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if rep.Err != nil {
		return nil, r.failure(rep.Err, write)
	}
	return rep.Result, nil
}

// stopped: the node stopped after taking the request.
func (r *Replica) stopped(write bool) error {
	return r.indefinite(write, "replica %d stopped: %v", r.id, r.node.Err())
}

// indefinite is an unknown outcome for a write; a read has no effect, so
// for a read it is a plain "not taken".
func (r *Replica) indefinite(write bool, format string, args ...any) error {
	if write {
		return unknownOutcome(r.leader(), format, args...)
	}
	return notTaken(r.leader(), format, args...)
}

// failure maps an error of the log to its answer.
func (r *Replica) failure(err error, write bool) error {
	switch {
	case errors.Is(err, smr.ErrTooLarge):
		return tooLarge("replica %d: %v", r.id, err)
	case errors.Is(err, smr.ErrBadRequest):
		return &opError{status: http.StatusBadRequest, outcome: client.OutcomeNotTaken, leader: -1,
			msg: fmt.Sprintf("replica %d: %v", r.id, err)}
	case smr.Definite(err):
		return notTaken(r.leader(), "replica %d: %v", r.id, err)
	}
	return r.indefinite(write, "replica %d: %v", r.id, err)
}
