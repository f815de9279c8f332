package text

import (
	"cmp"
	"slices"
)

// Apply merges the delta u into d and reports whether d changed. Items
// already present are skipped, so duplicated and reordered deliveries are
// harmless; items whose origins (or whose agent's earlier items) have not
// arrived wait inside d until they do, so Apply needs no causal delivery
// either.
func (d *Doc) Apply(u *Update) bool {
	d.init()
	integrated, parked := d.applyInserts(u.Inserts)
	changed := integrated || parked
	for integrated && len(d.pendingIns) > 0 {
		// New items may be the origins parked ones were waiting for.
		retry := d.pendingIns
		d.pendingIns = nil
		integrated, _ = d.applyInserts(retry)
	}
	if changed && len(d.pendingDel) > 0 {
		retry := d.pendingDel
		d.pendingDel = nil
		d.applyDeletes(retry)
	}
	if d.applyDeletes(u.Deletes) {
		changed = true
	}
	return changed
}

// applyInserts integrates every missing item of ins, dependencies first,
// and parks the ones whose origins are unknown. It reports whether
// anything was integrated, and whether anything not already waiting was
// parked.
func (d *Doc) applyInserts(ins []Insert) (integrated, parked bool) {
	// Fast path, one keystroke's delta: a single run that continues its
	// agent's sequence and whose origins are here.
	if len(ins) == 1 {
		in := ins[0]
		if n := len(in.Text); n > 0 && d.root.all+n <= MaxChars && in.ID.Agent != None.Agent &&
			uint64(in.ID.Seq)+uint64(n) <= MaxChars && d.known(in.ID.Agent) == in.ID.Seq && d.ready(in) {
			d.integrate(in)
			return true, false
		}
	}
	// Cut each insert down to the items d lacks.
	var todo []Insert
	for _, in := range ins {
		n := uint32(len(in.Text))
		if n == 0 || uint64(in.ID.Seq)+uint64(n) > MaxChars || in.ID.Agent == None.Agent {
			continue
		}
		for k := uint32(0); k < n; {
			if d.has(ID{in.ID.Agent, in.ID.Seq + k}) {
				k++
				continue
			}
			e := k + 1
			for e < n && !d.has(ID{in.ID.Agent, in.ID.Seq + e}) {
				e++
			}
			part := Insert{ID: ID{in.ID.Agent, in.ID.Seq + k}, Left: in.Left, Right: in.Right, Text: in.Text[k:e]}
			if k > 0 {
				part.Left = ID{in.ID.Agent, in.ID.Seq + k - 1}
			}
			todo = append(todo, part)
			k = e
		}
	}
	if len(todo) == 0 || d.root.all+len(todo) > MaxChars {
		return false, false
	}
	// Order by ID so that an agent's own items, which depend on their
	// predecessors, come in seq order; then visit dependencies first.
	slices.SortFunc(todo, func(a, b Insert) int {
		return cmp.Or(cmp.Compare(a.ID.Agent, b.ID.Agent), cmp.Compare(a.ID.Seq, b.ID.Seq))
	})
	find := func(id ID) int { // index in todo of the insert holding id, or -1
		i, _ := slices.BinarySearchFunc(todo, id, func(in Insert, id ID) int {
			if c := cmp.Compare(in.ID.Agent, id.Agent); c != 0 {
				return c
			}
			if id.Seq < in.ID.Seq {
				return 1
			}
			if id.Seq >= in.ID.Seq+uint32(len(in.Text)) {
				return -1
			}
			return 0
		})
		if i < len(todo) && todo[i].ID.Agent == id.Agent && id.Seq >= todo[i].ID.Seq &&
			id.Seq < todo[i].ID.Seq+uint32(len(todo[i].Text)) {
			return i
		}
		return -1
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
					if dep == None || d.has(dep) {
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
				in := todo[x]
				if !d.ready(in) {
					if !d.pendingHas(in.ID) {
						parked = true
						d.pendingIns = append(d.pendingIns, in)
					}
					continue
				}
				d.integrate(in)
				integrated = true
			}
		}
	}
	return integrated, parked
}

// deps lists what in waits for: its origins and, as in Yjs, the agent's
// previous item, so that each agent's items are integrated as a prefix of
// its sequence — an update naming a far-away seq parks instead of making
// the replica allocate up to it.
func deps(in Insert) [3]ID {
	prev := None
	if in.ID.Seq > 0 {
		prev = ID{in.ID.Agent, in.ID.Seq - 1}
	}
	return [3]ID{in.Left, in.Right, prev}
}

// known returns how many of agent's items d holds: they are seqs 0 … known-1.
func (d *Doc) known(agent uint32) uint32 {
	if ai, ok := d.byID[agent]; ok {
		return uint32(len(d.agents[ai].leaf))
	}
	return 0
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

// integrate places a run whose items are all missing and whose origins are
// present. Only its first item needs the scan: the others follow it
// directly (no item of d can have one of them as an origin).
func (d *Doc) integrate(in Insert) {
	left := -1
	var ll *node
	var lri, loff int
	if in.Left != None {
		ll, lri, loff = d.locate(in.Left)
		left = leafStart(ll) + loff
		for k := 0; k < lri; k++ {
			left += int(ll.runs[k].n)
		}
	}
	right := d.index(in.Right, d.root.all)
	dest := d.scan(in, left, right)

	ai := d.log(in.ID.Agent)
	n := uint32(len(in.Text))
	r := run{agent: ai, seq: in.ID.Seq, n: n, left: in.Left, right: in.Right}
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
	if end := int(in.ID.Seq + n); end > len(a.leaf) {
		for len(a.leaf) < end {
			a.leaf = append(a.leaf, -1)
		}
		a.text = append(a.text, make([]byte, end-len(a.text))...)
	}
	copy(a.text[in.ID.Seq:], in.Text)
	l.runs = insertRun(l.runs, ri, r)
	d.setLeaf(&l.runs[ri], l)
	addCounts(l, int(n), int(n))
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
