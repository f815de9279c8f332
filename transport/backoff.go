package transport

import (
	"math/rand/v2"
	"time"
)

// backoff spaces out reconnection attempts: exponential growth up to a cap,
// with jitter so that nodes that lost a peer at the same moment do not all
// redial it in lockstep.
type backoff struct {
	min, max, cur time.Duration
}

func newBackoff(min, max time.Duration) *backoff {
	return &backoff{min: min, max: max, cur: min}
}

// next returns the wait before the next attempt: uniform in [d/2, d) where d
// doubles after every call, up to max.
func (b *backoff) next() time.Duration {
	d := b.cur
	b.cur = min(b.cur*2, b.max)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half)
}

// reset starts over after a connection succeeded.
func (b *backoff) reset() { b.cur = b.min }
