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
// pending handshakes is bounded by eviction. A connection from an address
// that already holds its per-address share evicts that address's oldest
// pending handshake; otherwise, when the whole set is full, it evicts the
// oldest pending handshake of all. A pending handshake is therefore only
// ever cut short by newer connections: perAddr of them from its own address
// (it is then that address's oldest, with perAddr-1 newer ones pending
// beside it), or max of them from anywhere (it is then the oldest of all),
// the last of which evicts it. A peer's handshake lasts a
// few round trips; an attacker's idle or trickling sockets are older than
// any peer's, so holding them, however many and from however many
// addresses, cannot keep a peer out.

// pending is one incoming connection whose handshake is in progress.
type pending struct {
	conn  net.Conn
	addr  string // the address key it counts against
	since time.Time
	// evicted is set (under the set's lock) when a newer connection took
	// its place; its handshake then fails on the closed connection and is
	// reported as evicted, not refused.
	evicted bool
	all     *list.Element // in pendingSet.all
	inAddr  *list.Element // in pendingSet.byAddr[addr]
}

// pendingSet holds the pending handshakes, oldest first, overall and per
// address.
type pendingSet struct {
	max, perAddr int

	mu     sync.Mutex
	all    list.List
	byAddr map[string]*list.List
}

func newPendingSet(max, perAddr int) *pendingSet {
	return &pendingSet{max: max, perAddr: min(perAddr, max), byAddr: make(map[string]*list.List)}
}

// addrKey is the unit the per-address limit counts: the IPv4 address, or
// the /64 prefix of an IPv6 address (one host commonly holds a whole /64,
// so counting single IPv6 addresses would give one attacker 2^64 shares).
func addrKey(a net.Addr) string {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return a.String() // not an IP transport (tests, pipes): one key per address
	}
	ip := ap.Addr().Unmap()
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
	s.mu.Lock()
	defer s.mu.Unlock()
	same := s.byAddr[key]
	switch {
	case same != nil && same.Len() >= s.perAddr:
		evicted = same.Front().Value.(*pending)
	case s.all.Len() >= s.max:
		evicted = s.all.Front().Value.(*pending)
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
	p.all = s.all.PushBack(p)
	p.inAddr = same.PushBack(p)
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
	s.all.Remove(p.all)
	same := s.byAddr[p.addr]
	same.Remove(p.inAddr)
	if same.Len() == 0 {
		delete(s.byAddr, p.addr)
	}
}

// len is the number of pending handshakes.
func (s *pendingSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.all.Len()
}
