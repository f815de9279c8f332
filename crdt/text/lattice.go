package text

// State returns d's whole state as an Update: applying it to an empty
// replica reproduces d (the full-state fallback of anti-entropy).
func (d *Doc) State() *Update {
	d.init()
	u := &Update{}
	for l := d.leaves[0]; l != nil; l = l.next {
		for i := range l.runs {
			r := &l.runs[i]
			a := &d.agents[r.agent]
			u.Inserts = append(u.Inserts, Insert{
				ID: ID{a.id, r.seq}, Left: r.left, Right: r.right,
				Text: string(a.text[r.seq : r.seq+r.n]),
			})
			if r.deleted {
				u.addDelete(Span{ID: ID{a.id, r.seq}, N: r.n})
			}
		}
	}
	u.Inserts = append(u.Inserts, d.pendingIns...)
	u.Deletes = append(u.Deletes, d.pendingDel...)
	return u
}

// Merge joins o into d: the union of their items and of their deletions.
// It reports whether d changed.
func (d *Doc) Merge(o *Doc) bool { return d.Apply(o.State()) }

// LessEq reports whether every item of d is in o, and every item deleted
// in d is deleted in o.
func (d *Doc) LessEq(o *Doc) bool {
	d.init()
	o.init()
	for l := d.leaves[0]; l != nil; l = l.next {
		for i := range l.runs {
			r := &l.runs[i]
			id := d.idAt(r, 0)
			for k := uint32(0); k < r.n; k++ {
				c := ID{id.Agent, id.Seq + k}
				if !o.has(c) || (r.deleted && !o.deleted(c)) {
					return false
				}
			}
		}
	}
	for _, in := range d.pendingIns {
		for k := range uint32(len(in.Text)) {
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

func (d *Doc) deleted(id ID) bool {
	if !d.has(id) {
		return false
	}
	l, ri, _ := d.locate(id)
	return l.runs[ri].deleted
}

func (d *Doc) pendingHas(id ID) bool {
	for _, in := range d.pendingIns {
		if in.ID.Agent == id.Agent && id.Seq >= in.ID.Seq && id.Seq < in.ID.Seq+uint32(len(in.Text)) {
			return true
		}
	}
	return false
}

func (d *Doc) pendingDeleted(id ID) bool {
	for _, s := range d.pendingDel {
		if s.Agent == id.Agent && id.Seq >= s.Seq && id.Seq < s.Seq+s.N {
			return true
		}
	}
	return false
}

// applyDeletes marks the spans deleted, parking the items not yet
// integrated, and reports whether anything changed.
func (d *Doc) applyDeletes(spans []Span) bool {
	changed := false
	park := func(s Span) {
		if !d.pendingCovers(s) {
			d.pendingDel = append(d.pendingDel, s)
			changed = true
		}
	}
	for _, s := range spans {
		if s.N == 0 || s.Agent == None.Agent || uint64(s.Seq)+uint64(s.N) > MaxChars {
			continue
		}
		// Items past the agent's known range are parked in one piece,
		// without a walk over them.
		known := uint32(0)
		if ai, ok := d.byID[s.Agent]; ok {
			known = uint32(len(d.agents[ai].leaf))
		}
		if s.Seq+s.N > known {
			from := max(s.Seq, known)
			park(Span{ID: ID{s.Agent, from}, N: s.Seq + s.N - from})
			if s.Seq >= known {
				continue
			}
			s.N = known - s.Seq
		}
		for k := uint32(0); k < s.N; {
			id := ID{s.Agent, s.Seq + k}
			if !d.has(id) {
				e := k + 1
				for e < s.N && !d.has(ID{s.Agent, s.Seq + e}) {
					e++
				}
				park(Span{ID: id, N: e - k})
				k = e
				continue
			}
			l, ri, off := d.locate(id)
			r := &l.runs[ri]
			m := min(int(s.N-k), int(r.n)-off)
			if !r.deleted {
				d.markDeleted(l, ri, off, m)
				changed = true
			}
			k += uint32(m)
		}
	}
	return changed
}

// pendingCovers reports whether every item of s is already waiting to be
// deleted.
func (d *Doc) pendingCovers(s Span) bool {
	for _, p := range d.pendingDel {
		if p.Agent == s.Agent && p.Seq <= s.Seq && s.Seq+s.N <= p.Seq+p.N {
			return true
		}
	}
	return false
}

// Equal reports whether a and b hold the same items and deletions.
func Equal(a, b *Doc) bool { return a.LessEq(b) && b.LessEq(a) }
