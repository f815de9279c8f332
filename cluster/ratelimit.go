package cluster

import "time"

// rateLimit lets one log line through per period and counts the ones it
// held back, so that a loop that keeps failing the same way says so once a
// second instead of filling the disk.
type rateLimit struct {
	last       time.Time
	suppressed int
}

const logPeriod = time.Second

// allow reports whether a line may be logged at now, and how many were
// suppressed since the last one that was.
func (r *rateLimit) allow(now time.Time) (suppressed int, ok bool) {
	if !r.last.IsZero() && now.Sub(r.last) < logPeriod {
		r.suppressed++
		return 0, false
	}
	k := r.suppressed
	r.last, r.suppressed = now, 0
	return k, true
}
