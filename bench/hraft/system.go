// Package hraft is the benchmark's harness for github.com/hashicorp/raft:
// three replicas in one process, each with raft-boltdb as its log and
// stable store, raft's own TCP transport over loopback, and a map as the
// state machine, tuned the way its documentation suggests for throughput
// (batched applies, the largest AppendEntries batch, pipelined
// replication, a pool of connections per peer).
package hraft

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/rondo-dev/rondo/bench/kvbench"
)

// OffStore says what holds the log when fsync is off.
type OffStore int

const (
	// BoltNoSync keeps raft-boltdb with bolt's NoSync: every write still
	// goes through bolt's B+tree and into the page cache, only the flush is
	// skipped. This mirrors what "off" means for the etcd harness (the WAL
	// is written, not flushed), so it is the default.
	BoltNoSync OffStore = iota
	// InMemory uses raft's InmemStore: no storage work at all, which
	// measures raft and its transport alone.
	InMemory
)

// System starts hashicorp/raft clusters.
type System struct {
	// Off chooses the log store for fsync-off cells.
	Off OffStore
}

// Name implements kvbench.System.
func (System) Name() string { return "hashicorp" }

// Start implements kvbench.System.
func (s System) Start(dir string, fsync bool) (kvbench.Cluster, error) {
	return start(dir, fsync, s.Off)
}

// ErrNoLeader is returned by Put while no replica leads.
var ErrNoLeader = errors.New("hraft: no leader")

const (
	// maxPool is how many connections the transport keeps per peer
	// (default 3): pipelined AppendEntries take one, heartbeats and votes
	// others.
	maxPool = 8
	// ioTimeout is the transport's I/O deadline (raft's examples use 10 s).
	ioTimeout = 10 * time.Second
	// logCache is how many recent entries the log cache holds: several of
	// the largest AppendEntries batches (Consul holds 512 with batches of
	// 64).
	logCache = 4096
	// leaderWait bounds how long Start waits for the first leader.
	leaderWait = 15 * time.Second
)

type replica struct {
	id    raft.ServerID
	raft  *raft.Raft
	trans *raft.NetworkTransport
	fsm   *fsm
	close func() error // closes the log store
}

type cluster struct {
	dir      string
	fsync    bool
	off      OffStore
	servers  []raft.Server
	replicas []atomic.Pointer[replica]
}

