package rounds

// decisionLog remembers the decisions of the last cap finished instances, so
// that a late peer's round message (or Ask) is answered with the decision
// instead of the instance being re-run. Evicted instances are not forgotten
// entirely: floor is the highest evicted id, and the runtime refuses to
// restart any unknown instance at or below it (ids are expected to grow, as a
// log index does).
type decisionLog[V comparable] struct {
	cap   int
	m     map[uint64]logEntry[V]
	ring  []uint64
	next  int
	floor uint64
	any   bool // floor is meaningful (something was evicted)
}

type logEntry[V comparable] struct {
	value   V
	decided bool // false: the instance ended (exit, give-up) undecided
}

func newDecisionLog[V comparable](cap int) decisionLog[V] {
	return decisionLog[V]{cap: cap, m: make(map[uint64]logEntry[V], cap), ring: make([]uint64, 0, cap)}
}

func (l *decisionLog[V]) get(inst uint64) (logEntry[V], bool) {
	e, ok := l.m[inst]
	return e, ok
}

// forgotten reports whether inst may have finished long ago, beyond the log.
func (l *decisionLog[V]) forgotten(inst uint64) bool { return l.any && inst <= l.floor }

func (l *decisionLog[V]) add(inst uint64, e logEntry[V]) {
	if _, ok := l.m[inst]; ok {
		l.m[inst] = e
		return
	}
	if len(l.ring) < l.cap {
		l.ring = append(l.ring, inst)
	} else {
		old := l.ring[l.next]
		delete(l.m, old)
		if !l.any || old > l.floor {
			l.floor, l.any = old, true
		}
		l.ring[l.next] = inst
		l.next = (l.next + 1) % l.cap
	}
	l.m[inst] = e
}
