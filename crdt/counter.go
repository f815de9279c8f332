package crdt

import (
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/lattice"
)

// GCounter is the grow-only counter (Shapiro et al., §3.1.1): one entry
// per node, each only ever raised by its own node, merged by pointwise max
// — a vector clock read as the sum of its entries. The zero value counts 0.
type GCounter struct {
	v lattice.VClock
}

// Inc adds by to node's entry and returns the delta: that entry alone.
func (g *GCounter) Inc(node core.NodeID, by uint64) *GCounter {
	return &GCounter{v: *g.v.Advance(node, by)}
}

// Value is the sum of the entries.
func (g *GCounter) Value() uint64 { return g.v.Sum() }

// Merge takes the pointwise max.
func (g *GCounter) Merge(o *GCounter) bool { return g.v.Merge(&o.v) }

// LessEq reports whether every entry of g is ≤ o's.
func (g *GCounter) LessEq(o *GCounter) bool { return g.v.LessEq(&o.v) }

// IsBot reports whether every entry is 0.
func (g *GCounter) IsBot() bool { return g.v.IsBot() }

// Clone copies g.
func (g *GCounter) Clone() *GCounter { return &GCounter{v: *g.v.Clone()} }

// PNCounter is a counter that goes up and down (Shapiro et al., §3.1.2):
// a pair of GCounters, increments and decrements. The zero value counts 0.
type PNCounter struct {
	P, N GCounter
}

// Add adds by (which may be negative) as node and returns the delta.
func (c *PNCounter) Add(node core.NodeID, by int64) *PNCounter {
	d := &PNCounter{}
	switch {
	case by > 0:
		d.P = *c.P.Inc(node, uint64(by))
	case by < 0:
		d.N = *c.N.Inc(node, uint64(-by))
	}
	return d
}

// Value is increments minus decrements.
func (c *PNCounter) Value() int64 { return int64(c.P.Value() - c.N.Value()) }

// Merge merges both halves.
func (c *PNCounter) Merge(o *PNCounter) bool {
	p := c.P.Merge(&o.P)
	n := c.N.Merge(&o.N)
	return p || n
}

// LessEq holds when both halves are ≤.
func (c *PNCounter) LessEq(o *PNCounter) bool { return c.P.LessEq(&o.P) && c.N.LessEq(&o.N) }

// IsBot holds when both halves are 0.
func (c *PNCounter) IsBot() bool { return c.P.IsBot() && c.N.IsBot() }

// Clone copies c.
func (c *PNCounter) Clone() *PNCounter { return &PNCounter{P: *c.P.Clone(), N: *c.N.Clone()} }
