package text

import (
	"cmp"
	"slices"
)

// commit integrates the runs of a plan (sorted, disjoint, all missing),
// dependencies first, and leaves the ones whose origins are not here
// waiting. It reports whether anything was integrated.
func (d *Doc) commit(todo []Insert) (integrated bool) {
	d.pendingIns, d.waiting = nil, 0
	find := func(id ID) int { // index in todo of the run holding id, or -1
		i, found := slices.BinarySearchFunc(todo, id, func(in Insert, id ID) int {
			if c := cmp.Compare(in.ID.Agent, id.Agent); c != 0 {
				return c
			}
			switch {
			case id.Seq < in.ID.Seq:
				return 1
			case uint64(id.Seq) >= in.end():
				return -1
			}
			return 0
		})
		if !found {
			return -1
		}
		return i
	}
	const (
		unseen = iota
		visiting
		done
	)
	state := make([]uint8, len(todo))
	var stack []int
	for start := range todo {
		if state[start] != unseen {
			continue
		}
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			if state[x] == unseen {
				state[x] = visiting
				for _, dep := range deps(todo[x]) {
					if dep == none || d.has(dep) {
						continue
					}
					if j := find(dep); j >= 0 && state[j] == unseen {
						stack = append(stack, j)
					}
				}
				continue
			}
			stack = stack[:len(stack)-1]
			if state[x] == visiting {
				state[x] = done
				if in := todo[x]; d.ready(in) {
					d.integrate(in)
					integrated = true
				} else {
					d.pendingIns = append(d.pendingIns, in)
					d.waiting += int(in.Len())
				}
			}
		}
	}
	slices.SortFunc(d.pendingIns, func(a, b Insert) int {
		return cmp.Or(cmp.Compare(a.ID.Agent, b.ID.Agent), cmp.Compare(a.ID.Seq, b.ID.Seq))
	})
	return integrated
}

// deps lists what in waits for: its origins and, as in Yjs, the agent's
// previous item, so that each agent's items are integrated as a prefix of
// its sequence — an update naming a far-away seq parks instead of making
// the replica allocate up to it.
func deps(in Insert) [3]ID {
	prev := none
	if in.ID.Seq > 0 {
		prev = ID{in.ID.Agent, in.ID.Seq - 1}
	}
	return [3]ID{in.Left, in.Right, prev}
}

// ready reports whether everything in waits for is integrated.
func (d *Doc) ready(in Insert) bool {
	for _, id := range deps(in) {
		if !d.hasOrigin(id) {
			return false
		}
	}
	return true
}

// integrate places a run whose items are the next of its agent and whose
// origins are present. Only its first item needs the scan: the others
// follow it directly (no item of d can have one of them as an origin). A
// tombstone run is placed deleted, without content.
func (d *Doc) integrate(in Insert) {
	left := -1
	var ll *node
	var lri, loff int
	if in.Left != none {
		ll, lri, loff = d.locate(in.Left)
		left = leafStart(ll) + loff
		for k := 0; k < lri; k++ {
			left += int(ll.runs[k].n)
		}
	}
	right := d.index(in.Right, d.root.all)
	dest := d.scan(in, left, right)

	ai := d.log(in.ID.Agent)
	n := in.Len()
	vis := int(n)
	if in.Text == "" {
		vis = 0
	}
	r := run{agent: ai, seq: in.ID.Seq, n: n, left: in.Left, right: in.Right, deleted: vis == 0}
	var l *node
	var ri int
	if ll != nil && dest == left+1 {
		// Right after the left origin, found already: no second descent.
		l, ri = ll, lri+1
		if loff+1 < int(ll.runs[lri].n) {
			d.splitRun(ll, lri, loff+1)
		}
	} else if dest == d.root.all {
		l = d.lastLeaf()
		ri = len(l.runs)
	} else {
		var off int
		l, ri, off = d.findAll(dest)
		if off > 0 {
			d.splitRun(l, ri, off)
			ri++
		}
	}
	a := &d.agents[ai]
	if vis > 0 {
		write(&a.text, in.ID.Seq, in.Text)
	} else {
		a.text.reserve(in.ID.Seq + n)
	}
	a.where.push(n, l.id)
	l.runs = insertRun(l.runs, ri, r)
	addCounts(l, vis, int(n))
	d.coalesce(l, ri)
	d.maybeSplit(l)
}

// scan is the FugueMax (YjsMod) placement of a new item between the items
// at indexes left and right: walk the items in between, skipping the ones
// that belong after the new item's left origin's subtree, and tie-break
// siblings by agent. It returns the index the new item takes.
func (d *Doc) scan(in Insert, left, right int) int {
	i := left + 1
	if i == right || i == d.root.all {
		return i // no concurrent insert in the way: the common case
	}
	dest := i
	scanning := false
	l, ri, off := d.findAll(i)
	for {
		if !scanning {
			dest = i
		}
		if i == d.root.all || i == right {
			break
		}
		r := &l.runs[ri]
		oleft := i - 1
		if off == 0 {
			oleft = d.index(r.left, -1)
		}
		oright := d.index(r.right, d.root.all)
		if oleft < left {
			break
		}
		if oleft == left && d.yata {
			// Yjs's original YATA rule, kept to measure against FugueMax.
			switch {
			case in.ID.Agent > d.agents[r.agent].id:
				scanning = false
			case oright == right:
				return dest
			default:
				scanning = true
			}
		} else if oleft == left {
			switch {
			case oright < right:
				scanning = true
			case oright == right:
				if in.ID.Agent < d.agents[r.agent].id {
					return dest
				}
				scanning = false
			default:
				scanning = false
			}
		}
		// The rest of this run has its left origin inside the run, beyond
		// left: skip it whole, stopping at right.
		step := int(r.n) - off
		if i < right && i+step > right {
			step = right - i
			off += step
		} else {
			ri++
			off = 0
			if ri == len(l.runs) && l.next != nil {
				l, ri = l.next, 0
			}
		}
		if step > 1 && !scanning {
			dest = i + step - 1
		}
		i += step
	}
	return dest
}
