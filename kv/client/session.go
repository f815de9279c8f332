package client

import (
	"math/rand/v2"
	"sync"
)

// A session is a client id and the sequence number of its last write.
// One write at a time uses a session; its retries reuse the number, the
// next write takes the one after. After a write of unknown outcome the
// session goes on with the next number: the log applies a number below a
// session's last at most once, and never after a higher one.
type session struct {
	id  uint64
	seq uint64
}

// sessions is the pool a Client's writers take sessions from: one per
// write in flight at most, reused afterwards so that the log's session
// table holds a few entries per client, not one per write.
type sessions struct {
	mu   sync.Mutex
	free []*session
}

func (p *sessions) get() *session {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		s := p.free[n-1]
		p.free = p.free[:n-1]
		return s
	}
	// A random id: clients that never met must not share one. 0 means
	// "no session" on the wire.
	id := rand.Uint64()
	for id == 0 {
		id = rand.Uint64()
	}
	return &session{id: id}
}

func (p *sessions) put(s *session) {
	p.mu.Lock()
	p.free = append(p.free, s)
	p.mu.Unlock()
}
