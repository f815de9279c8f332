package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// A hostile client: what it does after the TCP connection is up.
type hostility int

const (
	idle         hostility = iota // sends nothing
	partialHello                  // the first bytes of a TLS ClientHello, then nothing
	trickle                       // a TLS record header claiming 16 KiB, then one byte every 50 ms
)

func (h hostility) String() string {
	return [...]string{"idle", "partial TLS hello", "trickling garbage"}[h]
}

// partialClientHello is the start of a TLS ClientHello record: a
// handshake record of 200 bytes announcing a ClientHello, cut after the
// version.
var partialClientHello = []byte{0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03}

// hostileConns are connections a test opened to misbehave on; they close at
// the end of the test.
type hostileConns struct {
	mu    sync.Mutex
	conns []net.Conn
	kinds []hostility
	wg    sync.WaitGroup
}

// open connects to addr and starts misbehaving as kind.
func (h *hostileConns) open(t *testing.T, addr string, kind hostility) {
	t.Helper()
	h.openFrom(t, nil, addr, kind)
}

// openFrom is open from a given local address (nil: any).
func (h *hostileConns) openFrom(t *testing.T, local net.Addr, addr string, kind hostility) {
	t.Helper()
	d := net.Dialer{LocalAddr: local}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("hostile dial: %v", err)
	}
	h.mu.Lock()
	h.conns = append(h.conns, c)
	h.kinds = append(h.kinds, kind)
	h.mu.Unlock()
	switch kind {
	case partialHello:
		c.Write(partialClientHello)
	case trickle:
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			if _, err := c.Write([]byte{0x16, 0x03, 0x01, 0x40, 0x00}); err != nil {
				return
			}
			for {
				time.Sleep(50 * time.Millisecond)
				if _, err := c.Write([]byte{0x5a}); err != nil {
					return // closed by the node, or by the test
				}
			}
		}()
	}
}

func (h *hostileConns) closeAll() {
	h.mu.Lock()
	for _, c := range h.conns {
		c.Close()
	}
	h.mu.Unlock()
	h.wg.Wait()
}

// closedByNode reports whether the node has closed c: a read returns EOF or
// a reset at once. A connection still open makes the read wait for the
// short deadline.
func closedByNode(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, err := c.Read(make([]byte, 64))
	return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}

// open counts the hostile connections the node has not closed yet.
func (h *hostileConns) stillOpen() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.conns {
		if !closedByNode(c) {
			n++
		}
	}
	return n
}

func TestTwoHundredIdleConnectionsDoNotLockAPeerOut(t *testing.T) {
	// The flood comes from the peer's own address (loopback): the hardest
	// case, where the node cannot tell the peer from the flood before the
	// handshake. Node 1 gives a handshake a whole minute, so the flood is
	// held for the entire test: nothing here waits for a deadline to save
	// it.
	c := newTunedCluster(t, 2, func(i int, cfg *Config) { cfg.HandshakeTimeout = time.Minute })
	defer dumpLogs(t, c)
	c.ts[0].Send(1, []byte("before"))
	eventually(t, 10*time.Second, "the first delivery", func() bool { return c.inbox[1].has("0:before") })

	var h hostileConns
	defer h.closeAll()
	for i := range 200 {
		h.open(t, c.addrs[1], hostility(i%3))
	}
	// Node 0 restarts while the 200 connections are held: it must get
	// through to node 1, and messages must flow both ways.
	c.restart(t, 0)
	c.ts[0].Send(1, []byte("after"))
	eventually(t, 20*time.Second, "node 0 to reach node 1 through the flood", func() bool { return c.inbox[1].has("0:after") })
	// Sent once node 1 has the new connection: what it sent before may
	// have gone into the dead one, as a crash loses messages in flight.
	c.ts[1].Send(0, []byte("back"))
	eventually(t, 20*time.Second, "node 1 to reach the restarted node 0", func() bool { return c.inbox[0].has("1:back") })
	if !c.ts[0].Connected(1) {
		t.Fatal("node 0 is not connected to node 1")
	}
	// All 200 came from one address: the node holds at most its
	// per-address share of them and has closed the rest.
	limit := c.ts[1].cfg.MaxPendingPerAddress
	eventually(t, 10*time.Second, fmt.Sprintf("at most %d hostile connections to be held", limit), func() bool {
		return h.stillOpen() <= limit
	})
	if got := c.ts[1].pending.len(); got > limit {
		t.Fatalf("node 1 holds %d pending handshakes; the limit per address is %d", got, limit)
	}
	if ev := c.ts[1].events.get("unknown", EventEvicted); ev < uint64(200-limit) {
		t.Fatalf("node 1 counted %d evictions; want at least %d", ev, 200-limit)
	}
}

