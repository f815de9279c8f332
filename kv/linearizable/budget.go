package linearizable

import "sync"

// budget bounds the bytes of request bodies held in memory at once: a
// write reserves its size (its Content-Length, or the most it may be)
// before its body is read, and gives it back when answered. Counting bytes
// rather than requests lets hundreds of small writes in while bounding
// what a few megabyte uploads may hold.
type budget struct {
	mu   sync.Mutex
	used int64
	max  int64
}

func (b *budget) reserve(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
