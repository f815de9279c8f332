package transport

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

// fakeConn is a connection from a given remote address; only its address
// matters to the pending set.
type fakeConn struct {
	net.Conn
	remote net.Addr
	name   string
}

func (c fakeConn) RemoteAddr() net.Addr { return c.remote }

func from(name, addr string) net.Conn {
	return fakeConn{remote: net.TCPAddrFromAddrPort(mustAddrPort(addr)), name: name}
}

func mustAddrPort(s string) netip.AddrPort {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		panic(err)
	}
	return ap
}

func TestPendingHandshakesAreEvictedOldestFirstPerAddressThenOverall(t *testing.T) {
	s := newPendingSet(4, 2, nil)
	now := time.Unix(0, 0)
	admit := func(name, addr string) (*pending, string) {
		now = now.Add(time.Millisecond)
		p, ev := s.admit(from(name, addr), now)
		if ev == nil {
			return p, ""
		}
		return p, ev.conn.(fakeConn).name
	}
	// An address at its share pays with its own oldest handshake.
	admit("a1", "10.0.0.1:1000")
	a2, _ := admit("a2", "10.0.0.1:1001")
	if _, ev := admit("a3", "10.0.0.1:1002"); ev != "a1" {
		t.Fatalf("a third connection from one address evicted %q; want its oldest, a1", ev)
	}
	// Within its share, an address never evicts another's handshake until
	// the set is full; then the oldest of all goes.
	b1, _ := admit("b1", "10.0.0.2:1000")
	admit("c1", "10.0.0.3:1000")
	if s.len() != 4 {
		t.Fatalf("%d pending; want 4", s.len())
	}
	if _, ev := admit("d1", "10.0.0.4:1000"); ev != "a2" {
		t.Fatalf("a connection to a full set evicted %q; want the oldest, a2", ev)
	}
	if s.finish(a2) {
		t.Fatal("an evicted handshake finished as if it had not been")
	}
	if !s.finish(b1) {
		t.Fatal("a handshake that was not evicted could not finish")
	}
	if _, ev := admit("e1", "10.0.0.5:1000"); ev != "" {
		t.Fatalf("a finished handshake's place was not free: evicted %q", ev)
	}
}

func TestIPv6AddressesShareTheirSlash64(t *testing.T) {
	s := newPendingSet(100, 2, nil)
	now := time.Unix(0, 0)
	var evicted []string
	for i := range 5 {
		// One host rotating through its /64: one address for the limit.
		_, ev := s.admit(from(fmt.Sprint(i), fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1)), now)
		if ev != nil {
			evicted = append(evicted, ev.conn.(fakeConn).name)
		}
	}
	if fmt.Sprint(evicted) != "[0 1 2]" {
		t.Fatalf("evicted %v; want the three oldest of one /64", evicted)
	}
	// Another /64 and an IPv4-mapped address count apart.
	for _, a := range []string{"[2001:db8:1:3::1]:443", "[::ffff:10.0.0.1]:443"} {
		if _, ev := s.admit(from(a, a), now); ev != nil {
			t.Fatalf("%s evicted %v", a, ev.conn.(fakeConn).name)
		}
	}
	if got := addrKey(from("x", "[::ffff:10.0.0.1]:443").RemoteAddr()); got != "10.0.0.1" {
		t.Fatalf("IPv4-mapped key %q; want 10.0.0.1", got)
	}
}

func TestStrangersNeverEvictAHandshakeFromAMembersAddress(t *testing.T) {
	s := newPendingSet(3, 2, []string{"10.0.0.1:7000", "[2001:db8::1]:7000", "peer.example:7000", "0.0.0.0:7000"})
	now := time.Unix(0, 0)
	member, _ := s.admit(from("member", "10.0.0.1:5000"), now)
	member6, _ := s.admit(from("member6", "[2001:db8::77]:5000"), now)
	for i := range 1000 {
		// Strangers from many addresses fill their share and churn.
		_, ev := s.admit(from(fmt.Sprint(i), fmt.Sprintf("192.0.2.%d:1000", i%200)), now)
		if ev != nil && (ev == member || ev == member6) {
			t.Fatalf("stranger %d evicted %s", i, ev.conn.(fakeConn).name)
		}
	}
	if s.len() != 3+2 {
		t.Fatalf("%d pending; want the strangers' 3 and the members' 2", s.len())
	}
	if !s.finish(member) || !s.finish(member6) {
		t.Fatal("a member's handshake was evicted by strangers")
	}
	// A member's address still has its per-address limit.
	s.admit(from("m1", "10.0.0.1:5001"), now)
	s.admit(from("m2", "10.0.0.1:5002"), now)
	if _, ev := s.admit(from("m3", "10.0.0.1:5003"), now); ev == nil || ev.conn.(fakeConn).name != "m1" {
		t.Fatal("a member's address exceeded its per-address limit")
	}
	// Names and the unspecified address are not recognised as members'.
	if len(s.members) != 2 {
		t.Fatalf("recognised %v as members' addresses; want 10.0.0.1 and 2001:db8::/64", s.members)
	}
}
