// Package rondokv is the benchmark's harness for Rondo's linearizable KV
// (package kv/linearizable): three replicas in this process, each the
// replicated log (smr) on a cluster node with its own Pebble store and
// listening socket, talking over loopback TCP; writes go to the leader's
// Go API in process, as the peers' harnesses do.
package rondokv

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/rondo-dev/rondo/bench/kvbench"
	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/kv/linearizable"
	"github.com/rondo-dev/rondo/kv/machine"
)

// System starts clusters of Rondo's linearizable KV.
type System struct{}

// Name implements kvbench.System.
func (System) Name() string { return "rondo" }

// Start implements kvbench.System.
func (System) Start(dir string, fsync bool) (kvbench.Cluster, error) {
	return start(dir, fsync)
}

// leaderWait bounds how long Start waits for the first leader to take a
// write.
const leaderWait = 15 * time.Second

// Cluster is a running cluster of three replicas.
type Cluster struct {
	local *linearizable.Local

	mu     sync.Mutex
	leader *linearizable.Replica // the replica Put writes to
}

func start(dir string, fsync bool) (*Cluster, error) {
	local, err := linearizable.StartLocal(linearizable.LocalConfig{
		N:   3,
		Dir: dir,
		Storage: func(_ core.NodeID, dir string) (core.Storage, func() error, error) {
			s, err := cluster.OpenDiskStorage(filepath.Join(dir, "store"),
				cluster.DiskOptions{Owner: linearizable.Owner, NoSync: !fsync})
			if err != nil {
				return nil, nil, err
			}
			return s, s.Close, nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("rondokv: %w", err)
	}
	c := &Cluster{local: local}
	ctx, cancel := context.WithTimeout(context.Background(), leaderWait)
	defer cancel()
	// A leader that holds its lease may still be catching up on its first
	// instance: Start returns once a write went through.
	for {
		err := c.Put(ctx, "rondokv/start", []byte("ready"))
		if err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			local.Close()
			return nil, fmt.Errorf("rondokv: the cluster took no write within %v: %w", leaderWait, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ErrNoLeader is returned by Put while no replica leads.
var ErrNoLeader = errors.New("rondokv: no leader")

// Put implements kvbench.Cluster: it writes through the leader's Go API
// (linearizable.Replica.Write: the log's Submit, then the node's barrier),
// which returns once the write is decided, applied by that replica and
// durable there.
func (c *Cluster) Put(ctx context.Context, key string, value []byte) error {
	cmd, err := machine.EncodeCommand(machine.Command{Kind: machine.Put, Key: key, Value: value})
	if err != nil {
		return err
	}
	r, err := c.leaderReplica(ctx)
	if err != nil {
		return err
	}
	out, err := r.Write(ctx, 0, 0, cmd)
	if err != nil {
		c.forget(r)
		return err
	}
	res, err := machine.DecodeResult(out)
	if err != nil {
		return fmt.Errorf("rondokv: a put's result does not decode: %w", err)
	}
	if res.Status != machine.OK {
		return fmt.Errorf("rondokv: a put ended %v: %s", res.Status, res.Err)
	}
	return nil
}

// leaderReplica is the replica Put writes to: the last one seen leading,
// as long as it still says it leads (its status is polled every 100 ms;
// a write to a replica that just lost the lead is forwarded by its log,
// so a stale answer costs a hop, not the write).
func (c *Cluster) leaderReplica(ctx context.Context) (*linearizable.Replica, error) {
	c.mu.Lock()
	r := c.leader
	c.mu.Unlock()
	if r != nil && r.Status().IsLeader {
		return r, nil
	}
	for _, r := range c.local.Replicas() {
		if r != nil && r.Status().IsLeader {
			c.mu.Lock()
			c.leader = r
			c.mu.Unlock()
			return r, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, ErrNoLeader
}

// forget drops r as the leader after a failed write, so that the next Put
// looks again.
func (c *Cluster) forget(r *linearizable.Replica) {
	c.mu.Lock()
	if c.leader == r {
		c.leader = nil
	}
	c.mu.Unlock()
}

// Close implements kvbench.Cluster.
func (c *Cluster) Close() error {
	c.local.Close()
	return nil
}
