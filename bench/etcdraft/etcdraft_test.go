package etcdraft

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
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
// their values, and fails the test with what is missing if that takes
// longer than a generous bound.
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
			kv, applied := r.state()
			for k := range n {
				if !bytes.Equal(kv[fmt.Sprintf("k%04d", k)], value(k)) {
					missing = fmt.Sprintf("replica %d (applied index %d) lacks k%04d", r.id, applied, k)
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
	c, err := start(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	putAll(t, c, 0, 100)
	awaitApplied(t, c, 100)
}

func TestTheClusterCommitsWithAFollowerKilledAndTheFollowerCatchesUpFromItsLog(t *testing.T) {
	c, err := start(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	putAll(t, c, 0, 50)
	lead := c.leader()
	if lead == nil {
		t.Fatal("no leader after writes were acknowledged")
	}
	follower := lead.id%3 + 1
	if err := c.kill(follower); err != nil {
		t.Fatal(err)
	}
	putAll(t, c, 50, 100)
	awaitApplied(t, c, 100)

	// The killed follower replays its WAL (the first 50 writes at least)
	// and learns the rest from the leader.
	if err := c.restart(follower); err != nil {
		t.Fatal(err)
	}
	awaitApplied(t, c, 100)
}

func TestAWALReplaysTheLastHardStateAndTheReplacedTailAndStopsAtATornRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wal")
	w, _, ents, err := openWAL(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Fatalf("a new WAL holds %d entries", len(ents))
	}
	entry := func(index, term uint64, data string) *pb.Entry {
		return &pb.Entry{Index: &index, Term: &term, Data: []byte(data)}
	}
	hs := func(term, commit uint64) *pb.HardState { return &pb.HardState{Term: &term, Commit: &commit} }
	big := string(bytes.Repeat([]byte("x"), 5<<20)) // past one 4 MiB frame
	steps := []struct {
		st   *pb.HardState
		ents []*pb.Entry
	}{
		{hs(1, 0), []*pb.Entry{entry(2, 1, "a"), entry(3, 1, "b"), entry(4, 1, "c")}},
		{hs(1, 2), nil},
		// A new leader in term 2 replaces index 3 onward.
		{hs(2, 2), []*pb.Entry{entry(3, 2, "B"), entry(4, 2, big)}},
	}
	for _, s := range steps {
		if err := w.save(s.st, s.ents, true); err != nil {
			t.Fatal(err)
		}
	}
	end := w.off
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	// A torn last write: a record whose body never reached the disk.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	torn := []byte{0, 0, 0, 200, 1, 2, 3, 4, recordEntry, 9, 9}
	if _, err := f.WriteAt(torn, end); err != nil {
		t.Fatal(err)
	}
	f.Close()

	w, st, ents, err := openWAL(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	if st.GetTerm() != 2 || st.GetCommit() != 2 {
		t.Fatalf("replayed hard state term %d commit %d, want term 2 commit 2", st.GetTerm(), st.GetCommit())
	}
	want := []string{"2/1/a", "3/2/B", fmt.Sprintf("4/2/%d bytes", len(big))}
	var got []string
	for _, e := range ents {
		d := string(e.Data)
		if len(d) > 10 {
			d = fmt.Sprintf("%d bytes", len(d))
		}
		got = append(got, fmt.Sprintf("%d/%d/%s", e.GetIndex(), e.GetTerm(), d))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("replayed %v, want %v", got, want)
	}
	if w.off != end {
		t.Fatalf("the reopened WAL appends at %d, want %d (just before the torn record)", w.off, end)
	}
}

func TestAMalformedCommandIsAnErrorNotAPanic(t *testing.T) {
	for _, b := range [][]byte{nil, {1, 2, 3}, encodeCommand(7, "key", nil)[:12]} {
		if _, _, _, err := decodeCommand(b); err == nil {
			t.Errorf("decodeCommand(%v) accepted a malformed command", b)
		}
	}
	id, k, v, err := decodeCommand(encodeCommand(7, "key", []byte("value")))
	if err != nil || id != 7 || k != "key" || string(v) != "value" {
		t.Fatalf("round trip gave %d %q %q %v", id, k, v, err)
	}
}

func TestALeaderThatCannotWriteItsLogFailsTheWriteInsteadOfHangingAndCloseSaysWhy(t *testing.T) {
	c, err := start(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	putAll(t, c, 0, 10)
	lead := c.leader()
	if lead == nil {
		t.Fatal("no leader")
	}
	// The disk goes away under the leader: its next log write fails.
	lead.wal.f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = lead.propose(ctx, 1<<40, encodeCommand(1<<40, "k", value(1)))
	if err == nil || ctx.Err() != nil {
		t.Fatalf("a write to a leader that cannot persist returned %v (context: %v), want a prompt error", err, ctx.Err())
	}
	if c.leader() == lead {
		t.Fatal("the failed leader is still chosen for writes")
	}
	if err := lead.propose(ctx, 1<<41, encodeCommand(1<<41, "k", value(2))); err == nil || ctx.Err() != nil {
		t.Fatalf("a second write to the failed replica returned %v", err)
	}
	err = c.kill(lead.id)
	if err == nil || !strings.Contains(err.Error(), "wal: write") {
		t.Fatalf("stopping the failed replica returned %v, want the WAL write error", err)
	}
}
