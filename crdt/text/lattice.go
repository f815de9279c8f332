package text

import (
	"cmp"
	"slices"
)

// State returns d's whole state as an Update: applying it to an empty
// replica reproduces d (the full-state fallback of anti-entropy). Deleted
// runs travel as tombstones, without content.
func (d *Doc) State() *Update {
	d.init()
	u := &Update{}
	for l := d.leaves[0]; l != nil; l = l.next {
		for i := range l.runs {
			r := &l.runs[i]
			a := &d.agents[r.agent]
			in := Insert{ID: ID{a.id, r.seq}, Left: r.left, Right: r.right}
			if r.deleted {
				in.Deleted = r.n
			} else {
				in.Text = string(a.text.appendTo(nil, r.seq, r.n))
			}
			u.Inserts = append(u.Inserts, in)
		}
	}
	u.Inserts = append(u.Inserts, d.pendingIns...)
	u.Deletes = append(u.Deletes, d.pendingDel...)
	return u
}

// Merge joins o into d: the union of their items and of their deletions.
// It reports whether d changed. Two documents that give one ID different
// meanings have no join (see ErrConflict): Merge then leaves d unchanged
// and reports false; Apply(o.State()) returns the error.
func (d *Doc) Merge(o *Doc) bool {
	changed, _ := d.Apply(o.State())
	return changed
}

// LessEq reports whether every item of d is in o, and every item deleted
// in d is deleted in o.
func (d *Doc) LessEq(o *Doc) bool {
	d.init()
	o.init()
	for l := d.leaves[0]; l != nil; l = l.next {
		for i := range l.runs {
			r := &l.runs[i]
			agent := d.agents[r.agent].id
			if o.known(agent) < r.seq+r.n || (r.deleted && !o.allDeleted(agent, r.seq, r.n)) {
				return false
			}
		}
	}
	for _, in := range d.pendingIns {
		for k := range in.Len() {
			if c := (ID{in.ID.Agent, in.ID.Seq + k}); !o.has(c) && !o.pendingHas(c) {
				return false
			}
		}
	}
	for _, s := range d.pendingDel {
		for k := range s.N {
			if c := (ID{s.Agent, s.Seq + k}); !o.deleted(c) && !o.pendingDeleted(c) {
				return false
			}
		}
	}
	return true
}

// IsBot reports whether d holds no item at all.
func (d *Doc) IsBot() bool {
	return (d.root == nil || d.root.all == 0) && len(d.pendingIns) == 0 && len(d.pendingDel) == 0
}

// Clone returns an independent copy of d, editing as the same agent.
func (d *Doc) Clone() *Doc {
	c := &Doc{self: d.self}
	c.init()
	c.Apply(d.State())
	return c
}

// Equal reports whether a and b hold the same document: the same visible
// text, the same items (IDs and origins) in the same order with the same
// ones deleted, and the same items and deletions waiting.
func Equal(a, b *Doc) bool {
	a.init()
	b.init()
	if a.root.vis != b.root.vis || a.root.all != b.root.all || a.String() != b.String() {
		return false
	}
	// Walk both sequences item by item, a stretch at a time: the runs of
	// a and b may be cut at different places.
	la, lb := a.leaves[0], b.leaves[0]
	ia, ib := 0, 0
	var oa, ob uint32
	for {
		for la != nil && ia == len(la.runs) {
			la, ia = la.next, 0
		}
		for lb != nil && ib == len(lb.runs) {
			lb, ib = lb.next, 0
		}
		if la == nil || lb == nil {
			if la != nil || lb != nil {
				return false
			}
			break
		}
		ra, rb := &la.runs[ia], &lb.runs[ib]
		if a.idAt(ra, int(oa)) != b.idAt(rb, int(ob)) || ra.deleted != rb.deleted ||
			ra.right != rb.right || a.leftOf(ra, int(oa)) != b.leftOf(rb, int(ob)) {
			return false
		}
		m := min(ra.n-oa, rb.n-ob)
		if oa += m; oa == ra.n {
			ia, oa = ia+1, 0
		}
		if ob += m; ob == rb.n {
			ib, ob = ib+1, 0
		}
	}
	return a.pendingLessEq(b) && b.pendingLessEq(a)
}