func start(dir string, fsync bool, off OffStore) (*cluster, error) {
	c := &cluster{dir: dir, fsync: fsync, off: off, replicas: make([]atomic.Pointer[replica], 3)}
	// Transports first: the configuration names every replica's address.
	trans := make([]*raft.NetworkTransport, 3)
	for i := range trans {
		t, err := newTransport("127.0.0.1:0")
		if err != nil {
			for _, t := range trans[:i] {
				t.Close()
			}
			return nil, err
		}
		trans[i] = t
		c.servers = append(c.servers, raft.Server{ID: serverID(i), Address: t.LocalAddr()})
	}
	for i := range trans {
		r, err := c.open(i, trans[i], true)
		if err != nil {
			for _, t := range trans[i:] {
				t.Close()
			}
			c.Close()
			return nil, err
		}
		c.replicas[i].Store(r)
	}
	if err := c.awaitLeader(leaderWait); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func serverID(i int) raft.ServerID { return raft.ServerID(strconv.Itoa(i + 1)) }

func newTransport(addr string) (*raft.NetworkTransport, error) {
	return raft.NewTCPTransportWithConfig(addr, nil, &raft.NetworkTransportConfig{
		MaxPool: maxPool,
		Timeout: ioTimeout,
		Logger:  hclog.NewNullLogger(),
		// MaxRPCsInFlight left at its default (2): pipelining on, at the
		// depth hashicorp measured as best (their PR 541).
	})
}

// config is raft's default configuration with its throughput settings.
func config(id raft.ServerID) *raft.Config {
	conf := raft.DefaultConfig()
	conf.LocalID = id
	conf.Logger = hclog.NewNullLogger()
	conf.MaxAppendEntries = 1024 // the largest raft accepts (default 64)
	conf.BatchApplyCh = true     // Apply calls reach the leader loop in batches
	conf.NoLegacyTelemetry = true
	// No snapshot during a cell: the etcd harness never compacts either.
	conf.SnapshotThreshold = 1 << 62
	conf.SnapshotInterval = 24 * time.Hour
	return conf
}

// open creates (or reopens) replica i's stores and raft node on trans;
// bootstrap writes the initial configuration into a fresh store.
func (c *cluster) open(i int, trans *raft.NetworkTransport, bootstrap bool) (*replica, error) {
	rdir := filepath.Join(c.dir, "replica-"+strconv.Itoa(i+1))
	if err := os.MkdirAll(rdir, 0o700); err != nil {
		return nil, err
	}
	var logs raft.LogStore
	var stable raft.StableStore
	closeStore := func() error { return nil }
	if !c.fsync && c.off == InMemory {
		s := raft.NewInmemStore()
		logs, stable = s, s
	} else {
		s, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(rdir, "raft.db"), NoSync: !c.fsync})
		if err != nil {
			return nil, err
		}
		logs, stable, closeStore = s, s, s.Close
	}
	// Consul, Nomad and Vault all put raft's LogCache in front of the log
	// store, so that replication reads recent entries from memory instead
	// of decoding them back out of bolt.
	if cached, err := raft.NewLogCache(logCache, logs); err == nil {
		logs = cached
	} else {
		closeStore()
		return nil, err
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(rdir, 1, hclog.NewNullLogger())
	if err != nil {
		closeStore()
		return nil, err
	}
	f := newFSM()
	conf := config(serverID(i))
	if bootstrap {
		// Every replica bootstraps with the same configuration, which
		// raft documents as safe.
		if err := raft.BootstrapCluster(conf, logs, stable, snaps, trans, raft.Configuration{Servers: c.servers}); err != nil {
			closeStore()
			return nil, err
		}
	}
	r, err := raft.NewRaft(conf, f, logs, stable, snaps, trans)
	if err != nil {
		closeStore()
		return nil, err
	}
	return &replica{id: serverID(i), raft: r, trans: trans, fsm: f, close: closeStore}, nil
}

func (c *cluster) awaitLeader(d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if c.leader() != nil {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("hraft: no leader after %v", d)
}

func (c *cluster) leader() *replica {
	for i := range c.replicas {
		if r := c.replicas[i].Load(); r != nil && r.raft.State() == raft.Leader {
			return r
		}
	}
	return nil
}

// Put implements kvbench.Cluster: Apply on the leader, then wait for its
// future, which raft completes once the leader's FSM has applied the entry.
// hashicorp's future cannot be abandoned, so ctx bounds only the enqueue
// (through its deadline); a lost leadership ends the wait with an error.
func (c *cluster) Put(ctx context.Context, key string, value []byte) error {
	if len(key) > 0xFFFF {
		return fmt.Errorf("hraft: key of %d bytes is longer than 65535", len(key))
	}
	r := c.leader()
	if r == nil {
		return ErrNoLeader
	}
	var timeout time.Duration
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	f := r.raft.Apply(encodeCommand(key, value), timeout)
	if err := f.Error(); err != nil {
		return err
	}
	if err, ok := f.Response().(error); ok {
		return err
	}
	return nil
}

// kill stops replica i as a crash would, keeping its directory.
func (c *cluster) kill(i int) error {
	r := c.replicas[i].Swap(nil)
	if r == nil {
		return fmt.Errorf("hraft: replica %d is not running", i+1)
	}
	return r.stop()
}

// restart brings a killed replica back from its store on its old address.
func (c *cluster) restart(i int) error {
	if c.replicas[i].Load() != nil {
		return fmt.Errorf("hraft: replica %d is running", i+1)
	}
	t, err := newTransport(string(c.servers[i].Address))
	if err != nil {
		return err
	}
	r, err := c.open(i, t, false)
	if err != nil {
		t.Close()
		return err
	}
	c.replicas[i].Store(r)
	return nil
}

func (r *replica) stop() error {
	err := r.raft.Shutdown().Error()
	return errors.Join(err, r.trans.Close(), r.close())
}

// Close implements kvbench.Cluster.
func (c *cluster) Close() error {
	var errs []error
	for i := range c.replicas {
		if r := c.replicas[i].Swap(nil); r != nil {
			errs = append(errs, r.stop())
		}
	}
	return errors.Join(errs...)
}
