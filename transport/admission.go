package transport

import (
	"container/list"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Admission of incoming connections that have not authenticated yet.
//
// Every new connection is admitted: turning one away on arrival is what let
// a few idle sockets lock a node out of its own peers. Instead the set of
// pending handshakes is bounded by eviction:
//
//   - A connection from an address that already holds perAddr pending
//     handshakes evicts that address's oldest.
//   - Otherwise, a connection from a stranger (an address that is not a
//     member's configured address) evicts the oldest stranger's handshake
//     when strangers hold max of them.
//
// Members' addresses are outside the overall bound, so strangers can never
// evict a handshake from a member's address, however many connections they
// open or hold; such a handshake is only cut short by perAddr newer
// connections from its own address (it is then that address's oldest, with
// perAddr-1 newer ones pending beside it; the last of them evicts it). A
// stranger's handshake is cut short only by newer connections too: perAddr
// from its address or max from strangers. A peer's handshake lasts a few
// round trips, and sockets an attacker holds are older than any peer's, so
// holding them, however many and from however many addresses, cannot keep
// a peer out, even when the peer's address is not recognised (a NAT, a
// name in the config).

// pending is one incoming connection whose handshake is in progress.
type pending struct {
	conn  net.Conn
	addr  string // the address key it counts against
	since time.Time
	// evicted is set (under the set's lock) when a newer connection took
	// its place; its handshake then fails on the closed connection and is
	// reported as evicted, not refused.
	evicted  bool
	stranger *list.Element // in pendingSet.strangers; nil for a member's address
	inAddr   *list.Element // in pendingSet.byAddr[addr]
}

// pendingSet holds the pending handshakes, oldest first, per address and
// (for strangers) overall.
type pendingSet struct {
	max, perAddr int
	members      map[string]bool // address keys of the other members

	mu        sync.Mutex
	n         int
	strangers list.List
	byAddr    map[string]*list.List
}

// newPendingSet bounds strangers' pending handshakes to max overall and
// everyone's to perAddr per address. memberAddrs are the other members'
// configured addresses (host:port); those whose host is an IP address are
// recognised as members' (a name is not resolved, so as not to make
// starting a node wait on DNS).
func newPendingSet(max, perAddr int, memberAddrs []string) *pendingSet {
	s := &pendingSet{max: max, perAddr: min(perAddr, max), members: make(map[string]bool), byAddr: make(map[string]*list.List)}
	for _, a := range memberAddrs {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			continue
		}
		if ip, err := netip.ParseAddr(host); err == nil && !ip.IsUnspecified() {
			s.members[ipKey(ip)] = true
		}
	}
	return s
}

// addrKey is the unit the per-address limit counts: the IPv4 address, or
// the /64 prefix of an IPv6 address (one host commonly holds a whole /64,
// so counting single IPv6 addresses would give one attacker 2^64 shares).
func addrKey(a net.Addr) string {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return a.String() // not an IP transport (tests, pipes): one key per address
	}
	return ipKey(ap.Addr())
}

func ipKey(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}

// admit adds c and returns its entry, and the entry it evicted to make room
// (nil if there was room). The caller closes the evicted connection.
func (s *pendingSet) admit(c net.Conn, now time.Time) (p, evicted *pending) {
	key := addrKey(c.RemoteAddr())
	stranger := !s.members[key]
	s.mu.Lock()
	defer s.mu.Unlock()
	same := s.byAddr[key]
	switch {
	case same != nil && same.Len() >= s.perAddr:
		evicted = same.Front().Value.(*pending)
	case stranger && s.strangers.Len() >= s.max:
		evicted = s.strangers.Front().Value.(*pending)
	}
	if evicted != nil {
		evicted.evicted = true
		s.removeLocked(evicted)
	}
	if same = s.byAddr[key]; same == nil {
		same = list.New()
		s.byAddr[key] = same
	}
	p = &pending{conn: c, addr: key, since: now}
	if stranger {
		p.stranger = s.strangers.PushBack(p)
	}
	p.inAddr = same.PushBack(p)
	s.n++
	return p, evicted
}

// finish removes p when its handshake ended. It reports false when p had
// been evicted, in which case its connection is closed and must not be used
// even if the handshake happened to succeed.
func (s *pendingSet) finish(p *pending) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.evicted {
		return false
	}
	s.removeLocked(p)
	return true
}

func (s *pendingSet) removeLocked(p *pending) {
	if p.stranger != nil {
		s.strangers.Remove(p.stranger)
	}
	same := s.byAddr[p.addr]
	same.Remove(p.inAddr)
	if same.Len() == 0 {
		delete(s.byAddr, p.addr)
	}
	s.n--
}

// len is the number of pending handshakes.
func (s *pendingSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}
