package crdt

import (
	"cmp"
	"maps"
	"slices"

	"github.com/rondo-dev/rondo/core"
)

// Dot names one event: the node that made it and that node's counter.
// Dots are what causal CRDTs tag their live data with.
type Dot struct {
	Node core.NodeID
	Seq  uint64
}

func cmpDot(a, b Dot) int { return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.Seq, b.Seq)) }

// Context is a causal context: the set of dots a replica has seen, kept as
// a compact version vector (every dot up to vv[n] seen) plus a dot cloud of
// the dots seen out of order (Almeida et al., §5). Deltas carry contexts
// with gaps, so the cloud is not empty in general; Add compacts it.
// The zero value is the empty context.
type Context struct {
	vv    map[core.NodeID]uint64
	cloud map[Dot]struct{}
}

// Contains reports whether d has been seen.
func (c *Context) Contains(d Dot) bool {
	if d.Seq <= c.vv[d.Node] {
		return true
	}
	_, ok := c.cloud[d]
	return ok
}

// Next returns a fresh dot for node, and records it as seen. A node's own
// dots are always contiguous in its own context, so vv[node]+1 is fresh.
func (c *Context) Next(node core.NodeID) Dot {
	d := Dot{node, c.vv[node] + 1}
	c.Add(d)
	return d
}

// Add records d as seen and reports whether it was new.
func (c *Context) Add(d Dot) bool {
	if c.Contains(d) || d.Seq == 0 {
		return false
	}
	if d.Seq == c.vv[d.Node]+1 {
		if c.vv == nil {
			c.vv = make(map[core.NodeID]uint64)
		}
		c.vv[d.Node] = d.Seq
		c.compact(d.Node)
		return true
	}
	if c.cloud == nil {
		c.cloud = make(map[Dot]struct{})
	}
	c.cloud[d] = struct{}{}
	return true
}

// compact moves the cloud's dots that continue node's vector entry into it.
func (c *Context) compact(node core.NodeID) {
	for len(c.cloud) > 0 {
		next := Dot{node, c.vv[node] + 1}
		if _, ok := c.cloud[next]; !ok {
			return
		}
		delete(c.cloud, next)
		c.vv[node] = next.Seq
	}
}

// Merge adds every dot of o and reports whether c grew.
func (c *Context) Merge(o *Context) bool {
	changed := false
	for n, s := range o.vv {
		if s > c.vv[n] {
			if c.vv == nil {
				c.vv = make(map[core.NodeID]uint64, len(o.vv))
			}
			// Dots of n up to s are now covered: drop them from the cloud
			// (counting the ones we lacked to report change truthfully).
			c.vv[n] = s
			changed = true
		}
	}
	if changed {
		for d := range c.cloud {
			if d.Seq <= c.vv[d.Node] {
				delete(c.cloud, d)
			}
		}
	}
	for d := range o.cloud {
		if c.Add(d) {
			changed = true
		}
	}
	if changed {
		for n := range o.vv {
			c.compact(n)
		}
	}
	return changed
}

// LessEq reports whether every dot of c is in o.
func (c *Context) LessEq(o *Context) bool {
	for n, s := range c.vv {
		if s > o.vv[n] {
			// Covered only if o's cloud fills the gap.
			if s-o.vv[n] > uint64(len(o.cloud)) {
				return false
			}
			for q := o.vv[n] + 1; q <= s; q++ {
				if _, ok := o.cloud[Dot{n, q}]; !ok {
					return false
				}
			}
		}
	}
	for d := range c.cloud {
		if !o.Contains(d) {
			return false
		}
	}
	return true
}

// IsBot reports whether no dot has been seen.
func (c *Context) IsBot() bool {
	for _, s := range c.vv {
		if s != 0 {
			return false
		}
	}
	return len(c.cloud) == 0
}

// count returns the number of dots in c (saturating).
func (c *Context) count() uint64 {
	n := uint64(len(c.cloud))
	for _, s := range c.vv {
		n += s
		if n < s {
			return ^uint64(0)
		}
	}
	return n
}

// each calls f for every dot of c, stopping when f returns false.
func (c *Context) each(f func(Dot) bool) {
	for n, s := range c.vv {
		for q := uint64(1); q <= s; q++ {
			if !f(Dot{n, q}) {
				return
			}
		}
	}
	for d := range c.cloud {
		if !f(d) {
			return
		}
	}
}

// Clone copies c.
func (c *Context) Clone() *Context {
	return &Context{vv: maps.Clone(c.vv), cloud: maps.Clone(c.cloud)}
}

// Size returns the number of nodes in the vector and of dots in the
// cloud: a measure of how compact the context is.
func (c *Context) Size() (nodes, cloud int) { return len(c.vv), len(c.cloud) }

// contextOf builds a context holding exactly the given dots.
func contextOf(dots ...Dot) *Context {
	c := &Context{}
	slices.SortFunc(dots, cmpDot)
	for _, d := range dots {
		c.Add(d)
	}
	return c
}
