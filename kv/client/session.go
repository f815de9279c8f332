package client

import (
	"math/rand/v2"
	"sync"
)

// A Session is a client id and the sequence number of its last write.
// One write at a time uses a session; its retries reuse the number, the
// next write takes the one after. After a write of unknown outcome the
// session goes on with the next number: the log applies a number below a
// session's last at most once, and never after a higher one.
type Session struct {
	ID  uint64
	Seq uint64
}

// Sessions is a pool of sessions for concurrent writers: one per write in
// flight at most, reused afterwards so that the log's session table holds
// a few entries per client, not one per write. A Client's writers take
// theirs from one; a replica gives writes that come without a session one
// from its own. The zero value is ready.
type Sessions struct {
	mu   sync.Mutex
	free []*Session
}

// Get takes a session from the pool, or a new one with a random id.
func (p *Sessions) Get() *Session {
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
	return &Session{ID: id}
}

// Put returns a session to the pool once its write is answered.
func (p *Sessions) Put(s *Session) {
	p.mu.Lock()
	p.free = append(p.free, s)
	p.mu.Unlock()
}
