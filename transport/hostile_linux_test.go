package transport

import (
	"crypto/tls"
	"net"
	"testing"
	"time"
)

// Linux routes all of 127.0.0.0/8 to the loopback interface, so a test can
// connect from many source addresses: strangers on 127.0.0.2 and up, the
// cluster's members on 127.0.0.1.

func TestStrangersCannotEvictAHandshakeFromAMembersAddress(t *testing.T) {
	c := newTunedCluster(t, 2, func(i int, cfg *Config) {
		cfg.HandshakeTimeout = time.Minute // the flood is held for the whole test
		cfg.MaxPendingHandshakes = 64
	})
	defer dumpLogs(t, c)
	c.ts[0].Send(1, []byte("before"))
	eventually(t, 10*time.Second, "the first delivery", func() bool { return c.inbox[1].has("0:before") })

	// A connection from the member's address, paused before its TLS
	// handshake: the oldest pending handshake of all.
	raw, err := net.Dial("tcp", c.addrs[1])
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	eventually(t, 10*time.Second, "the paused handshake to be pending", func() bool { return c.ts[1].pending.len() == 1 })

	// 400 strangers from 40 addresses: ten each, under the per-address
	// limit, so the overall limit of 64 binds and evicts strangers.
	var h hostileConns
	defer h.closeAll()
	for i := range 400 {
		local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%40))}
		h.openFrom(t, local, c.addrs[1], hostility(i%3))
	}
	eventually(t, 10*time.Second, "the strangers to be cut to 64", func() bool { return h.stillOpen() <= 64 })
	if ev := c.ts[1].events.get("unknown", EventEvicted); ev < 400-64 {
		t.Fatalf("node 1 counted %d evictions; want at least %d", ev, 400-64)
	}

	// The member's handshake survived all of it: it completes now, and its
	// message is delivered.
	idn, err := c.ca.Identity(0)
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(raw, idn.clientConfig(1, c.ts[0].member))
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("the member's handshake was cut short: %v", err)
	}
	if err := sendHello(tc, 0); err != nil {
		t.Fatal(err)
	}
	reply, err := readHello(tc)
	if err != nil {
		t.Fatalf("no hello back for the member: %v", err)
	}
	if id, err := parseHello(reply); err != nil || id != 1 {
		t.Fatalf("hello back: node %d, %v", id, err)
	}
	tc.Write(AppendFrame(nil, []byte("through the flood")))
	eventually(t, 10*time.Second, "the member's message", func() bool { return c.inbox[1].has("0:through the flood") })

	// And a restarted peer connects through the held strangers too.
	tc.Close()
	c.restart(t, 0)
	c.ts[0].Send(1, []byte("after"))
	eventually(t, 20*time.Second, "the restarted peer's message", func() bool { return c.inbox[1].has("0:after") })
	if got := c.ts[1].pending.len(); got > 64 {
		t.Fatalf("node 1 holds %d pending handshakes; strangers may hold 64", got)
	}
}
