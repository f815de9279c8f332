package transport

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Log levels, short for the many call sites.
const (
	debug = slog.LevelDebug
	info  = slog.LevelInfo
	warn  = slog.LevelWarn
)

// logBurst is how many lines of one kind pass in each log interval.
const logBurst = 5

// DefaultLogInterval is Config.LogInterval's default.
const DefaultLogInterval = 10 * time.Second

// throttle rate-limits the transport's per-connection log lines. Anything
// on the network can make a node log (a reconnect loop against a refusing
// peer once wrote 39 MB of refusals in 15 s), so in each interval the
// throttle passes the first logBurst lines of each kind and only counts the
// rest; at the end of the interval it writes one line saying how many of
// each kind it held back. The metrics count every event regardless.
//
// A kind is what the line reports plus, when known, the peer it concerns
// ("refused.unknown", "connected.3"): a flood of refusals from unknown
// addresses then cannot hide that peer 3 keeps reconnecting, and the lines
// one cluster start-up writes per peer all pass.
type throttle struct {
	out *slog.Logger

	mu      sync.Mutex
	start   time.Time      // when this interval began
	seen    map[string]int // lines of each kind this interval, passed or not
	held    map[string]int // lines of each kind held back this interval
	heldMax slog.Level     // the most severe line held back
}

func newThrottle(log *slog.Logger) *throttle {
	return &throttle{out: log, start: time.Now(), seen: make(map[string]int), held: make(map[string]int)}
}

// log writes msg at level unless logBurst lines of kind already passed in
// this interval.
func (th *throttle) log(level slog.Level, kind, msg string, attrs ...any) {
	ctx := context.Background()
	if !th.out.Enabled(ctx, level) {
		return // neither written nor reported as held back
	}
	th.mu.Lock()
	th.seen[kind]++
	if th.seen[kind] > logBurst {
		if len(th.held) == 0 || level > th.heldMax {
			th.heldMax = level
		}
		th.held[kind]++
		th.mu.Unlock()
		return
	}
	th.mu.Unlock()
	th.out.Log(ctx, level, msg, attrs...)
}

// flush ends the interval at now: it reports what was held back, if
// anything, at the level of the most severe line held back, and starts the
// next interval with a fresh burst for every kind.
func (th *throttle) flush(now time.Time) {
	th.mu.Lock()
	held, level, start := th.held, th.heldMax, th.start
	th.start = now
	if len(th.seen) > 0 {
		th.seen = make(map[string]int)
	}
	if len(held) > 0 {
		th.held = make(map[string]int)
	}
	th.mu.Unlock()
	if len(held) == 0 {
		return
	}
	kinds := make([]string, 0, len(held))
	for k := range held {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	counts := make([]any, len(kinds))
	for i, k := range kinds {
		counts[i] = slog.Int(k, held[k])
	}
	over := now.Sub(start).Round(time.Millisecond)
	th.out.Log(context.Background(), level, "suppressed repeated log lines", "interval", over, slog.Group("suppressed", counts...))
}

// run flushes every interval until done is closed.
func (th *throttle) run(every time.Duration, done <-chan struct{}) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case now := <-tick.C:
			th.flush(now)
		case <-done:
			return
		}
	}
}
