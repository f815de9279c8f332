package rounds

import (
	"container/heap"
	"time"
)

// deadlines is the runtime's timer wheel: a min-heap of instance deadlines
// behind a single core timer. One core timer per instance would make the
// world track thousands of keys; here the core timer is only re-armed when
// the earliest deadline moves earlier, and stale entries (an instance that
// moved on, or ended) are skipped when they surface, by generation.
type deadlines struct {
	h     deadlineHeap
	armed time.Duration // when the core timer fires; -1 when not armed
}

type deadline struct {
	at   time.Duration
	inst uint64
	gen  uint64
}

type deadlineHeap []deadline

func (h deadlineHeap) Len() int { return len(h) }
func (h deadlineHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].inst < h[j].inst
}
func (h deadlineHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *deadlineHeap) Push(x any)   { *h = append(*h, x.(deadline)) }
func (h *deadlineHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (d *deadlines) push(at time.Duration, inst, gen uint64) {
	heap.Push(&d.h, deadline{at: at, inst: inst, gen: gen})
}

// next returns the earliest entry without removing it.
func (d *deadlines) next() (deadline, bool) {
	if len(d.h) == 0 {
		return deadline{}, false
	}
	return d.h[0], true
}

func (d *deadlines) pop() deadline { return heap.Pop(&d.h).(deadline) }
