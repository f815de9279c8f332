package cluster

import (
	"fmt"
	"time"
)

// timers are a node's armed timers. A timer fires by posting timerFired to
// the node's goroutine; the generation number lets the goroutine ignore a
// timer that was cancelled or re-armed after its time.AfterFunc had already
// started, so a stale timer never reaches the process.
type timers struct {
	n     *Node
	gen   uint64
	armed map[string]armedTimer
}

type armedTimer struct {
	gen uint64
	t   *time.Timer
}

type timerFired struct {
	key string
	gen uint64
}

func (ts *timers) init(n *Node) {
	ts.n = n
	ts.armed = make(map[string]armedTimer)
}

func (ts *timers) set(key string, after time.Duration) {
	ts.cancel(key)
	ts.gen++
	ev := timerFired{key: key, gen: ts.gen}
	t := time.AfterFunc(max(after, 0), func() { ts.n.post(ev) })
	ts.armed[key] = armedTimer{gen: ev.gen, t: t}
}

func (ts *timers) cancel(key string) {
	if a, ok := ts.armed[key]; ok {
		a.t.Stop()
		delete(ts.armed, key)
	}
}

// fired reports whether ev is the live generation of its timer, disarming it.
func (ts *timers) fired(ev timerFired) bool {
	a, ok := ts.armed[ev.key]
	if !ok || a.gen != ev.gen {
		return false
	}
	delete(ts.armed, ev.key)
	return true
}

// stopAll runs after the node's goroutine ended.
func (ts *timers) stopAll() {
	for k, a := range ts.armed {
		a.t.Stop()
		delete(ts.armed, k)
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