// pendingLessEq reports whether everything waiting in d waits in o too.
func (d *Doc) pendingLessEq(o *Doc) bool {
	for _, in := range d.pendingIns {
		for k := range in.Len() {
			if !o.pendingHas(ID{in.ID.Agent, in.ID.Seq + k}) {
				return false
			}
		}
	}
	for _, s := range d.pendingDel {
		for k := range s.N {
			if !o.pendingDeleted(ID{s.Agent, s.Seq + k}) {
				return false
			}
		}
	}
	return true
}

func (d *Doc) deleted(id ID) bool {
	return d.has(id) && d.allDeleted(id.Agent, id.Seq, 1)
}

// allDeleted reports whether agent's integrated items seq … seq+n-1 are all
// deleted.
func (d *Doc) allDeleted(agent, seq, n uint32) bool {
	for end := seq + n; seq < end; {
		l, ri, off := d.locate(ID{agent, seq})
		r := &l.runs[ri]
		if !r.deleted {
			return false
		}
		seq += r.n - uint32(off)
	}
	return true
}

func compareID(a, b ID) int { return cmp.Or(cmp.Compare(a.Agent, b.Agent), cmp.Compare(a.Seq, b.Seq)) }

// pendingHas reports whether the item id waits in d.
func (d *Doc) pendingHas(id ID) bool {
	i, found := slices.BinarySearchFunc(d.pendingIns, id, func(in Insert, id ID) int { return compareID(in.ID, id) })
	if found {
		return true
	}
	return i > 0 && d.pendingIns[i-1].ID.Agent == id.Agent && uint64(id.Seq) < d.pendingIns[i-1].end()
}

// pendingDeleted reports whether the deletion of id waits in d.
func (d *Doc) pendingDeleted(id ID) bool {
	i, found := slices.BinarySearchFunc(d.pendingDel, id, func(s Span, id ID) int { return compareID(s.ID, id) })
	if found {
		return true
	}
	return i > 0 && d.pendingDel[i-1].Agent == id.Agent && id.Seq < d.pendingDel[i-1].Seq+d.pendingDel[i-1].N
}

// applyDeletes marks the integrated items of spans deleted and leaves the
// deletion of the others waiting; it reports whether it marked any.
func (d *Doc) applyDeletes(spans []Span) bool {
	changed := false
	var park []Span
	for _, s := range spans {
		if s.N == 0 {
			continue
		}
		if known := d.known(s.Agent); s.Seq+s.N > known {
			from := max(s.Seq, known)
			park = append(park, Span{ID: ID{s.Agent, from}, N: s.Seq + s.N - from})
			if s.Seq >= known {
				continue
			}
			s.N = known - s.Seq
		}
		for k := uint32(0); k < s.N; {
			l, ri, off := d.locate(ID{s.Agent, s.Seq + k})
			r := &l.runs[ri]
			m := min(int(s.N-k), int(r.n)-off)
			if !r.deleted {
				d.markDeleted(l, ri, off, m)
				changed = true
			}
			k += uint32(m)
		}
	}
	if len(park) > 0 {
		d.pendingDel = mergeSpans(append(park, d.pendingDel...))
	}
	return changed
}

// pendingDeletes returns how many deletions wait.
func (d *Doc) pendingDeletes() (n int) {
	for _, s := range d.pendingDel {
		n += int(s.N)
	}
	return n
}

// takePendingDeletes empties the waiting deletions and returns them.
func (d *Doc) takePendingDeletes() []Span {
	p := d.pendingDel
	d.pendingDel = nil
	return p
}

// mergeSpans sorts spans and joins the overlapping and adjacent ones.
func mergeSpans(spans []Span) []Span {
	slices.SortFunc(spans, func(a, b Span) int { return compareID(a.ID, b.ID) })
	out := spans[:0]
	for _, s := range spans {
		if k := len(out) - 1; k >= 0 && out[k].Agent == s.Agent && uint64(s.Seq) <= uint64(out[k].Seq)+uint64(out[k].N) {
			out[k].N = max(out[k].Seq+out[k].N, s.Seq+s.N) - out[k].Seq
			continue
		}
		out = append(out, s)
	}
	return out
}
