package hraft

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// value makes a distinct 128-byte value for write i.
func value(i int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("%07d|", i)), 16)
}

// putAll writes keys from..to-1 from eight concurrent clients.
func putAll(t *testing.T, c *cluster, from, to int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, to-from)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := from + w; i < to; i += 8 {
				if err := c.Put(ctx, fmt.Sprintf("k%04d", i), value(i)); err != nil {
					errs <- fmt.Errorf("put %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// awaitApplied waits until every running replica holds keys 0..n-1 with
// their values; followers learn the commit index on raft's next
// AppendEntries, so this polls with a generous bound.
func awaitApplied(t *testing.T, c *cluster, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		missing := ""
		for i := range c.replicas {
			r := c.replicas[i].Load()
			if r == nil {
				continue
			}
			kv, applied := r.fsm.state()
			for k := range n {
				if !bytes.Equal(kv[fmt.Sprintf("k%04d", k)], value(k)) {
					missing = fmt.Sprintf("replica %s (applied index %d) lacks k%04d", r.id, applied, k)
					break
				}
			}
			if missing != "" {
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(missing)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEveryReplicaAppliesEveryAcknowledgedWrite(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fsync bool
		off   OffStore
	}{{"bolt-fsync", true, BoltNoSync}, {"bolt-nosync", false, BoltNoSync}, {"inmem", false, InMemory}} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := start(t.TempDir(), tc.fsync, tc.off)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			putAll(t, c, 0, 100)
			awaitApplied(t, c, 100)
		})
	}
}

func TestTheClusterCommitsWithAFollowerKilledAndTheFollowerCatchesUpFromItsStore(t *testing.T) {
	c, err := start(t.TempDir(), true, BoltNoSync)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	putAll(t, c, 0, 50)
	follower := -1
	for i := range c.replicas {
		if c.replicas[i].Load().raft.State() == raft.Follower {
			follower = i
			break
		}
	}
	if follower < 0 {
		t.Fatal("no follower")
	}
	if err := c.kill(follower); err != nil {
		t.Fatal(err)
	}
	putAll(t, c, 50, 100)
	awaitApplied(t, c, 100)

	if err := c.restart(follower); err != nil {
		t.Fatal(err)
	}
	awaitApplied(t, c, 100)
}

func TestASnapshotRestoresTheMapAndATruncatedOneIsAnError(t *testing.T) {
	f := newFSM()
	for i := range 1000 {
		f.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: encodeCommand(fmt.Sprintf("k%04d", i), value(i))})
	}
	big := bytes.Repeat([]byte("v"), 5<<20) // past one 4 MiB frame
	f.Apply(&raft.Log{Index: 1001, Type: raft.LogCommand, Data: encodeCommand("big", big)})
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	if err := snap.Persist(sink); err != nil {
		t.Fatal(err)
	}
	g := newFSM()
	if err := g.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatal(err)
	}
	got, _ := g.state()
	if len(got) != 1001 || !bytes.Equal(got["big"], big) || !bytes.Equal(got["k0999"], value(999)) {
		t.Fatalf("restored %d keys; big is %d bytes", len(got), len(got["big"]))
	}
	h := newFSM()
	if err := h.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()[:sink.Len()-10]))); err == nil {
		t.Fatal("a truncated snapshot restored without error")
	}
	if r := f.Apply(&raft.Log{Index: 1002, Type: raft.LogCommand, Data: []byte{0, 9, 1}}); r == nil {
		t.Fatal("a malformed command applied without error")
	}
}

// memSink is a raft.SnapshotSink in memory.
type memSink struct{ bytes.Buffer }

func (*memSink) ID() string    { return "mem" }
func (*memSink) Cancel() error { return nil }
func (*memSink) Close() error  { return nil }
