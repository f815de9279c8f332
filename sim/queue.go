package sim

// item kinds.
const (
	kDeliver uint8 = iota + 1
	kTimer
	kInput
	kFault
)

// item is one pending event.
type item struct {
	kind uint8
	dup  bool
	to   uint32 // receiving node
	from uint32 // sender of a message
	inc  int32  // receiver's incarnation when a timer was set
	gen  uint64 // timer generation, message id, input or fault index
	key  string // timer key
	body any
}

// queue holds pending events in (time, scheduling order). Events that fall
// at the same instant share a FIFO bucket, and a 4-ary min-heap orders the
// distinct instants. Simulated networks produce many equal times (a node
// sending to n peers with one latency schedules n deliveries at one instant),
// so most pushes append to a bucket and most pops take a bucket's next item
// without touching the heap, where a plain heap of events would spend its
// time on mispredicted comparisons. FIFO within a bucket is scheduling order,
// so the order is the same as a heap keyed by (time, seq).
//
// The heap holds no pointers, so moving entries costs no GC write barriers;
// items stay put in a slab and are recycled through a free list.
type queue struct {
	times   []int64          // 4-ary min-heap of instants that have a bucket
	buckets map[int64]uint32 // instant -> index in bs
	bs      []bucket
	freeB   []uint32
	slab    []item
	freeS   []uint32
	n       int
	// The last bucket pushed to: consecutive pushes at one instant skip the
	// map lookup.
	lastAt  int64
	lastIdx uint32
	lastOK  bool
}

type bucket struct {
	slots []uint32
	head  int
}

func (q *queue) len() int { return q.n }

// peek is the time of the earliest event; the queue must not be empty.
func (q *queue) peek() int64 { return q.times[0] }

func (q *queue) push(at int64, it item) {
	var slot uint32
	if k := len(q.freeS); k > 0 {
		slot = q.freeS[k-1]
		q.freeS = q.freeS[:k-1]
		q.slab[slot] = it
	} else {
		slot = uint32(len(q.slab))
		q.slab = append(q.slab, it)
	}
	q.n++
	var bi uint32
	if q.lastOK && q.lastAt == at {
		bi = q.lastIdx
	} else if idx, ok := q.buckets[at]; ok {
		bi = idx
	} else {
		bi = q.newBucket()
		if q.buckets == nil {
			q.buckets = make(map[int64]uint32)
		}
		q.buckets[at] = bi
		q.pushTime(at)
	}
	q.lastAt, q.lastIdx, q.lastOK = at, bi, true
	q.bs[bi].slots = append(q.bs[bi].slots, slot)
}

func (q *queue) newBucket() uint32 {
	if k := len(q.freeB); k > 0 {
		bi := q.freeB[k-1]
		q.freeB = q.freeB[:k-1]
		return bi
	}
	q.bs = append(q.bs, bucket{})
	return uint32(len(q.bs) - 1)
}

// pop removes the earliest event and returns its time and item.
func (q *queue) pop() (int64, item) {
	at := q.times[0]
	bi := q.bucketAt(at)
	b := &q.bs[bi]
	slot := b.slots[b.head]
	b.head++
	if b.head == len(b.slots) {
		b.slots, b.head = b.slots[:0], 0
		delete(q.buckets, at)
		q.freeB = append(q.freeB, bi)
		q.popTime()
		if q.lastOK && q.lastAt == at {
			q.lastOK = false
		}
	}
	q.n--
	it := q.slab[slot]
	q.slab[slot] = item{} // let the GC have the body
	q.freeS = append(q.freeS, slot)
	return at, it
}

func (q *queue) bucketAt(at int64) uint32 {
	if q.lastOK && q.lastAt == at {
		return q.lastIdx
	}
	return q.buckets[at]
}

func (q *queue) pushTime(t int64) {
	h := append(q.times, t)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if h[p] <= t {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = t
	q.times = h
}

func (q *queue) popTime() {
	h := q.times
	last := h[len(h)-1]
	h = h[:len(h)-1]
	n := len(h)
	if n > 0 {
		i := 0
		for {
			c := 4*i + 1
			if c >= n {
				break
			}
			m := c
			for j := c + 1; j < c+4 && j < n; j++ {
				if h[j] < h[m] {
					m = j
				}
			}
			if h[m] >= last {
				break
			}
			h[i] = h[m]
			i = m
		}
		h[i] = last
	}
	q.times = h
}
