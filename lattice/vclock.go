package lattice

import (
	"maps"
	"slices"

	"github.com/rondo-dev/rondo/core"
)

// VClock is a vector clock: a map from node to a count of that node's
// events, merged by pointwise max. Its order is the happened-before order,
// so two clocks can be concurrent (neither ≤ the other). The zero value is
// the empty clock, ⊥.
type VClock struct {
	m map[core.NodeID]uint64
}

// Get returns node's entry.
func (v *VClock) Get(node core.NodeID) uint64 { return v.m[node] }

// VClockOf returns the clock with the given entries (copied).
func VClockOf(entries map[core.NodeID]uint64) *VClock {
	return &VClock{m: maps.Clone(entries)}
}

// Tick advances node's entry by one and returns the delta {node: new}.
func (v *VClock) Tick(node core.NodeID) *VClock { return v.Advance(node, 1) }

// Advance adds by to node's entry and returns the delta {node: new}.
func (v *VClock) Advance(node core.NodeID, by uint64) *VClock {
	if v.m == nil {
		v.m = make(map[core.NodeID]uint64)
	}
	v.m[node] += by
	return &VClock{m: map[core.NodeID]uint64{node: v.m[node]}}
}

// Sum adds up the entries: the number of events the clock has seen.
func (v *VClock) Sum() uint64 {
	var s uint64
	for _, c := range v.m {
		s += c
	}
	return s
}

// Nodes returns the nodes with a non-zero entry, in increasing order.
func (v *VClock) Nodes() []core.NodeID { return slices.Sorted(maps.Keys(v.m)) }

// Merge takes the pointwise max.
func (v *VClock) Merge(o *VClock) bool {
	changed := false
	for n, c := range o.m {
		if c > v.m[n] {
			if v.m == nil {
				v.m = make(map[core.NodeID]uint64, len(o.m))
			}
			v.m[n] = c
			changed = true
		}
	}
	return changed
}

// LessEq reports whether v happened before or equals o.
func (v *VClock) LessEq(o *VClock) bool {
	for n, c := range v.m {
		if c > o.m[n] {
			return false
		}
	}
	return true
}

// Concurrent reports whether neither clock is ≤ the other.
func (v *VClock) Concurrent(o *VClock) bool { return !v.LessEq(o) && !o.LessEq(v) }

// IsBot reports whether every entry is zero.
func (v *VClock) IsBot() bool {
	for _, c := range v.m {
		if c != 0 {
			return false
		}
	}
	return true
}

// Clone copies v.
func (v *VClock) Clone() *VClock { return &VClock{m: maps.Clone(v.m)} }
