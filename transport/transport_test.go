package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/fault"
)

func TestDeliversBothWaysOverOneConnection(t *testing.T) {
	c := newTestCluster(t, 3)
	for i, tr := range c.ts {
		for j := range c.ts {
			if i != j {
				if err := tr.Send(core.NodeID(j), fmt.Appendf(nil, "%d->%d", i, j)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for j := range c.ts {
		for i := range c.ts {
			if i != j {
				want := fmt.Sprintf("%d:%d->%d", i, i, j)
				eventually(t, 10*time.Second, "delivery of "+want, func() bool { return c.inbox[j].has(want) })
			}
		}
	}
	// Lower dials higher: node 0 dialed twice and accepted nothing, node 2
	// the reverse, so every pair shares exactly one connection.
	st := func(i int, ev string) uint64 {
		c.ts[i].events.mu.Lock()
		defer c.ts[i].events.mu.Unlock()
		var s uint64
		for k, v := range c.ts[i].events.m {
			if k[1] == ev {
				s += v
			}
		}
		return s
	}
	if st(0, EventDial) != 2 || st(0, EventAccept) != 0 || st(2, EventAccept) != 2 || st(2, EventDial) != 0 {
		t.Fatalf("connections: node 0 dial=%d accept=%d, node 2 dial=%d accept=%d; want 2/0 and 0/2",
			st(0, EventDial), st(0, EventAccept), st(2, EventDial), st(2, EventAccept))
	}
}

func TestRefusesCertificateFromAnotherCA(t *testing.T) {
	c := newTestCluster(t, 2)
	// An intruder with a certificate for node 0 issued by a different CA.
	other, err := NewCA("intruder CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := other.Issue(0)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Dial("tcp", c.addrs[1])
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	tc := tls.Client(raw, &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &cert, nil
		},
		InsecureSkipVerify: true, // the intruder does not care who it talks to
	})
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	_ = tc.Handshake() // a TLS 1.3 client may finish before the server refuses it
	// Whatever it manages to write must never reach node 1's handler.
	tc.Write(AppendFrame(AppendFrame(nil, helloFrame(0)), []byte("forged")))
	buf := make([]byte, 1)
	if _, err := tc.Read(buf); err == nil {
		t.Fatal("the intruder read a byte from node 1; want the connection refused")
	}
	defer dumpLogs(t, c)
	eventually(t, 5*time.Second, "node 1 to log the refusal", func() bool {
		return containsAll(c.logs[1].String(), `level=WARN msg="refused peer"`, "remote=", "certificate signed by unknown authority")
	})
	for _, m := range c.inbox[1].snapshot() {
		if strings.Contains(m, "forged") {
			t.Fatalf("node 1 delivered %q from the intruder", m)
		}
	}
	if c.ts[1].events.get("unknown", EventRefused) == 0 {
		t.Fatal("refusal not counted in connection events")
	}
}

func TestDialerRefusesServerNamingAnotherNode(t *testing.T) {
	// Node 0 dials node 1's address, but node 2 of the same CA answers
	// there: its certificate is valid, but it is not the node dialed.
	c := newTestCluster(t, 3)
	c.ts[1].Close()
	c.ts[2].Close()
	lns, _ := listeners(t, 1)
	idn, err := c.ca.Identity(2)
	if err != nil {
		t.Fatal(err)
	}
	imp := &inbox{}
	addrs := append([]string(nil), c.addrs...)
	addrs[2] = lns[0].Addr().String()
	// Rebind: node 0 thinks node 1 is at c.addrs[1]; put node 2 there.
	lns[0].Close()
	ln, err := net.Listen("tcp", c.addrs[1])
	if err != nil {
		t.Skipf("cannot rebind %s: %v", c.addrs[1], err)
	}
	addrs[2] = c.addrs[1]
	tr, err := New(context.Background(), Config{ID: 2, Addrs: addrs, Listener: ln, Identity: idn, Handler: imp.handler, Logger: (&logBuffer{}).logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	defer dumpLogs(t, c)
	c.ts[0].Send(1, []byte("for node 1 only"))
	eventually(t, 5*time.Second, "node 0 to refuse the impostor", func() bool {
		return containsAll(c.logs[0].String(), `level=WARN msg="refused peer"`, "peer=1", "valid for node-2.rondo, not node-1.rondo")
	})
	if len(imp.snapshot()) != 0 {
		t.Fatalf("the impostor received %v", imp.snapshot())
	}
}

func TestReconnectsAfterPeerRestarts(t *testing.T) {
	c := newTestCluster(t, 2)
	c.ts[0].Send(1, []byte("before"))
	eventually(t, 5*time.Second, "first delivery", func() bool { return c.inbox[1].has("0:before") })

	c.ts[1].Close()
	eventually(t, 5*time.Second, "node 0 to notice", func() bool { return !c.ts[0].Connected(1) })
	ln, err := net.Listen("tcp", c.addrs[1])
	if err != nil {
		t.Fatalf("rebinding node 1's port: %v", err)
	}
	c.inbox[1] = &inbox{}
	c.start(t, 1, ln)
	// Node 0 dials again with backoff; sends queue until the connection is up.
	c.ts[0].Send(1, []byte("after"))
	c.ts[1].Send(0, []byte("back"))
	eventually(t, 10*time.Second, "delivery after restart", func() bool { return c.inbox[1].has("0:after") })
	eventually(t, 10*time.Second, "delivery from the restarted node", func() bool { return c.inbox[0].has("1:back") })
}

// plainPeer connects to an insecure transport as node id, sends a hello,
// and returns the raw connection for the test to misbehave on.
func plainPeer(t *testing.T, addr string, id core.NodeID) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write(AppendFrame(nil, helloFrame(id)))
	br := bufio.NewReader(c)
	if _, err := ReadFrame(br, 64); err != nil {
		t.Fatalf("no hello back: %v", err)
	}
	return c
}

func TestOversizedFrameClosesConnection(t *testing.T) {
	lns, addrs := listeners(t, 2)
	lns[0].Close()
	logs, in := &logBuffer{}, &inbox{}
	tr, err := New(context.Background(), Config{ID: 1, Addrs: addrs, Listener: lns[1], Insecure: true, MaxFrame: 100, Handler: in.handler, Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	c := plainPeer(t, addrs[1], 0)
	defer c.Close()
	c.Write(AppendFrame(nil, []byte("fine")))
	c.Write([]byte{0, 0, 0, 101}) // 101 > MaxFrame
	c.Write(make([]byte, 101))
	eventually(t, 5*time.Second, "the oversized frame to be refused", func() bool {
		return containsAll(logs.String(), "closing connection", "frame of 101 bytes exceeds the 100-byte limit")
	})
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open after an oversized frame")
	}
	if got := in.snapshot(); len(got) != 1 || got[0] != "0:fine" {
		t.Fatalf("delivered %v, want only the well-formed frame", got)
	}
}

func TestHandlerErrorClosesConnection(t *testing.T) {
	lns, addrs := listeners(t, 2)
	lns[0].Close()
	logs := &logBuffer{}
	tr, err := New(context.Background(), Config{ID: 1, Addrs: addrs, Listener: lns[1], Insecure: true, Logger: logs.logger(),
		Handler: func(core.NodeID, []byte) error { return fmt.Errorf("cannot decode") }})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	c := plainPeer(t, addrs[1], 0)
	defer c.Close()
	c.Write(AppendFrame(nil, []byte("garbage")))
	eventually(t, 5*time.Second, "the rejection to be logged", func() bool {
		return containsAll(logs.String(), "closing connection", "message rejected from node 0: cannot decode")
	})
}

func TestRefusesWrongDirectionAndNonMembers(t *testing.T) {
	lns, addrs := listeners(t, 3)
	logs := &logBuffer{}
	tr, err := New(context.Background(), Config{ID: 1, Addrs: addrs, Listener: lns[1], Insecure: true, Logger: logs.logger(), Handler: (&inbox{}).handler})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for _, id := range []core.NodeID{2, 7} {
		c, err := net.Dial("tcp", addrs[1])
		if err != nil {
			t.Fatal(err)
		}
		c.Write(AppendFrame(nil, helloFrame(id)))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatalf("node 1 answered a hello from node %d", id)
		}
		c.Close()
	}
	eventually(t, 5*time.Second, "both refusals", func() bool {
		return containsAll(logs.String(), "node 2 dialed node 1, but the lower id dials", "node 7, which is not a member")
	})
}

func TestFaultsDropAndPartition(t *testing.T) {
	ca, err := NewCA("x")
	if err != nil {
		t.Fatal(err)
	}
	_ = ca
	f := NewFaults(fault.Spec{Drop: 1}, 2, 1)
	lns, addrs := listeners(t, 2)
	in := []*inbox{{}, {}}
	var ts []*Transport
	for i := range 2 {
		tr, err := New(context.Background(), Config{ID: core.NodeID(i), Addrs: addrs, Listener: lns[i], Insecure: true, Handler: in[i].handler, Faults: f, Logger: (&logBuffer{}).logger()})
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		ts = append(ts, tr)
	}
	for range 10 {
		ts[0].Send(1, []byte("lost"))
	}
	if got := ts[0].Stats().MessagesDropped; got != 10 {
		t.Fatalf("drop=1 dropped %d of 10 messages", got)
	}
	f.drop = 0
	f.Partition([][]core.NodeID{{0}, {1}})
	ts[0].Send(1, []byte("cut"))
	f.Heal()
	ts[0].Send(1, []byte("healed"))
	eventually(t, 5*time.Second, "delivery after heal", func() bool { return in[1].has("0:healed") })
	if in[1].has("0:cut") || in[1].has("0:lost") {
		t.Fatalf("delivered a message the faults should have stopped: %v", in[1].snapshot())
	}
}

func TestRefusesCertificateNamingANonMember(t *testing.T) {
	c := newTestCluster(t, 2)
	defer dumpLogs(t, c)
	// Same CA, but node 7 is not in this two-node cluster.
	cert, err := c.ca.Issue(7)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Dial("tcp", c.addrs[1])
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	tc := tls.Client(raw, &tls.Config{
		MinVersion: tls.VersionTLS13, RootCAs: c.ts[1].cfg.Identity.Roots, ServerName: NodeName(1),
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil },
	})
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	_ = tc.Handshake()
	tc.Write(AppendFrame(nil, helloFrame(7)))
	if _, err := tc.Read(make([]byte, 1)); err == nil {
		t.Fatal("node 1 answered a non-member")
	}
	eventually(t, 5*time.Second, "the refusal", func() bool {
		return containsAll(c.logs[1].String(), `level=WARN msg="refused peer"`, "names node 7, which is not a member of this cluster")
	})
	if len(c.inbox[1].snapshot()) != 0 {
		t.Fatalf("node 1 delivered %v", c.inbox[1].snapshot())
	}
}

func TestPeerThatStopsReadingIsDisconnected(t *testing.T) {
	lns, addrs := listeners(t, 2)
	logs := &logBuffer{}
	tr, err := New(context.Background(), Config{ID: 0, Addrs: addrs, Listener: lns[0], Insecure: true, Logger: logs.logger(),
		Handler: (&inbox{}).handler, WriteTimeout: 200 * time.Millisecond, QueueBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	// Node 1 is played by the test: it answers the hello, then never reads.
	c, err := lns[1].Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	defer lns[1].Close()
	br := bufio.NewReader(c)
	if _, err := ReadFrame(br, 64); err != nil {
		t.Fatal(err)
	}
	c.Write(AppendFrame(nil, helloFrame(1)))
	big := make([]byte, 1<<20)
	eventually(t, 20*time.Second, "the stalled connection to be closed", func() bool {
		tr.Send(1, big) // keep the socket buffers full
		return containsAll(logs.String(), "connection closed", "peer=1", "i/o timeout")
	})
}

func TestCancellingTheContextClosesTheTransport(t *testing.T) {
	lns, addrs := listeners(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := []*inbox{{}, {}}
	var ts []*Transport
	for i, c := range []context.Context{context.Background(), ctx} {
		tr, err := New(c, Config{ID: core.NodeID(i), Addrs: addrs, Listener: lns[i], Insecure: true, Handler: in[i].handler,
			Logger: (&logBuffer{}).logger(), BackoffMin: time.Millisecond, BackoffMax: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		ts = append(ts, tr)
	}
	ts[0].Send(1, []byte("hello"))
	eventually(t, 10*time.Second, "a delivery", func() bool { return in[1].has("0:hello") })

	cancel()
	if err := ts[1].Send(0, []byte("late")); err != ErrClosed {
		t.Fatalf("Send after cancel returned %v; want ErrClosed", err)
	}
	// The listener and the connection close: node 0 loses node 1 and
	// cannot connect again.
	eventually(t, 10*time.Second, "node 0 to lose node 1", func() bool { return !ts[0].Connected(1) })
	eventually(t, 10*time.Second, "node 1's port to close", func() bool {
		c, err := net.DialTimeout("tcp", addrs[1], time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	if err := ts[1].Close(); err != nil {
		t.Fatalf("Close after cancel: %v", err)
	}
	if ts[0].Connected(1) {
		t.Fatal("node 0 reconnected to a cancelled node")
	}
	// A context that is already over starts nothing.
	if _, err := New(ctx, Config{ID: 1, Addrs: addrs, Insecure: true, Handler: in[1].handler}); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("New with a cancelled context returned %v; want an error naming the cancellation", err)
	}
}
