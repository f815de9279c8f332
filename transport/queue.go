package transport

import (
	"context"
	"sync"
)

// queue is a peer's bounded send queue. Senders append under a mutex and
// the connection's writer takes everything queued in one swap, so a busy
// sender pays for one lock per message and the writer for one per batch.
type queue struct {
	mu    sync.Mutex
	items [][]byte
	max   int // bound on len(items)
	// bytes is the payload queued; maxBytes bounds it, so that a queue of
	// large messages cannot hold gigabytes. One message is always allowed
	// into an empty queue, whatever its size.
	bytes, maxBytes int
	// ready holds a token when items may be non-empty; the writer waits on it.
	ready chan struct{}
	// space is closed (and replaced) whenever the writer drains the queue
	// while a SendWait caller waits for room.
	space   chan struct{}
	waiting int
}

func newQueue(max, maxBytes int) *queue {
	return &queue{max: max, maxBytes: maxBytes, ready: make(chan struct{}, 1), space: make(chan struct{})}
}

// full reports whether payload does not fit; called with mu held.
func (q *queue) full(payload []byte) bool {
	return len(q.items) >= q.max || (len(q.items) > 0 && q.bytes+len(payload) > q.maxBytes)
}

// push appends payload unless the queue is full.
func (q *queue) push(payload []byte) bool {
	q.mu.Lock()
	if q.full(payload) {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, payload)
	q.bytes += len(payload)
	wasEmpty := len(q.items) == 1
	q.mu.Unlock()
	if wasEmpty {
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
	return true
}

// pushWait appends payload, waiting for room while the queue is full.
func (q *queue) pushWait(ctx context.Context, payload []byte, closed <-chan struct{}) error {
	for {
		q.mu.Lock()
		if !q.full(payload) {
			q.items = append(q.items, payload)
			q.bytes += len(payload)
			wasEmpty := len(q.items) == 1
			q.mu.Unlock()
			if wasEmpty {
				select {
				case q.ready <- struct{}{}:
				default:
				}
			}
			return nil
		}
		q.waiting++
		space := q.space
		q.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			q.unwait()
			return ctx.Err()
		case <-closed:
			q.unwait()
			return ErrClosed
		}
	}
}

func (q *queue) unwait() {
	q.mu.Lock()
	q.waiting--
	q.mu.Unlock()
}

// take returns everything queued and leaves spare (emptied) as the new
// backing array, so that the writer and the senders recycle two slices.
func (q *queue) take(spare [][]byte) [][]byte {
	clear(spare)
	q.mu.Lock()
	items := q.items
	q.items = spare[:0]
	q.bytes = 0
	if q.waiting > 0 && len(items) > 0 {
		q.waiting = 0
		close(q.space)
		q.space = make(chan struct{})
	}
	q.mu.Unlock()
	return items
}

// len reports how many messages wait.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
