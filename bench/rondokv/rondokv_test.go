package rondokv

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/kv/linearizable"
	"github.com/rondo-dev/rondo/kv/machine"
)

// value makes a distinct 128-byte value for write i.
func value(i int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("%07d|", i)), 16)
}

// putAll writes keys from..to-1 from eight concurrent clients.
func putAll(t *testing.T, c *Cluster, from, to int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, to-from)
	for w := range 8 {
		wg.Go(func() {
			for i := from + w; i < to; i += 8 {
				if err := c.Put(ctx, fmt.Sprintf("k%04d", i), value(i)); err != nil {
					errs <- fmt.Errorf("put %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// readAll reads keys 0..n-1 at replica r by the log's read index (so the
// replica answers only once it has applied every write acknowledged
// before the read) and checks their values.
func readAll(t *testing.T, r *linearizable.Replica, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range n {
		q, err := machine.EncodeCommand(machine.Command{Kind: machine.Get, Key: fmt.Sprintf("k%04d", i)})
		if err != nil {
			t.Fatal(err)
		}
		out, err := r.Read(ctx, q)
		if err != nil {
			t.Fatalf("replica %d: reading k%04d: %v", r.ID(), i, err)
		}
		res, err := machine.DecodeResult(out)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != machine.OK || !bytes.Equal(res.Value, value(i)) {
			t.Fatalf("replica %d: k%04d is %v %q, want %q", r.ID(), i, res.Status, res.Value, value(i))
		}
	}
}

func TestEveryReplicaReadsEveryAcknowledgedWrite(t *testing.T) {
	for _, fsync := range []bool{true, false} {
		t.Run(fmt.Sprintf("fsync=%v", fsync), func(t *testing.T) {
			c, err := start(t.TempDir(), fsync)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			putAll(t, c, 0, 100)
			for _, r := range c.local.Replicas() {
				readAll(t, r, 100)
			}
		})
	}
}

func TestTheClusterCommitsWithAFollowerKilledAndTheFollowerCatchesUpFromItsStore(t *testing.T) {
	c, err := start(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	putAll(t, c, 0, 50)
	// Any replica but the one the writes go to (the leader, as of the
	// last write) is a follower.
	follower := (c.leader.ID() + 1) % 3
	c.local.Crash(follower)
	putAll(t, c, 50, 100)
	for _, r := range c.local.Replicas() {
		if r != nil {
			readAll(t, r, 100)
		}
	}
	if err := c.local.Restart(follower, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	readAll(t, c.local.Replicas()[follower], 100)
}
