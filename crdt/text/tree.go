package text

import "slices"

// Tree shape. Leaves hold up to maxLeafRuns runs and inner nodes up to
// maxKids children before splitting; both are small enough that a linear
// scan of a node stays in cache, large enough to keep the tree 3–4 deep for
// the largest traces.
const (
	maxLeafRuns = 64
	maxKids     = 32
)

// run is a span of n items with consecutive seqs typed by one agent, each
// item's left origin being the previous one: only the first item's left
// origin is stored, and all share the right origin. Runs are how Yjs's
// items, Automerge's and diamond-types' spans keep metadata per edit, not
// per character.
type run struct {
	agent   int32 // index in Doc.agents
	seq     uint32
	n       uint32
	deleted bool
	left    ID // left origin of the first item
	right   ID // right origin of every item
}

func (r *run) vis() int {
	if r.deleted {
		return 0
	}
	return int(r.n)
}

// node is a B-tree node. Leaves are also linked in document order.
type node struct {
	parent     *node
	kids       []*node
	runs       []run
	leaf       bool
	id         int32
	prev, next *node
	vis, all   int // visible and total items below
}

// addCounts adds to the counts of n and every ancestor.
func addCounts(n *node, dvis, dall int) {
	for ; n != nil; n = n.parent {
		n.vis += dvis
		n.all += dall
	}
}

// findVis returns the leaf, run and offset of the visible item at pos,
// 0 ≤ pos < root.vis.
func (d *Doc) findVis(pos int) (*node, int, int) {
	n := d.root
	for !n.leaf {
		next := n.kids[len(n.kids)-1]
		for _, k := range n.kids {
			if pos < k.vis {
				next = k
				break
			}
			pos -= k.vis
		}
		n = next
	}
	for i := range n.runs {
		r := &n.runs[i]
		if r.deleted {
			continue
		}
		if pos < int(r.n) {
			return n, i, pos
		}
		pos -= int(r.n)
	}
	panic("text: visible position out of range") // unreachable: counts are kept exact
}

// findAll returns the leaf, run and offset of the item at index idx among
// all items, 0 ≤ idx < root.all.
func (d *Doc) findAll(idx int) (*node, int, int) {
	n := d.root
	for !n.leaf {
		next := n.kids[len(n.kids)-1]
		for _, k := range n.kids {
			if idx < k.all {
				next = k
				break
			}
			idx -= k.all
		}
		n = next
	}
	for i := range n.runs {
		if idx < int(n.runs[i].n) {
			return n, i, idx
		}
		idx -= int(n.runs[i].n)
	}
	panic("text: index out of range") // unreachable: counts are kept exact
}

// leafStart returns the index of l's first item among all items.
func leafStart(l *node) int {
	all := 0
	for c := l; c.parent != nil; c = c.parent {
		for _, k := range c.parent.kids {
			if k == c {
				break
			}
			all += k.all
		}
	}
	return all
}

// locate finds the leaf, run and offset holding the integrated item id.
func (d *Doc) locate(id ID) (*node, int, int) {
	ai := d.byID[id.Agent]
	l := d.leaves[d.agents[ai].where.find(id.Seq)]
	for i := range l.runs {
		r := &l.runs[i]
		if r.agent == ai && id.Seq >= r.seq && id.Seq < r.seq+r.n {
			return l, i, int(id.Seq - r.seq)
		}
	}
	panic("text: item index out of date") // unreachable: the index is kept exact
}

// index returns the position of id among all items; -1 for None as a left
// origin, root.all for None as a right origin.
func (d *Doc) index(id ID, noneAt int) int {
	if id == none {
		return noneAt
	}
	l, ri, off := d.locate(id)
	i := leafStart(l) + off
	for k := 0; k < ri; k++ {
		i += int(l.runs[k].n)
	}
	return i
}

// idAt returns the ID of item off of run r.
func (d *Doc) idAt(r *run, off int) ID {
	return ID{Agent: d.agents[r.agent].id, Seq: r.seq + uint32(off)}
}

