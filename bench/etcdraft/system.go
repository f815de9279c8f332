// Package etcdraft is the benchmark's harness for go.etcd.io/raft/v3: three
// replicas in one process, each a raft.Node driven by the Ready loop of
// etcd's server, with a write-ahead log in the style of raftexample's (one
// write and one fdatasync per Ready), a transport of one TCP stream per peer
// over loopback, and a map as the state machine.
package etcdraft

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/rondo-dev/rondo/bench/kvbench"
)

// System starts etcd raft clusters.
type System struct{}

// Name implements kvbench.System.
func (System) Name() string { return "etcd" }

// Start implements kvbench.System. With fsync false the WAL is written
// exactly as with fsync true but never flushed.
func (System) Start(dir string, fsync bool) (kvbench.Cluster, error) {
	return start(dir, fsync)
}

// ErrNoLeader is returned by Put while no replica believes it leads.
var ErrNoLeader = errors.New("etcdraft: no leader")

// cluster is three replicas; Put goes to the one that leads.
type cluster struct {
	dir      string
	fsync    bool
	ids      []uint64
	replicas []atomic.Pointer[replica] // index id-1; nil while stopped
	addrs    map[uint64]string
	nextID   atomic.Uint64
}

// leaderWait bounds how long Start waits for the first leader.
const leaderWait = 10 * time.Second

func start(dir string, fsync bool) (*cluster, error) {
	c := &cluster{dir: dir, fsync: fsync, ids: []uint64{1, 2, 3}, replicas: make([]atomic.Pointer[replica], 3), addrs: map[uint64]string{}}
	for _, id := range c.ids {
		r, err := c.open(id, "127.0.0.1:0")
		if err != nil {
			c.Close()
			return nil, err
		}
		c.replicas[id-1].Store(r)
		c.addrs[id] = r.tr.ln.Addr().String()
	}
	for i := range c.replicas {
		c.replicas[i].Load().run(c.addrs)
	}
	// Replica 1 campaigns at once rather than after an election timeout.
	if err := c.replicas[0].Load().node.Campaign(context.Background()); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.awaitLeader(leaderWait); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// open opens replica id's storage (replaying what it holds) and listener.
func (c *cluster) open(id uint64, addr string) (*replica, error) {
	rdir := filepath.Join(c.dir, "replica-"+strconv.FormatUint(id, 10))
	if err := os.MkdirAll(rdir, 0o700); err != nil {
		return nil, err
	}
	return openReplica(id, c.ids, rdir, c.fsync, addr)
}

// kill stops replica id as a crash would, keeping its directory.
func (c *cluster) kill(id uint64) error {
	r := c.replicas[id-1].Swap(nil)
	if r == nil {
		return fmt.Errorf("etcdraft: replica %d is not running", id)
	}
	return r.stop()
}

// restart brings a killed replica back from its log on its old address.
func (c *cluster) restart(id uint64) error {
	if c.replicas[id-1].Load() != nil {
		return fmt.Errorf("etcdraft: replica %d is running", id)
	}
	r, err := c.open(id, c.addrs[id])
	if err != nil {
		return err
	}
	r.run(c.addrs)
	c.replicas[id-1].Store(r)
	return nil
}

// awaitLeader polls until some replica leads, or d passes.
func (c *cluster) awaitLeader(d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if c.leader() != nil {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("etcdraft: no leader after %v", d)
}

// leader returns a running replica that believes it leads, or nil.
func (c *cluster) leader() *replica {
	for i := range c.replicas {
		if r := c.replicas[i].Load(); r != nil && r.lead.Load() == r.id {
			return r
		}
	}
	return nil
}

// Put implements kvbench.Cluster: it proposes on the leader and waits until
// the leader has applied the write.
func (c *cluster) Put(ctx context.Context, key string, value []byte) error {
	if len(key) > 0xFFFF {
		return fmt.Errorf("etcdraft: key of %d bytes is longer than 65535", len(key))
	}
	r := c.leader()
	if r == nil {
		return ErrNoLeader
	}
	id := c.nextID.Add(1)
	return r.propose(ctx, id, encodeCommand(id, key, value))
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
