package crdt_test

import (
	"fmt"
	"testing"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt"
)

// Merge throughput: each benchmark merges a small delta (one mutation of
// another replica) into a full state, the anti-entropy hot path, and a
// full state into another, the fallback path.

func BenchmarkGCounterMerge(b *testing.B) {
	var full crdt.GCounter
	for n := range 100 {
		full.Inc(core.NodeID(n), uint64(n))
	}
	other := full.Clone()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		full.Merge(other.Inc(core.NodeID(i%100), 1))
	}
}

func BenchmarkPNCounterMerge(b *testing.B) {
	var full crdt.PNCounter
	for n := range 100 {
		full.Add(core.NodeID(n), int64(n-50))
	}
	other := full.Clone()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		full.Merge(other.Add(core.NodeID(i%100), int64(i%3-1)))
	}
}

func BenchmarkLWWMerge(b *testing.B) {
	var r, o crdt.LWW[string]
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r.Merge(o.Set(bob, uint64(i), "v"))
	}
}

func BenchmarkMVRegisterMerge(b *testing.B) {
	var r, o crdt.MVRegister[string]
	b.ResetTimer()
	for b.Loop() {
		r.Merge(o.Write(bob, "v"))
	}
}

func BenchmarkEWFlagMerge(b *testing.B) {
	var f, o crdt.EWFlag
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			f.Merge(o.Enable(bob))
		} else {
			f.Merge(o.Disable())
		}
	}
}

func bigSet(n int) *crdt.AWSet[int] {
	s := &crdt.AWSet[int]{}
	for i := range n {
		s.Add(core.NodeID(i%3), i)
	}
	return s
}

func BenchmarkAWSetMergeDelta(b *testing.B) {
	for _, size := range []int{100, 10_000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			full := bigSet(size)
			other := full.Clone()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				full.Merge(other.Add(bob, size+i))
			}
		})
	}
}

func BenchmarkAWSetMergeFullState(b *testing.B) {
	a, o := bigSet(10_000), bigSet(10_000)
	for i := range 100 {
		o.Add(carol, 20_000+i)
	}
	b.ResetTimer()
	for b.Loop() {
		a.Clone().Merge(o)
	}
}

// BenchmarkORMapMergeDelta merges one nested update of a 1000-key map of
// small add-wins sets.
func BenchmarkORMapMergeDelta(b *testing.B) {
	var m, o setMap
	for k := range 1000 {
		key := fmt.Sprint(k)
		o.Merge(m.Update(key, func(s *crdt.AWSet[int]) *crdt.AWSet[int] { return s.Add(alice, k) }))
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// Re-adding one of ten elements keeps every nested set at ≤ 10.
		m.Merge(o.Update(fmt.Sprint(i%1000), func(s *crdt.AWSet[int]) *crdt.AWSet[int] { return s.Add(bob, i/1000%10) }))
	}
}

// BenchmarkAWSetDeltaVsFullState measures what anti-entropy ships for a
// 10,000-element add-wins set when 1% of its elements changed since the
// last sync: the joined deltas of 100 mutations (50 removes, 50 adds),
// against the full state. Reported as bytes; the target is delta ≤ 5%.
func BenchmarkAWSetDeltaVsFullState(b *testing.B) {
	var full, delta int
	for b.Loop() {
		s := bigSet(10_000)
		var d crdt.AWSet[int]
		for i := range 50 {
			d.Merge(s.Remove(i * 7))
			d.Merge(s.Add(alice, 10_000+i))
		}
		fb, _ := s.AppendBinary(nil)
		db, _ := d.AppendBinary(nil)
		full, delta = len(fb), len(db)
	}
	b.ReportMetric(float64(full), "full-bytes")
	b.ReportMetric(float64(delta), "delta-bytes")
	b.ReportMetric(100*float64(delta)/float64(full), "delta-%")
}