// leftOf returns the left origin of item off of run r.
func (d *Doc) leftOf(r *run, off int) ID {
	if off == 0 {
		return r.left
	}
	return d.idAt(r, off-1)
}

// splitRun splits run ri of leaf l before offset off (0 < off < n).
func (d *Doc) splitRun(l *node, ri, off int) {
	r := l.runs[ri]
	tail := r
	tail.seq += uint32(off)
	tail.n -= uint32(off)
	tail.left = d.idAt(&r, off-1)
	l.runs[ri].n = uint32(off)
	l.runs = slices.Insert(l.runs, ri+1, tail)
}

// joinable reports whether run b directly continues run a.
func (d *Doc) joinable(a, b *run) bool {
	return a.agent == b.agent && a.seq+a.n == b.seq && a.deleted == b.deleted &&
		a.right == b.right && b.left == d.idAt(a, int(a.n)-1)
}

// coalesce merges run ri of l with its neighbours in l where possible.
func (d *Doc) coalesce(l *node, ri int) {
	if ri+1 < len(l.runs) && d.joinable(&l.runs[ri], &l.runs[ri+1]) {
		l.runs[ri].n += l.runs[ri+1].n
		l.runs = slices.Delete(l.runs, ri+1, ri+2)
	}
	if ri > 0 && d.joinable(&l.runs[ri-1], &l.runs[ri]) {
		l.runs[ri-1].n += l.runs[ri].n
		l.runs = slices.Delete(l.runs, ri, ri+1)
	}
}

// moved records that the items of r now live in leaf l.
func (d *Doc) moved(r *run, l *node) {
	d.agents[r.agent].where.assign(r.seq, r.n, l.id)
}

// lastLeaf returns the last leaf in document order.
func (d *Doc) lastLeaf() *node {
	n := d.root
	for !n.leaf {
		n = n.kids[len(n.kids)-1]
	}
	return n
}

// maybeSplit splits l when it grew too large.
func (d *Doc) maybeSplit(l *node) {
	if len(l.runs) <= maxLeafRuns {
		return
	}
	half := len(l.runs) / 2
	nl := &node{leaf: true, id: int32(len(d.leaves)), parent: l.parent}
	d.leaves = append(d.leaves, nl)
	nl.runs = make([]run, len(l.runs)-half, maxLeafRuns+2)
	copy(nl.runs, l.runs[half:])
	l.runs = l.runs[:half]
	for i := range nl.runs {
		r := &nl.runs[i]
		nl.vis += r.vis()
		nl.all += int(r.n)
		if !d.decoding {
			d.moved(r, nl)
		}
	}
	l.vis -= nl.vis
	l.all -= nl.all
	nl.next = l.next
	if l.next != nil {
		l.next.prev = nl
	}
	l.next, nl.prev = nl, l
	d.insertAfter(l, nl)
}

// insertAfter puts the new node nn after its sibling n, splitting
// ancestors as needed. Counts of the ancestors do not change: nn's items
// came out of n.
func (d *Doc) insertAfter(n, nn *node) {
	p := n.parent
	if p == nil {
		root := &node{kids: []*node{n, nn}, vis: n.vis + nn.vis, all: n.all + nn.all}
		n.parent, nn.parent = root, root
		d.root = root
		return
	}
	i := slices.Index(p.kids, n)
	p.kids = slices.Insert(p.kids, i+1, nn)
	nn.parent = p
	if len(p.kids) <= maxKids {
		return
	}
	half := len(p.kids) / 2
	np := &node{parent: p.parent}
	np.kids = append(make([]*node, 0, maxKids+1), p.kids[half:]...)
	p.kids = p.kids[:half]
	for _, k := range np.kids {
		k.parent = np
		np.vis += k.vis
		np.all += k.all
	}
	p.vis -= np.vis
	p.all -= np.all
	d.insertAfter(p, np)
}
