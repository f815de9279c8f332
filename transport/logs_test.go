package transport

import (
	"context"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// suppressedCount sums what the summary lines of log say they held back
// under key (e.g. "refused.unknown").
func suppressedCount(t *testing.T, log, key string) int {
	t.Helper()
	re := regexp.MustCompile(`msg="suppressed repeated log lines".* suppressed\.` + regexp.QuoteMeta(key) + `=(\d+)`)
	n := 0
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		k, err := strconv.Atoi(m[1])
		if err != nil {
			t.Fatal(err)
		}
		n += k
	}
	return n
}

func TestAReconnectLoopAgainstARefusingPeerLogsABoundedNumberOfLines(t *testing.T) {
	// Node 0 carries a certificate from another CA and redials every
	// millisecond; node 1 refuses it every time. Each refusal is counted,
	// but each side logs only a few of them per interval and then says
	// how many it held back.
	ours, err := NewCA("cluster")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := NewCA("another cluster")
	if err != nil {
		t.Fatal(err)
	}
	lns, addrs := listeners(t, 2)
	logs := []*logBuffer{{}, {}}
	var ts []*Transport
	start := time.Now()
	for i, ca := range []*CA{theirs, ours} {
		idn, err := ca.Identity(core.NodeID(i))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := New(context.Background(), Config{ID: core.NodeID(i), Addrs: addrs, Listener: lns[i], Identity: idn,
			Handler: (&inbox{}).handler, Logger: logs[i].logger(), BackoffMin: time.Millisecond, BackoffMax: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		ts = append(ts, tr)
	}
	const attempts = 300
	eventually(t, 60*time.Second, "300 refusals", func() bool {
		return ts[1].events.get("unknown", EventRefused) >= attempts && ts[0].events.get("1", EventRefused) >= attempts
	})
	for _, tr := range ts {
		tr.Close()
	}
	elapsed := time.Since(start)
	// At most logBurst lines of one kind per interval, in as many
	// intervals as the test lasted (plus the one it started in).
	intervals := int(elapsed/DefaultLogInterval) + 2
	for i, key := range []string{"refused.1", "refused.unknown"} {
		log := logs[i].String()
		lines := strings.Count(log, `level=WARN msg="refused peer"`)
		if lines == 0 || lines > logBurst*intervals {
			t.Errorf("node %d logged %d refusals in %v; want 1..%d", i, lines, elapsed.Round(time.Millisecond), logBurst*intervals)
		}
		peer := "unknown"
		if i == 0 {
			peer = "1"
		}
		total := ts[i].events.get(peer, EventRefused)
		if held := suppressedCount(t, log, key); uint64(lines+held) != total {
			t.Errorf("node %d logged %d refusals and reported %d suppressed; it counted %d", i, lines, held, total)
		}
		if len(log) > 64<<10 {
			t.Errorf("node %d wrote %d bytes of log for %d refusals", i, len(log), total)
		}
	}
	if t.Failed() {
		t.Logf("node 0 log:\n%s\nnode 1 log:\n%s", logs[0], logs[1])
	}
}

func TestSuppressedLinesAreSummarisedEachInterval(t *testing.T) {
	logs := &logBuffer{}
	th := newThrottle(logs.logger())
	for range 1000 {
		th.log(warn, "refused.unknown", "refused peer", "reason", "bad certificate")
	}
	for range 3 {
		th.log(info, "aborted.2", "peer closed the connection during the handshake", "peer", 2)
	}
	th.flush(th.start.Add(10 * time.Second))
	out := logs.String()
	if n := strings.Count(out, `msg="refused peer"`); n != logBurst {
		t.Fatalf("%d refusal lines passed; want the first %d", n, logBurst)
	}
	if n := strings.Count(out, "peer closed the connection"); n != 3 {
		t.Fatalf("%d lines of a kind under its burst passed; want all 3", n)
	}
	if !containsAll(out, `level=WARN msg="suppressed repeated log lines" interval=10s suppressed.refused.unknown=995`) {
		t.Fatalf("no summary of the held-back lines:\n%s", out)
	}
	// A new interval starts with a fresh burst, and a quiet interval
	// writes no summary.
	th.log(warn, "refused.unknown", "refused peer", "reason", "bad certificate")
	th.flush(th.start.Add(10 * time.Second))
	th.flush(th.start.Add(10 * time.Second))
	out = logs.String()
	if n := strings.Count(out, `msg="refused peer"`); n != logBurst+1 {
		t.Fatalf("%d refusal lines after a new interval; want %d", n, logBurst+1)
	}
	if n := strings.Count(out, "suppressed repeated log lines"); n != 1 {
		t.Fatalf("%d summaries; want 1", n)
	}
}

func TestAPeerThatHangsUpMidHandshakeIsNotCalledRefused(t *testing.T) {
	c := newTestCluster(t, 2)
	defer dumpLogs(t, c)
	// A peer that crashes during the handshake: before sending anything,
	// inside its ClientHello, and with a reset instead of a clean close.
	hangUps := []func(net.Conn){
		func(net.Conn) {},
		func(x net.Conn) { x.Write(partialClientHello) },
		func(x net.Conn) { x.Write(partialClientHello); x.(*net.TCPConn).SetLinger(0) },
	}
	for _, hangUp := range hangUps {
		x, err := net.Dial("tcp", c.addrs[1])
		if err != nil {
			t.Fatal(err)
		}
		hangUp(x)
		x.Close()
	}
	eventually(t, 10*time.Second, "node 1 to notice the three hang-ups", func() bool {
		return c.ts[1].events.get("unknown", EventAborted) == 3
	})
	log := c.logs[1].String()
	if n := strings.Count(log, `level=INFO msg="peer closed the connection during the handshake"`); n != 3 {
		t.Fatalf("node 1 logged %d hang-ups at INFO; want 3", n)
	}
	if strings.Contains(log, "refused peer") || c.ts[1].events.get("unknown", EventRefused) != 0 {
		t.Fatal("a peer that hung up was reported as refused")
	}

	// The dialing side: node 1's address answers, then hangs up, as a node
	// that crashes mid-handshake does.
	lns, addrs := listeners(t, 2)
	go func() {
		for {
			x, err := lns[1].Accept()
			if err != nil {
				return
			}
			x.Read(make([]byte, 1)) // wait for the ClientHello
			x.Close()
		}
	}()
	defer lns[1].Close()
	logs := &logBuffer{}
	idn, err := c.ca.Identity(0)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(context.Background(), Config{ID: 0, Addrs: addrs, Listener: lns[0], Identity: idn, Handler: (&inbox{}).handler,
		Logger: logs.logger(), BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	eventually(t, 10*time.Second, "node 0 to see node 1 hang up three times", func() bool {
		return tr.events.get("1", EventAborted) >= 3
	})
	tr.Close()
	if !containsAll(logs.String(), `level=INFO msg="peer closed the connection during the handshake"`, "peer=1") ||
		strings.Contains(logs.String(), "refused peer") || tr.events.get("1", EventRefused) != 0 {
		t.Fatalf("node 0 did not report the hang-ups as hang-ups:\n%s", logs)
	}

	// The local node stopping mid-handshake is not a refusal either.
	x, err := net.Dial("tcp", c.addrs[1])
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	x.Write(partialClientHello)
	eventually(t, 10*time.Second, "the handshake to be pending", func() bool { return c.ts[1].pending.len() == 1 })
	c.ts[1].Close()
	if log := c.logs[1].String(); strings.Contains(log, "refused peer") || strings.Count(log, "peer closed the connection") != 3 {
		t.Fatalf("stopping node 1 mid-handshake logged a failure:\n%s", log)
	}
}

func TestAPeerThatCrashesMidFrameIsNotCalledMisbehaving(t *testing.T) {
	lns, addrs := listeners(t, 2)
	lns[0].Close()
	logs, in := &logBuffer{}, &inbox{}
	tr, err := New(context.Background(), Config{ID: 1, Addrs: addrs, Listener: lns[1], Insecure: true, Handler: in.handler, Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	// Node 0 dies halfway through sending a 10-byte message.
	c := plainPeer(t, addrs[1], 0)
	c.Write(AppendFrame(nil, []byte("whole")))
	c.Write(AppendFrame(nil, []byte("cut short!"))[:9])
	c.Close()
	eventually(t, 10*time.Second, "node 1 to notice", func() bool { return tr.events.get("0", EventClosed) == 1 })
	log := logs.String()
	if !containsAll(log, `level=INFO msg="connection closed"`, "connection ended after 10-byte header, inside the payload") || strings.Contains(log, "level=WARN") {
		t.Fatalf("a peer that crashed mid-frame was not reported as gone:\n%s", log)
	}
	if got := in.snapshot(); len(got) != 1 || got[0] != "0:whole" {
		t.Fatalf("delivered %v; want only the whole message", got)
	}
	// A frame that breaks the rules is still a misbehaving peer.
	c = plainPeer(t, addrs[1], 0)
	defer c.Close()
	c.Write([]byte{0, 0, 0, 0})
	eventually(t, 10*time.Second, "the empty frame to be refused", func() bool {
		return containsAll(logs.String(), `level=WARN msg="closing connection"`, "empty frame")
	})
}
