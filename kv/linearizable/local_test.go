package linearizable

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/kv/client"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/smr"
)

// These tests run replicas on the real runtime: loopback TLS between the
// nodes, each replica's log in a DiskStorage (Pebble, fsync) under the
// test's directory, the HTTP API on a real port.

// startLocal starts a cluster of three in the test's directory and waits
// for its leader.
func startLocal(t *testing.T, log smr.Config) (*Local, *Replica) {
	t.Helper()
	l, err := StartLocal(LocalConfig{Dir: t.TempDir(), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	leader := waitLeader(t, l)
	return l, leader
}

func waitLeader(t *testing.T, l *Local) *Replica {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := l.Leader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// httpDo makes one plain HTTP request, as a client that knows nothing of
// sessions does, and returns the status, the outcome header and the body.
func httpDo(t *testing.T, method, u string, body []byte) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, u, err)
	}
	return resp.StatusCode, resp.Header.Get(client.OutcomeHeader), b
}

// clusterClient is a kv/client of every replica of l, retrying until ctx ends.
func clusterClient(t *testing.T, l *Local) *client.Client {
	t.Helper()
	var eps []string
	for _, r := range l.Replicas() {
		eps = append(eps, r.URL())
	}
	c, err := client.New(client.Config{Endpoints: eps})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func within(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	_ = cancel // the deadline releases it
	return ctx
}

func TestEveryReplicaTakesPlainPutsAndGetsOverRealTCPAndDisk(t *testing.T) {
	l, _ := startLocal(t, smr.Config{})
	rs := l.Replicas()
	for i, r := range rs {
		code, _, body := httpDo(t, "PUT", r.URL()+"/kv/key-"+strconv.Itoa(i), []byte("value from replica "+strconv.Itoa(i)))
		if code != http.StatusOK {
			t.Fatalf("PUT through replica %d: %d %s", i, code, body)
		}
	}
	// Each write is acknowledged once it is durable and applied; a read at
	// any replica after it, by the read index, sees it.
	for _, r := range rs {
		for i := range rs {
			code, _, body := httpDo(t, "GET", r.URL()+"/kv/key-"+strconv.Itoa(i), nil)
			if code != http.StatusOK || string(body) != "value from replica "+strconv.Itoa(i) {
				t.Fatalf("GET key-%d through replica %d: %d %q", i, r.ID(), code, body)
			}
		}
		code, _, body := httpDo(t, "GET", r.URL()+"/kv/never-written", nil)
		if code != http.StatusNotFound {
			t.Fatalf("GET of an absent key through replica %d: %d %s, want 404", r.ID(), code, body)
		}
	}
}

func TestAWriteAcknowledgedBeforeTheLeaderCrashesIsReadBackAfterItRestartsFromItsDirectory(t *testing.T) {
	l, leader := startLocal(t, smr.Config{})
	c := clusterClient(t, l)
	if _, err := c.Put(within(20*time.Second), "colour", []byte("blue")); err != nil {
		t.Fatal(err)
	}
	id, url := leader.ID(), leader.URL()
	l.Crash(id)
	// The other two elect a leader and still hold the write.
	if v, _, err := c.Get(within(30*time.Second), "colour"); err != nil || string(v) != "blue" {
		t.Fatalf("after the leader crashed: %q, %v", v, err)
	}
	if _, err := c.Put(within(30*time.Second), "shape", []byte("round")); err != nil {
		t.Fatal(err)
	}
	if err := l.Restart(id, url); err != nil {
		t.Fatal(err)
	}
	// The old leader restarts from its store and catches up on what it
	// missed; a read through it sees both writes.
	for key, want := range map[string]string{"colour": "blue", "shape": "round"} {
		code, _, body := httpDo(t, "GET", url+"/kv/"+key, nil)
		if code != http.StatusOK || string(body) != want {
			t.Fatalf("GET %s through the restarted replica %d: %d %q, want %q", key, id, code, body, want)
		}
	}
}

func TestWholeClusterRestartKeepsEveryAcknowledgedWrite(t *testing.T) {
	l, _ := startLocal(t, smr.Config{})
	c := clusterClient(t, l)
	const n = 200
	for i := range n {
		if _, err := c.Put(within(20*time.Second), fmt.Sprintf("k%03d", i), []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	urls := map[core.NodeID]string{}
	for _, r := range l.Replicas() {
		urls[r.ID()] = r.URL()
		l.Crash(r.ID())
	}
	for id, u := range urls {
		if err := l.Restart(id, u); err != nil {
			t.Fatal(err)
		}
	}
	waitLeader(t, l)
	res, err := c.List(within(20*time.Second), client.ListOptions{Prefix: "k", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != n {
		t.Fatalf("after restarting every replica: %d keys, want %d", len(res.Items), n)
	}
	for i, it := range res.Items {
		if it.Key != fmt.Sprintf("k%03d", i) || string(it.Value) != strconv.Itoa(i) {
			t.Fatalf("item %d: %s=%q", i, it.Key, it.Value)
		}
	}
}

// A request that meets a leader change gets an answer that says what
// happened: success, or an error that says whether it may have taken
// effect. Nothing acknowledged is lost, and a write whose outcome was
// unknown is resolved by retrying it in its session.
func TestRequestsDuringALeaderChangeGetClearAnswersAndNothingAcknowledgedIsLost(t *testing.T) {
	l, leader := startLocal(t, smr.Config{})
	rs := l.Replicas()
	type ack struct{ key, value string }
	var (
		mu    sync.Mutex
		acked []ack
		codes = map[int]int{}
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			hc := &http.Client{Timeout: 15 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key, value := fmt.Sprintf("w%d-%d", w, i), fmt.Sprintf("v%d", i)
				// Plain HTTP, no session, to a replica in turn: the
				// crashed one too, whose port refuses.
				u := rs[(w+i)%len(rs)].URL() + "/kv/" + key
				req, _ := http.NewRequest("PUT", u, bytes.NewReader([]byte(value)))
				resp, err := hc.Do(req)
				if err != nil {
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				codes[resp.StatusCode]++
				switch resp.StatusCode {
				case http.StatusOK:
					acked = append(acked, ack{key, value})
				case http.StatusServiceUnavailable, http.StatusGatewayTimeout:
					o := resp.Header.Get(client.OutcomeHeader)
					if o != client.OutcomeNotTaken && o != client.OutcomeUnknown {
						t.Errorf("PUT %s: %d without an outcome (%q): %s", key, resp.StatusCode, o, body)
					}
					if !bytes.Contains(body, []byte(`"error"`)) {
						t.Errorf("PUT %s: %d without an explanation: %s", key, resp.StatusCode, body)
					}
				default:
					t.Errorf("PUT %s: unexpected %d %s", key, resp.StatusCode, body)
				}
				mu.Unlock()
			}
		})
	}
	// Let some writes through, crash the leader while they run, let the
	// others elect a new one and take more writes, then restart it.
	waitAcks := func(n int) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			mu.Lock()
			got := len(acked)
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d writes acknowledged, want %d", got, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitAcks(50)
	id, u := leader.ID(), leader.URL()
	l.Crash(id)
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	waitAcks(before + 50)
	if err := l.Restart(id, u); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	before = len(acked)
	mu.Unlock()
	waitAcks(before + 20)
	close(stop)
	wg.Wait()
	t.Logf("answers by status: %v", codes)
	c := clusterClient(t, l)
	for _, a := range acked {
		v, _, err := c.Get(within(20*time.Second), a.key)
		if err != nil || string(v) != a.value {
			t.Fatalf("acknowledged %s=%s, read back %q, %v", a.key, a.value, v, err)
		}
	}
}

// Megabyte values, and a state of 6 MiB: more than a 4 MiB frame. A
// replica that was down while it was written, with the log truncated by
// snapshots behind it, catches up by a snapshot install that crosses the
// frame limit in pieces; then the whole cluster restarts from disk and
// still holds it.
func TestAReplicaThatWasDownCatchesUpPastTheFrameLimitAndMegabyteValuesSurviveARestart(t *testing.T) {
	// A snapshot every few entries, the consensus runtime truncated a
	// window of one instance behind the log, and a decision log too small
	// for a megabyte value, so that the entries the late replica missed
	// are gone from the log, the runtime and its decision log, and only a
	// snapshot brings them. (With a decision log of the default size, a
	// late replica that campaigned learned every entry from its peers'
	// decision logs, one value per message, and never needed the
	// snapshot.)
	l, leader := startLocal(t, smr.Config{SnapshotEvery: 2, Window: 1, Runtime: rounds.ConfigOf[string]{LogBytes: 64 << 10}})
	c := clusterClient(t, l)
	var late *Replica
	for _, r := range l.Replicas() {
		if r != leader {
			late = r
			break
		}
	}
	lateID, lateURL := late.ID(), late.URL()
	l.Crash(lateID)
	const n, size = 6, 1 << 20
	values := make([][]byte, n)
	for i := range values {
		values[i] = bytes.Repeat([]byte{byte('a' + i)}, size)
		values[i][0], values[i][size-1] = '<', '>'
		if _, err := c.Put(within(60*time.Second), "big"+strconv.Itoa(i), values[i]); err != nil {
			t.Fatalf("put of %d MiB value %d: %v", size>>20, i, err)
		}
	}
	// Small writes after the big ones push the runtime's truncation past
	// them.
	for i := range 10 {
		if _, err := c.Put(within(20*time.Second), "small"+strconv.Itoa(i), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Restart(lateID, lateURL); err != nil {
		t.Fatal(err)
	}
	// A read through the late replica waits for it to reach the read
	// index: only the snapshot gets it there.
	check := func(base, when string) {
		t.Helper()
		for i, want := range values {
			code, _, body := httpDo(t, "GET", base+"/kv/big"+strconv.Itoa(i), nil)
			if code != http.StatusOK || !bytes.Equal(body, want) {
				t.Fatalf("%s: GET big%d through %s: %d, %d bytes (want %d)", when, i, base, code, len(body), len(want))
			}
		}
	}
	check(lateURL, "after catching up")
	var st *smr.Status
	for _, r := range l.Replicas() {
		if r != nil && r.ID() == lateID {
			r.inspect()
			st = r.status.Load()
		}
	}
	if st == nil || st.Stats.Installed == 0 {
		t.Fatalf("the late replica caught up without installing a snapshot (status %+v): the test did not cross the frame limit", st)
	}
	urls := map[core.NodeID]string{}
	for _, r := range l.Replicas() {
		urls[r.ID()] = r.URL()
		l.Crash(r.ID())
	}
	for id, u := range urls {
		if err := l.Restart(id, u); err != nil {
			t.Fatal(err)
		}
	}
	waitLeader(t, l)
	for _, u := range urls {
		check(u, "after restarting every replica")
	}
}
