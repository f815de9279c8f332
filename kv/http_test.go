package kv_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/kv"
	"github.com/rondo-dev/rondo/transport"
)

// startOne runs a one-replica cluster on storage with opts.
func startOne(t *testing.T, storage core.Storage, opts kv.Options) *kv.Replica {
	t.Helper()
	ca, err := transport.NewCA("kv test")
	if err != nil {
		t.Fatal(err)
	}
	idn, err := ca.Identity(0, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r, err := kv.StartReplica(kv.ReplicaConfig{ID: 0, Addrs: []string{ln.Addr().String()}, Listener: ln,
		Identity: idn, Storage: storage, Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// stalledPut opens a connection and sends a PUT that announces a 1 MiB
// value and sends only its first kilobyte.
func stalledPut(t *testing.T, base, key string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "PUT /kv/%s HTTP/1.1\r\nHost: kv\r\nContent-Length: %d\r\n\r\n%s", key, kv.MaxValue, strings.Repeat("x", 1024))
	return c
}

// answer reads one HTTP response from c (the connection's end counts as an
// answer too: io.EOF).
func answer(c net.Conn) (int, string, error) {
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// An upload that stalls is cut off when the read timeout passes: the
// client is told why, and the connection is closed, so a stalled client
// holds neither memory nor a connection for ever.
func TestAStalledUploadIsCutOff(t *testing.T) {
	r := startOne(t, &core.MemStorage{}, kv.Options{Limits: kv.HTTPLimits{ReadTimeout: 200 * time.Millisecond}})
	c := stalledPut(t, r.URL(), "slow")
	code, body, err := answer(c)
	if err != nil || code != http.StatusRequestTimeout || !strings.Contains(body, "did not arrive within 200ms") {
		t.Fatalf("a stalled upload got %d %q (%v), want 408 saying why", code, body, err)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("the connection of a stalled upload stayed open")
	}
	if code, body, _ := call(t, "PUT", r.URL()+"/kv/fast", "v"); code != 200 {
		t.Fatalf("a normal PUT after it: %d %v", code, body)
	}
}

// However many clients upload at once, at most MaxPuts bodies are being
// read: the others are answered 503 before their body is read, so values
// in memory stay below MaxPuts × MaxValue. Once the uploads in progress
// end, writes go through again.
func TestUploadsInProgressAreBounded(t *testing.T) {
	const slots, clients = 4, 12
	r := startOne(t, &core.MemStorage{}, kv.Options{Limits: kv.HTTPLimits{MaxPuts: slots}})
	conns := make([]net.Conn, clients)
	answers := make(chan int, clients)
	for i := range conns {
		conns[i] = stalledPut(t, r.URL(), fmt.Sprintf("k%d", i))
		go func() {
			code, body, err := answer(conns[i])
			if err == nil && code == http.StatusServiceUnavailable && !strings.Contains(body, "too many writes in progress (at most 4 at once)") {
				t.Errorf("503 without the reason: %q", body)
			}
			answers <- code
		}()
	}
	for range clients - slots {
		if code := <-answers; code != http.StatusServiceUnavailable {
			t.Fatalf("an upload past the bound got %d, want 503", code)
		}
	}
	if code, _, _ := call(t, "PUT", r.URL()+"/kv/more", "v"); code != http.StatusServiceUnavailable {
		t.Fatalf("a PUT while %d uploads hold every slot got %d, want 503", slots, code)
	}
	for _, c := range conns {
		c.Close()
	}
	eventually(t, 10*time.Second, "the slots to free up", func() bool {
		code, _, _ := call(t, "PUT", r.URL()+"/kv/more", "v")
		return code == 200
	})
}

// Connections past MaxConns are answered 503 and closed at once; idle
// connections that never send a request are closed after
// ReadHeaderTimeout, which frees their slots.
func TestConnectionsPastTheLimitAreRefused(t *testing.T) {
	r := startOne(t, &core.MemStorage{}, kv.Options{Limits: kv.HTTPLimits{MaxConns: 3, ReadHeaderTimeout: 300 * time.Millisecond}})
	addr := strings.TrimPrefix(r.URL(), "http://")
	var idle []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	// The three idle connections may not all be accepted yet: wait for the
	// listener to have taken them, then a fourth is refused.
	eventually(t, 10*time.Second, "a connection past the limit to be refused", func() bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /status HTTP/1.1\r\nHost: kv\r\n\r\n")
		code, body, err := answer(c)
		return err == nil && code == http.StatusServiceUnavailable && strings.Contains(body, "too many connections")
	})
	for _, c := range idle {
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("an idle connection got data")
		}
	}
	if code, _, _ := call(t, "GET", r.URL()+"/status", ""); code != 200 {
		t.Fatalf("after the idle connections were closed: %d", code)
	}
}

// A read waiting for its session stops waiting when its client goes away
// (it would otherwise hold its goroutine for the whole ?wait), and a
// graceful shutdown right after does not wait for it.
func TestAReadStopsWaitingWhenItsClientGoesAway(t *testing.T) {
	l := startLocal(t, 2)
	r0, r1 := l.Replicas[0].URL(), l.Replicas[1].URL()
	call(t, "POST", r0+"/admin/partition", `{"groups":[[0],[1]]}`)
	_, _, token := call(t, "PUT", r0+"/kv/k", "v")
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", r1+"/kv/k?wait=1m", nil)
	req.Header.Set(kv.SessionHeader, token)
	got := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		got <- err
	}()
	waiting := func() float64 {
		_, st, _ := call(t, "GET", r1+"/status", "")
		return st["waiting"].(float64)
	}
	eventually(t, 10*time.Second, "the read to wait for its session", func() bool { return waiting() == 1 })
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Fatalf("the client's request ended with %v", err)
	}
	eventually(t, 10*time.Second, "the read to stop waiting", func() bool { return waiting() == 0 })
	sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer scancel()
	if err := l.Replicas[1].Shutdown(sctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// A graceful shutdown lets a write in progress finish: its client gets its
// 200, and the write is durable — a replica restarted on the same storage
// has it.
func TestShutdownLetsAWriteInProgressFinish(t *testing.T) {
	storage := &core.MemStorage{}
	r := startOne(t, storage, kv.Options{})
	c, err := net.Dial("tcp", strings.TrimPrefix(r.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	value := strings.Repeat("v", 4096)
	fmt.Fprintf(c, "PUT /kv/late HTTP/1.1\r\nHost: kv\r\nContent-Length: %d\r\n\r\n%s", len(value), value[:100])
	eventually(t, 10*time.Second, "the PUT to be in progress", func() bool {
		_, st, _ := call(t, "GET", r.URL()+"/status", "")
		return st["writing"].(float64) == 1
	})
	var wg sync.WaitGroup
	var shut error
	wg.Go(func() { shut = r.Shutdown(context.Background()) })
	eventually(t, 10*time.Second, "the shutdown to begin (the listener closes)", func() bool {
		c, err := net.Dial("tcp", strings.TrimPrefix(r.URL(), "http://"))
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	io.WriteString(c, value[100:])
	code, body, err := answer(c)
	wg.Wait()
	if err != nil || code != 200 || shut != nil {
		t.Fatalf("the write in progress got %d %q (%v); shutdown: %v", code, body, err, shut)
	}
	again := startOne(t, storage, kv.Options{})
	if code, body, _ := call(t, "GET", again.URL()+"/kv/late?raw", ""); code != 200 || body["_text"] != value {
		t.Fatalf("after a restart the write reads %d (%d bytes)", code, len(body["_text"].(string)))
	}
}

// A write the replica refuses because its delta would not fit in one
// message is a 413 that says so (the KV's own value limit keeps this from
// happening at the default budget: see the next test).
func TestAWriteTooLargeForOneMessageIsRefusedWith413(t *testing.T) {
	r := startOne(t, &core.MemStorage{}, kv.WithBudget(kv.Options{}, 1000))
	code, body, _ := call(t, "PUT", r.URL()+"/kv/big", strings.Repeat("x", 2000))
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body["_text"].(string), "one message carries at most 1000") {
		t.Fatalf("got %d %s", code, body["_text"])
	}
	if code, _, _ := call(t, "GET", r.URL()+"/kv/big", ""); code != 404 {
		t.Fatalf("the refused write is readable (%d)", code)
	}
	if code, _, _ := call(t, "PUT", r.URL()+"/kv/small", "fits"); code != 200 {
		t.Fatalf("a write that fits: %d", code)
	}
}

// The largest value the API takes, under the longest key, makes a delta
// that fits in one message: the KV's limit and the frame budget agree.
func TestTheLargestWriteFitsInOneMessage(t *testing.T) {
	r := startOne(t, &core.MemStorage{}, kv.Options{})
	code, body, _ := call(t, "PUT", r.URL()+"/kv/"+strings.Repeat("k", kv.MaxKey), strings.Repeat("x", kv.MaxValue))
	if code != 200 {
		t.Fatalf("a %d-byte value under a %d-byte key: %d %s", kv.MaxValue, kv.MaxKey, code, body["_text"])
	}
}

// failAfter is storage that fails every write after the first n: a disk
// that fills up.
type failAfter struct {
	core.MemStorage
	mu sync.Mutex
	n  int
}

func (s *failAfter) Put(k string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return errors.New("no space left on device")
	}
	s.n--
	return s.MemStorage.Put(k, v)
}

// A replica whose storage fails stops for good (fail-stop): the write that
// could not be made durable is answered 503 with the reason, Done closes and
// Err says why; a replica restarted on the same data has every write
// acknowledged before.
func TestAReplicaWhoseDiskFillsUpStopsAndSaysWhy(t *testing.T) {
	disk := &failAfter{n: 3}
	r := startOne(t, disk, kv.Options{})
	var acked []string
	for i := range 10 {
		key := fmt.Sprintf("k%d", i)
		code, body, _ := call(t, "PUT", r.URL()+"/kv/"+key, "v")
		if code == 200 {
			acked = append(acked, key)
			continue
		}
		if code != http.StatusServiceUnavailable || !strings.Contains(body["_text"].(string), "no space left on device") {
			t.Fatalf("the write that filled the disk got %d %s", code, body["_text"])
		}
		break
	}
	select {
	case <-r.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the replica kept running after its storage failed")
	}
	if !errors.Is(r.Err(), cluster.ErrFailStop) {
		t.Fatalf("Err() = %v, want a fail-stop", r.Err())
	}
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged before the disk filled")
	}
	again := startOne(t, &disk.MemStorage, kv.Options{})
	for _, key := range acked {
		if code, _, _ := call(t, "GET", again.URL()+"/kv/"+key, ""); code != 200 {
			t.Errorf("acknowledged write %s lost across the restart (%d)", key, code)
		}
	}
}
