package transport

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// logBuffer collects a transport's log lines so a test can assert on them.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// inbox records what a transport delivered.
type inbox struct {
	mu   sync.Mutex
	msgs []string // "from:payload"
}

func (in *inbox) handler(from core.NodeID, p []byte) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.msgs = append(in.msgs, label(from)+":"+string(p))
	return nil
}

func (in *inbox) snapshot() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.msgs...)
}

func (in *inbox) has(s string) bool {
	for _, m := range in.snapshot() {
		if m == s {
			return true
		}
	}
	return false
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// listeners binds n loopback ports and returns them with their addresses.
func listeners(t *testing.T, n int) ([]net.Listener, []string) {
	t.Helper()
	lns := make([]net.Listener, n)
	addrs := make([]string, n)
	for i := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i], addrs[i] = ln, ln.Addr().String()
	}
	return lns, addrs
}

// cluster starts n TLS transports under one fresh CA.
type testCluster struct {
	ca     *CA
	addrs  []string
	ts     []*Transport
	inbox  []*inbox
	logs   []*logBuffer
	faults *Faults
	// tune, if set, adjusts each node's Config before it starts.
	tune func(i int, cfg *Config)
}

func newTestCluster(t *testing.T, n int) *testCluster {
	t.Helper()
	return newTunedCluster(t, n, nil)
}

// newTunedCluster is newTestCluster with tune applied to each node's Config.
func newTunedCluster(t *testing.T, n int, tune func(i int, cfg *Config)) *testCluster {
	t.Helper()
	ca, err := NewCA("test cluster")
	if err != nil {
		t.Fatal(err)
	}
	lns, addrs := listeners(t, n)
	c := &testCluster{ca: ca, addrs: addrs, tune: tune}
	for i := 0; i < n; i++ {
		c.inbox = append(c.inbox, &inbox{})
		c.logs = append(c.logs, &logBuffer{})
		c.ts = append(c.ts, nil)
		c.start(t, i, lns[i])
	}
	t.Cleanup(func() {
		for _, tr := range c.ts {
			if tr != nil {
				tr.Close()
			}
		}
	})
	return c
}

func (c *testCluster) start(t *testing.T, i int, ln net.Listener) {
	t.Helper()
	idn, err := c.ca.Identity(core.NodeID(i))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		ID: core.NodeID(i), Addrs: c.addrs, Listener: ln, Identity: idn,
		Handler: c.inbox[i].handler, Logger: c.logs[i].logger(),
		BackoffMin: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
		Faults: c.faults,
	}
	if c.tune != nil {
		c.tune(i, &cfg)
	}
	tr, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.ts[i] = tr
}

// restart closes node i and starts a new transport on the same port, with
// a fresh inbox and log.
func (c *testCluster) restart(t *testing.T, i int) {
	t.Helper()
	c.ts[i].Close()
	ln, err := net.Listen("tcp", c.addrs[i])
	if err != nil {
		t.Fatalf("rebinding node %d's port: %v", i, err)
	}
	c.inbox[i], c.logs[i] = &inbox{}, &logBuffer{}
	c.start(t, i, ln)
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// dumpLogs shows every node's log when the test failed.
func dumpLogs(t *testing.T, c *testCluster) {
	if !t.Failed() {
		return
	}
	for i, l := range c.logs {
		t.Logf("node %d log:\n%s", i, l)
	}
}
