package rounds

import "time"

// Timeouts is the runtime's adaptive round timeout, shared by every instance
// of a node: it estimates the network, not one instance.
//
// A round that times out and then sees one of its messages arrive late shows
// the timeout was too short. If the message belongs to the round just before
// the current one, the delay since that round started measures what the
// round needed, and the timeout grows to 5/4 of the larger of that delay and
// itself. A message of an older round comes from a peer that drifted behind,
// not a measurement: the timeout grows by 1/4, at most once per timeout
// period (with thousands of instances in flight, one stall would otherwise
// compound into thousands of growths). A round that ends early, every
// expected message in, after e shows room to spare: the timeout moves 1/16
// of the way down toward 2e. Growing is fast and shrinking slow, so that
// nodes' timeouts stay close and their rounds in step; a lost message (never
// late) changes nothing.
type Timeouts struct {
	// Min, Max bound the timeout; Cur is the current value.
	Min, Max, Cur time.Duration
	// lastBlind is when the timeout last grew without a measurement.
	lastBlind time.Duration
	blind     bool
}

// NewTimeouts starts at initial, within [min, max].
func NewTimeouts(initial, min, max time.Duration) Timeouts {
	return Timeouts{Min: min, Max: max, Cur: clampDur(initial, min, max)}
}

// Late records, at time now, a message of a timed-out round arriving
// elapsed after that round started (0: not a measurement, the round is older
// than the previous one).
func (t *Timeouts) Late(elapsed, now time.Duration) {
	if elapsed > 0 {
		g := max(t.Cur, elapsed)
		t.Cur = clampDur(g+g/4, t.Min, t.Max)
		return
	}
	if t.blind && now-t.lastBlind < t.Cur {
		return
	}
	t.blind, t.lastBlind = true, now
	t.Cur = clampDur(t.Cur+t.Cur/4, t.Min, t.Max)
}

// Waited records a round that ended, every expected message in, after
// elapsed, having outlived its timeout while its peers were heard from (a
// queue, not a loss): the timeout becomes at least 5/4 of elapsed. Unlike
// Late it does not compound: a hundred such rounds in flight raise it to
// what they needed, not 5/4 to the hundredth.
func (t *Timeouts) Waited(elapsed time.Duration) {
	t.Cur = max(t.Cur, clampDur(elapsed+elapsed/4, t.Min, t.Max))
}

// Early records a round that ended, every expected message in, after
// elapsed. A round whose messages were all there when it started (elapsed
// 0) measures nothing.
func (t *Timeouts) Early(elapsed time.Duration) {
	if target := 2 * elapsed; elapsed > 0 && target < t.Cur {
		t.Cur = clampDur(t.Cur-(t.Cur-target)/16, t.Min, t.Max)
	}
}

func clampDur(d, lo, hi time.Duration) time.Duration {
	return min(max(d, lo), hi)
}