func TestStalledHandshakesAreClosedAtTheDeadlineAndCounted(t *testing.T) {
	c := newTunedCluster(t, 2, func(i int, cfg *Config) { cfg.HandshakeTimeout = time.Second })
	defer dumpLogs(t, c)
	var h hostileConns
	defer h.closeAll()
	for i := range 9 {
		h.open(t, c.addrs[1], hostility(i%3))
	}
	// Three more complete TLS with a valid certificate (node 0's, from
	// the cluster CA) and then never send their hello.
	cert, err := c.ca.Issue(0)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		raw, err := net.Dial("tcp", c.addrs[1])
		if err != nil {
			t.Fatal(err)
		}
		tc := tls.Client(raw, &tls.Config{
			MinVersion: tls.VersionTLS13, RootCAs: c.ts[1].cfg.Identity.Roots, ServerName: NodeName(1),
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil },
		})
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		h.mu.Lock()
		h.conns, h.kinds = append(h.conns, tc), append(h.kinds, idle)
		h.mu.Unlock()
	}
	// Every one of them is closed by node 1 once its handshake deadline
	// passes, counted and logged as a timeout (not as a refusal).
	eventually(t, 20*time.Second, "node 1 to close all 12 stalled handshakes", func() bool { return h.stillOpen() == 0 })
	eventually(t, 5*time.Second, "the timeouts to be counted", func() bool {
		return c.ts[1].events.get("unknown", EventHandshakeTimeout) == 9 && c.ts[1].events.get("0", EventHandshakeTimeout) == 3
	})
	log := c.logs[1].String()
	if !containsAll(log, `level=INFO msg="handshake timed out"`, "after=1s", "peer=0") {
		t.Fatalf("node 1 did not log the timeouts as such")
	}
	if strings.Contains(log, "refused peer") || c.ts[1].events.get("unknown", EventRefused) != 0 {
		t.Fatal("a stalled handshake was reported as a refusal")
	}
	// The node still serves its peer.
	c.ts[0].Send(1, []byte("still here"))
	eventually(t, 10*time.Second, "delivery after the stall", func() bool { return c.inbox[1].has("0:still here") })
}

func TestASilentPeerHoldsAtMostOneConnection(t *testing.T) {
	// A member that authenticated and then goes silent, here in the middle
	// of a frame that announces 4 MiB, keeps one connection: each time it
	// connects again, the node drops the previous one.
	lns, addrs := listeners(t, 2)
	lns[0].Close()
	logs, in := &logBuffer{}, &inbox{}
	tr, err := New(context.Background(), Config{ID: 1, Addrs: addrs, Listener: lns[1], Insecure: true, Handler: in.handler, Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var silent []net.Conn
	defer func() {
		for _, c := range silent {
			c.Close()
		}
	}()
	// Each connection, once served, closes the one before it; the test
	// waits for that before opening the next, so "newest" is well defined.
	replaced := func(i int) {
		eventually(t, 10*time.Second, fmt.Sprintf("silent connection %d to be closed", i), func() bool { return closedByNode(silent[i]) })
	}
	for i := range 20 {
		c := plainPeer(t, addrs[1], 0)
		c.Write([]byte{0x00, 0x40, 0x00, 0x00}) // a 4 MiB frame …
		c.Write(make([]byte, 100))              // … of which 100 bytes ever arrive
		silent = append(silent, c)
		if i > 0 {
			replaced(i - 1)
		}
	}
	last := plainPeer(t, addrs[1], 0)
	defer last.Close()
	last.Write(AppendFrame(nil, []byte("alive")))
	replaced(19)
	eventually(t, 10*time.Second, "the newest connection's message", func() bool { return in.has("0:alive") })
	if !tr.Connected(0) {
		t.Fatal("the newest connection from node 0 is not up")
	}
}
