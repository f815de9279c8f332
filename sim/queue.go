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

// entry orders one item: by time, then by the order it was scheduled in
// (seq), which is what makes equal-time events run in a deterministic order.
// Entries hold no pointers, so moving them around the heap costs no GC write
// barriers; the items they point at stay put in a slab.
type entry struct {
	at   int64
	seq  uint64
	slot uint32
}

func (a entry) before(b entry) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// queue is a 4-ary min-heap of entries over a slab of items; written out
// rather than through container/heap to avoid an interface call and a boxing
// per operation.
type queue struct {
	heap []entry
	slab []item
	free []uint32
}

func (q *queue) len() int { return len(q.heap) }

// peek is the time of the earliest event; the queue must not be empty.
func (q *queue) peek() int64 { return q.heap[0].at }

func (q *queue) push(at int64, seq uint64, it item) {
	var slot uint32
	if n := len(q.free); n > 0 {
		slot = q.free[n-1]
		q.free = q.free[:n-1]
		q.slab[slot] = it
	} else {
		slot = uint32(len(q.slab))
		q.slab = append(q.slab, it)
	}
	e := entry{at: at, seq: seq, slot: slot}
	h := append(q.heap, e)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !e.before(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
	q.heap = h
}

// pop removes the earliest event and returns its time and item.
func (q *queue) pop() (int64, item) {
	h := q.heap
	top := h[0]
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
				if h[j].before(h[m]) {
					m = j
				}
			}
			if !h[m].before(last) {
				break
			}
			h[i] = h[m]
			i = m
		}
		h[i] = last
	}
	q.heap = h
	it := q.slab[top.slot]
	q.slab[top.slot] = item{} // let the GC have the body
	q.free = append(q.free, top.slot)
	return top.at, it
}
