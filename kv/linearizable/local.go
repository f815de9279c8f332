package linearizable

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/kv"
	"github.com/rondo-dev/rondo/smr"
	"github.com/rondo-dev/rondo/transport"
)

// Owner is what a replica's store records as its owner (cluster.DiskStorage):
// a --data directory of the linearizable KV is refused to anything else.
const Owner = "rondo kv linearizable"

// LocalConfig describes a cluster of replicas in one process.
type LocalConfig struct {
	// N is the number of replicas (default 3).
	N int
	// Dir holds each replica's store, in Dir/I (default: a new temporary
	// directory, removed by Close).
	Dir string
	// Storage, if set, opens replica I's storage in dir instead of a
	// cluster.DiskStorage (benchmarks: a store without fsync). The
	// function it returns closes it.
	Storage func(id core.NodeID, dir string) (core.Storage, func() error, error)
	// HTTP lists the replicas' API addresses (default: ephemeral
	// 127.0.0.1 ports).
	HTTP   []string
	Logger *slog.Logger
	// Registerer, if set, gets every replica's metrics, labelled
	// node="I".
	Registerer prometheus.Registerer
	Limits     kv.HTTPLimits
	Log        smr.Config
}

// Local is a whole cluster in one OS process, on loopback TLS with an
// ephemeral CA, each replica's store on disk: what rondo kv runs by
// default. Every replica serves the admin routes; Faults is shared, so
// one /admin/partition cuts the whole cluster.
type Local struct {
	cfg      LocalConfig
	Faults   *transport.Faults
	dir      string
	temp     bool
	addrs    []string
	idents   []*transport.Identity
	mu       sync.Mutex
	replicas []*Replica
	closers  []func() error // each replica's storage
}

// StartLocal starts the replicas of cfg.
func StartLocal(cfg LocalConfig) (*Local, error) {
	if cfg.N == 0 {
		cfg.N = 3
	}
	if cfg.N < 1 {
		return nil, fmt.Errorf("kv: a cluster needs at least one replica, got %d", cfg.N)
	}
	l := &Local{cfg: cfg, dir: cfg.Dir, Faults: transport.NewFaults(fault.Spec{}, cfg.N, 1),
		replicas: make([]*Replica, cfg.N), closers: make([]func() error, cfg.N)}
	if l.dir == "" {
		d, err := os.MkdirTemp("", "rondo-kv-")
		if err != nil {
			return nil, err
		}
		l.dir, l.temp = d, true
	}
	ca, err := transport.NewCA("rondo kv ephemeral CA")
	if err != nil {
		l.Close()
		return nil, err
	}
	lns := make([]net.Listener, cfg.N)
	for i := range cfg.N {
		if lns[i], err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			for _, ln := range lns[:i] {
				ln.Close()
			}
			l.Close()
			return nil, err
		}
		l.addrs = append(l.addrs, lns[i].Addr().String())
		idn, err := ca.Identity(core.NodeID(i), "127.0.0.1")
		if err != nil {
			for _, ln := range lns[:i+1] {
				ln.Close()
			}
			l.Close()
			return nil, err
		}
		l.idents = append(l.idents, idn)
	}
	for i := range cfg.N {
		httpAddr := "127.0.0.1:0"
		if i < len(cfg.HTTP) {
			httpAddr = cfg.HTTP[i]
		}
		if err := l.start(core.NodeID(i), lns[i], httpAddr); err != nil {
			for _, ln := range lns[i+1:] {
				ln.Close()
			}
			l.Close()
			return nil, err
		}
	}
	return l, nil
}

// start opens replica id's storage and starts it on ln (nil: listen on
// its address again, after a crash) with its API on httpAddr.
func (l *Local) start(id core.NodeID, ln net.Listener, httpAddr string) error {
	dir := filepath.Join(l.dir, strconv.Itoa(int(id)))
	var storage core.Storage
	var closeStore func() error
	inc := 0
	if l.cfg.Storage != nil {
		st, c, err := l.cfg.Storage(id, dir)
		if err != nil {
			return err
		}
		storage, closeStore = st, c
		if ds, ok := st.(*cluster.DiskStorage); ok {
			if inc, err = ds.NextIncarnation(); err != nil {
				c()
				return err
			}
		}
	} else {
		ds, err := cluster.OpenDiskStorage(filepath.Join(dir, "store"), cluster.DiskOptions{Owner: Owner, Logger: l.cfg.Logger})
		if err != nil {
			return err
		}
		if inc, err = ds.NextIncarnation(); err != nil {
			ds.Close()
			return err
		}
		storage, closeStore = ds, ds.Close
	}
	var reg prometheus.Registerer
	if l.cfg.Registerer != nil {
		reg = prometheus.WrapRegistererWith(prometheus.Labels{"node": strconv.Itoa(int(id))}, l.cfg.Registerer)
	}
	r, err := StartReplica(ReplicaConfig{
		ID: id, Addrs: l.addrs, Listener: ln, Identity: l.idents[id],
		Storage: storage, Incarnation: inc, HTTP: httpAddr, Faults: l.Faults, Admin: true,
		Logger: l.cfg.Logger, Registerer: reg, Limits: l.cfg.Limits, Log: l.cfg.Log,
	})
	if err != nil {
		closeStore()
		return err
	}
	l.mu.Lock()
	l.replicas[id], l.closers[id] = r, closeStore
	l.mu.Unlock()
	return nil
}

// Replicas are the running replicas, by id (nil for one crashed).
func (l *Local) Replicas() []*Replica {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*Replica(nil), l.replicas...)
}

// Dir is where the replicas' stores are.
func (l *Local) Dir() string { return l.dir }

// Crash stops replica id as a crash does: its node stops between two
// batches (what it committed stays, nothing else) and its HTTP server
// closes at once.
func (l *Local) Crash(id core.NodeID) {
	l.mu.Lock()
	r, closeStore := l.replicas[id], l.closers[id]
	l.replicas[id], l.closers[id] = nil, nil
	l.mu.Unlock()
	if r == nil {
		return
	}
	r.srv.Close()
	<-r.served
	close(r.stop)
	<-r.polled
	r.node.Stop()
	closeStore()
}

// Restart starts a crashed replica again on its store, its transport
// address and its HTTP address.
func (l *Local) Restart(id core.NodeID, httpAddr string) error {
	l.mu.Lock()
	running := l.replicas[id] != nil
	l.mu.Unlock()
	if running {
		return fmt.Errorf("kv: replica %d is running", id)
	}
	httpAddr = strings.TrimPrefix(httpAddr, "http://")
	return l.start(id, nil, httpAddr)
}

// Leader waits until some replica leads and holds its lease, and returns
// it.
func (l *Local) Leader(ctx context.Context) (*Replica, error) {
	for {
		for _, r := range l.Replicas() {
			if r != nil && r.Status().IsLeader {
				return r, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("kv: no leader: %w", ctx.Err())
		case <-time.After(pollEvery / 4):
		}
	}
}

// Close stops every replica, each gracefully, at once, closes their
// stores and removes the directory if StartLocal made it.
func (l *Local) Close() {
	var wg sync.WaitGroup
	for _, r := range l.Replicas() {
		if r != nil {
			wg.Go(r.Close)
		}
	}
	wg.Wait()
	l.mu.Lock()
	for i, c := range l.closers {
		if c != nil {
			c()
			l.closers[i] = nil
		}
		l.replicas[i] = nil
	}
	l.mu.Unlock()
	if l.temp {
		os.RemoveAll(l.dir)
	}
}
