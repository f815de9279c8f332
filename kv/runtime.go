package kv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/fault"
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
	// Storage keeps the store across restarts (default: in memory).
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
	// Registerer, if set, gets the transport's metrics.
	Registerer prometheus.Registerer
	Options
}

// Replica is a running KV replica: the anti-entropy process on a cluster
// node, and the HTTP API in front of it.
type Replica struct {
	Service *Service
	node    *cluster.Node
	srv     *http.Server
	ln      net.Listener
	served  chan struct{}
}

// FaultAdmin is the Admin of a replica whose transport injects faults
// with f, in a cluster of n nodes.
func FaultAdmin(f *transport.Faults, n int) Admin { return faultAdmin{f, n} }

type faultAdmin struct {
	f *transport.Faults
	n int
}

func (a faultAdmin) Partition(groups [][]core.NodeID) error {
	in := map[core.NodeID]int{}
	for i, g := range groups {
		if len(g) == 0 {
			return fmt.Errorf("group %d is empty", i+1)
		}
		for _, id := range g {
			if int(id) >= a.n {
				return fmt.Errorf("node %d is not in this cluster of %d", id, a.n)
			}
			if j, ok := in[id]; ok {
				return fmt.Errorf("node %d is in group %d and in group %d: a node is on one side of a partition", id, j+1, i+1)
			}
			in[id] = i
		}
	}
	a.f.Partition(groups)
	return nil
}

func (a faultAdmin) Heal() { a.f.Heal() }

// StartReplica starts the replica's node and HTTP server.
func StartReplica(cfg ReplicaConfig) (*Replica, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Admin {
		if cfg.Faults == nil {
			cfg.Faults = transport.NewFaults(fault.Spec{}, len(cfg.Addrs), uint64(cfg.ID))
		}
		cfg.Options.Admin = faultAdmin{cfg.Faults, len(cfg.Addrs)}
	}
	svc := NewService(cfg.ID, cfg.Options)
	codec := &core.Registry{}
	Register(codec)
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
	node, err := cluster.StartNode(cluster.NodeConfig{
		ID: cfg.ID, Addrs: cfg.Addrs, Listener: cfg.Listener, Identity: cfg.Identity,
		Codec: codec, New: svc.Process, Storage: cfg.Storage, Incarnation: cfg.Incarnation,
		Seed: uint64(time.Now().UnixNano()), Faults: cfg.Faults, Logger: cfg.Logger,
		BackoffMin: 10 * time.Millisecond, BackoffMax: 500 * time.Millisecond,
		Registerer: cfg.Registerer,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	svc.Attach(node)
	lim := svc.opts.Limits
	r := &Replica{Service: svc, node: node, ln: ln, served: make(chan struct{}),
		srv: &http.Server{
			Handler:           svc.Handler(),
			ReadHeaderTimeout: lim.ReadHeaderTimeout,
			ReadTimeout:       lim.ReadTimeout,
			WriteTimeout:      lim.WriteTimeout,
			IdleTimeout:       lim.IdleTimeout,
			MaxHeaderBytes:    lim.MaxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
		}}
	go func() {
		defer close(r.served)
		if err := r.srv.Serve(LimitListener(ln, lim.MaxConns)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Logger.Error("kv: HTTP server stopped", "err", err)
		}
	}()
	return r, nil
}

// URL is the base URL of the replica's HTTP API.
func (r *Replica) URL() string { return "http://" + r.ln.Addr().String() }

// Addr is the replica's transport address.
func (r *Replica) Addr() net.Addr { return r.node.Addr() }

// Done is closed when the replica's node has stopped: after Close, or by
// itself when it cannot go on (a storage write failed); Err says why.
func (r *Replica) Done() <-chan struct{} { return r.node.Done() }

// Err is why the node stopped by itself (it wraps cluster.ErrFailStop after
// a failed storage write), or nil.
func (r *Replica) Err() error { return r.node.Err() }

// Shutdown stops the replica gracefully: the HTTP server takes no new
// request and waits for those in progress (until ctx ends, when it cuts
// them off), then the node stops, so that every write the server
// acknowledged was applied and made durable first.
func (r *Replica) Shutdown(ctx context.Context) error {
	err := r.srv.Shutdown(ctx)
	if err != nil {
		r.srv.Close()
	}
	<-r.served
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

// Local is a whole KV cluster in one OS process, on loopback TLS with an
// ephemeral CA: what rondo kv --mode lattice runs.
type Local struct {
	Replicas []*Replica
	// Faults is shared by every replica, so one /admin/partition on any
	// replica cuts the whole cluster.
	Faults *transport.Faults
}

// LocalConfig describes a KV cluster in one process.
type LocalConfig struct {
	// N is the number of replicas (default 3).
	N int
	// HTTP lists the replicas' API addresses (default: ephemeral 127.0.0.1
	// ports).
	HTTP    []string
	Options Options
	Logger  *slog.Logger
	// Registerer, if set, gets every replica's transport metrics, labelled
	// with node="I".
	Registerer prometheus.Registerer
}

// StartLocal starts the replicas of cfg.
func StartLocal(cfg LocalConfig) (*Local, error) {
	n, httpAddrs, opts, log := cfg.N, cfg.HTTP, cfg.Options, cfg.Logger
	if n == 0 {
		n = 3
	}
	if n < 1 {
		return nil, fmt.Errorf("kv: a cluster needs at least one replica, got %d", n)
	}
	ca, err := transport.NewCA("rondo kv ephemeral CA")
	if err != nil {
		return nil, err
	}
	lns := make([]net.Listener, n)
	addrs := make([]string, n)
	closeAll := func() {
		for _, ln := range lns {
			if ln != nil {
				ln.Close()
			}
		}
	}
	for i := range n {
		if lns[i], err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			closeAll()
			return nil, err
		}
		addrs[i] = lns[i].Addr().String()
	}
	l := &Local{Faults: transport.NewFaults(fault.Spec{}, n, 1)}
	for i := range n {
		idn, err := ca.Identity(core.NodeID(i), "127.0.0.1")
		if err != nil {
			closeAll()
			l.Close()
			return nil, err
		}
		httpAddr := ""
		if i < len(httpAddrs) {
			httpAddr = httpAddrs[i]
		}
		var reg prometheus.Registerer
		if cfg.Registerer != nil {
			reg = prometheus.WrapRegistererWith(prometheus.Labels{"node": strconv.Itoa(i)}, cfg.Registerer)
		}
		r, err := StartReplica(ReplicaConfig{
			ID: core.NodeID(i), Addrs: addrs, Listener: lns[i], Identity: idn,
			HTTP: httpAddr, Faults: l.Faults, Admin: true, Logger: log, Options: opts,
			Registerer: reg,
		})
		if err != nil {
			for _, ln := range lns[i+1:] {
				ln.Close()
			}
			l.Close()
			return nil, err
		}
		l.Replicas = append(l.Replicas, r)
	}
	return l, nil
}

// Close stops every replica, each gracefully (Replica.Close), at once.
func (l *Local) Close() {
	var wg sync.WaitGroup
	for _, r := range l.Replicas {
		wg.Go(r.Close)
	}
	wg.Wait()
}
