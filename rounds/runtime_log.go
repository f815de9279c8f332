package rounds

// decisionLog remembers the decisions of the last finished instances, so
// that a late peer's round message (or Ask) is answered with the decision
// instead of the instance being re-run. It keeps at most cap entries whose
// values take at most capBytes encoded (a log of 16384 decisions of a
// megabyte each would not fit in memory); the oldest go first. Evicted
// instances are not forgotten entirely: floor is the highest evicted id,
// and the runtime refuses to restart any unknown instance at or below it
// (ids are expected to grow, as a log index does).
type decisionLog[V comparable] struct {
	cap, capBytes int
	bytes         int // the encoded size of the values kept
	m             map[uint64]logEntry[V]
	ring          []uint64 // instances in the order they were added
	head          int      // ring[head:] are kept; ring[:head] evicted
	floor         uint64
	any           bool // floor is meaningful (something was evicted)
}

type logEntry[V comparable] struct {
	value   V
	decided bool // false: the instance ended (exit, give-up) undecided
	// round is the round the decision was made in (-1: learned from a
	// peer, or none).
	round int
	size  int // ValueSize(value), counted in bytes
}

func newDecisionLog[V comparable](cap, capBytes int) decisionLog[V] {
	return decisionLog[V]{cap: cap, capBytes: capBytes, m: make(map[uint64]logEntry[V], min(cap, 1<<10))}
}

func (l *decisionLog[V]) get(inst uint64) (logEntry[V], bool) {
	e, ok := l.m[inst]
	return e, ok
}

// forgotten reports whether inst may have finished long ago, beyond the log.
func (l *decisionLog[V]) forgotten(inst uint64) bool { return l.any && inst <= l.floor }

func (l *decisionLog[V]) add(inst uint64, e logEntry[V]) {
	if e.decided {
		e.size = ValueSize(e.value)
	}
	if old, ok := l.m[inst]; ok {
		l.bytes += e.size - old.size
		l.m[inst] = e
		l.trim()
		return
	}
	l.ring = append(l.ring, inst)
	l.m[inst] = e
	l.bytes += e.size
	l.trim()
}

// trim evicts the oldest entries while the log holds more than it may,
// keeping the newest one whatever its size.
func (l *decisionLog[V]) trim() {
	for len(l.ring)-l.head > 1 && (len(l.ring)-l.head > l.cap || l.bytes > l.capBytes) {
		old := l.ring[l.head]
		l.head++
		l.bytes -= l.m[old].size
		delete(l.m, old)
		if !l.any || old > l.floor {
			l.floor, l.any = old, true
		}
	}
	if l.head > len(l.ring)/2 && l.head > 64 {
		// Reclaim the evicted prefix once it is half the ring.
		l.ring = append(l.ring[:0], l.ring[l.head:]...)
		l.head = 0
	}
}

// drop removes every entry at or below upTo (Truncate).
func (l *decisionLog[V]) drop(upTo uint64) {
	kept := l.ring[:0]
	for _, inst := range l.ring[l.head:] {
		if inst <= upTo {
			l.bytes -= l.m[inst].size
			delete(l.m, inst)
			continue
		}
		kept = append(kept, inst)
	}
	clear(l.ring[len(kept):])
	l.ring, l.head = kept, 0
}
