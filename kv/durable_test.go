package kv_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/kv"
)

// failingCommit is a DiskStorage whose first commit that writes fails —
// after giving an answer that does not wait for it the time to reach the
// client.
type failingCommit struct {
	*cluster.DiskStorage
	answered chan struct{}
	pending  bool
}

func (f *failingCommit) Put(key string, value []byte) error {
	f.pending = true
	return f.DiskStorage.Put(key, value)
}

func (f *failingCommit) Commit() error {
	if !f.pending {
		return f.DiskStorage.Commit()
	}
	select {
	case <-f.answered:
	case <-time.After(500 * time.Millisecond):
	}
	f.DiskStorage.Rollback()
	return errors.New("the disk is on fire")
}

// A PUT is acknowledged only once the replica has committed its write:
// when that commit fails, the client is told the replica stopped (503),
// never 200, and the value is not in the store.
func TestAWriteIsAcknowledgedOnlyOnceItsCommitSucceeds(t *testing.T) {
	dir := t.TempDir()
	ds, err := cluster.OpenDiskStorage(dir, cluster.DiskOptions{Owner: "kv test"})
	if err != nil {
		t.Fatal(err)
	}
	st := &failingCommit{DiskStorage: ds, answered: make(chan struct{})}
	r := startOne(t, st, kv.Options{})
	req, _ := http.NewRequest("PUT", r.URL()+"/kv/colour", strings.NewReader("blue"))
	resp, err := http.DefaultClient.Do(req)
	close(st.answered)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "the disk is on fire") {
		t.Fatalf("PUT whose commit failed: %d %s, want 503 saying why", resp.StatusCode, body)
	}
	<-r.Done()
	r.Close()
	if keys := ds.Keys(""); len(keys) != 0 {
		t.Fatalf("the store holds %q after the failed commit", keys)
	}
	ds.Close()
}
