package text

// Insert types s at visible position pos (clamped to [0, Len()]) and
// returns the delta to send to other replicas.
func (d *Doc) Insert(pos int, s string) *Update {
	u := &Update{}
	d.InsertTo(u, pos, s)
	return u
}

// Delete removes n visible characters from pos (clamped to the text) and
// returns the delta to send to other replicas.
func (d *Doc) Delete(pos, n int) *Update {
	u := &Update{}
	d.DeleteTo(u, pos, n)
	return u
}

// InsertTo is Insert that appends the delta to u, so that a transaction
// of many edits produces one Update.
func (d *Doc) InsertTo(u *Update, pos int, s string) {
	d.init()
	if len(s) == 0 || d.size()+len(s) > MaxChars {
		return
	}
	pos = max(0, min(pos, d.root.vis))
	ai := d.log(d.self)
	seq := d.agents[ai].where.end
	if len(d.pendingIns) > 0 || len(d.pendingDel) > 0 {
		d.dropClaims(seq)
	}

	// The new run goes right before the visible item at pos (after any
	// tombstones), or at the very end: its origins are its neighbours.
	var l *node
	var ri int
	right := none
	if pos == d.root.vis {
		l = d.lastLeaf()
		ri = len(l.runs)
	} else {
		var off int
		l, ri, off = d.findVis(pos)
		right = d.idAt(&l.runs[ri], off)
		if off > 0 {
			d.splitRun(l, ri, off)
			ri++
		}
	}
	left := none
	pl, pi := l, ri-1
	if ri == 0 && l.prev != nil {
		pl, pi = l.prev, len(l.prev.runs)-1
	}
	if pi >= 0 {
		p := &pl.runs[pi]
		left = d.idAt(p, int(p.n)-1)
		// Typing on: extend the run instead of starting a new one.
		if p.agent == ai && p.seq+p.n == seq && !p.deleted && p.right == right {
			l, ri = pl, pi
			p.n += uint32(len(s))
			goto placed
		}
	}
	l.runs = insertRun(l.runs, ri, run{agent: ai, seq: seq, n: uint32(len(s)), left: left, right: right})
placed:
	a := &d.agents[ai]
	write(&a.text, seq, s)
	a.where.push(uint32(len(s)), l.id)
	addCounts(l, len(s), len(s))
	d.maybeSplit(l)
	u.Add(&Update{Inserts: []Insert{{ID: ID{d.self, seq}, Left: left, Right: right, Text: s}}})
}

// DeleteTo is Delete that appends the delta to u.
func (d *Doc) DeleteTo(u *Update, pos, n int) {
	d.init()
	pos = max(0, min(pos, d.root.vis))
	n = min(n, d.root.vis-pos)
	for n > 0 {
		l, ri, off := d.findVis(pos)
		r := &l.runs[ri]
		k := min(n, int(r.n)-off)
		u.addDelete(Span{ID: d.idAt(r, off), N: uint32(k)})
		d.markDeleted(l, ri, off, k)
		n -= k
	}
}

// markDeleted turns items off … off+k-1 of run ri of l into tombstones.
func (d *Doc) markDeleted(l *node, ri, off, k int) {
	if off > 0 {
		d.splitRun(l, ri, off)
		ri++
	}
	if k < int(l.runs[ri].n) {
		d.splitRun(l, ri, k)
	}
	r := &l.runs[ri]
	r.deleted = true
	d.agents[r.agent].text.drop(r.seq, r.n)
	addCounts(l, -k, 0)
	d.coalesce(l, ri)
	d.maybeSplit(l)
}

func insertRun(rs []run, i int, r run) []run {
	rs = append(rs, run{})
	copy(rs[i+1:], rs[i:])
	rs[i] = r
	return rs
}

// dropClaims discards what waits in d under IDs of d's own agent from seq
// on — items and deletions of items it has not typed yet, and items placed
// next to such items. Only a hostile
// or corrupted update can have put them there (no one else makes this
// agent's items), and the keystroke about to take those IDs must not meet
// them: a document holding both would not decode.
func (d *Doc) dropClaims(seq uint32) {
	keep := d.pendingIns[:0]
	claims := func(o ID) bool { return o.Agent == d.self && o.Seq >= seq }
	for _, in := range d.pendingIns {
		if claims(in.Left) || claims(in.Right) {
			d.waiting -= int(in.Len()) // placed against an item not typed yet
			continue
		}
		if in.ID.Agent == d.self && in.end() > uint64(seq) {
			d.waiting -= int(in.Len())
			if in.ID.Seq >= seq {
				continue
			}
			in.Text, in.Deleted = in.Text[:min(len(in.Text), int(seq-in.ID.Seq))], min(in.Deleted, seq-in.ID.Seq)
			d.waiting += int(in.Len())
		}
		keep = append(keep, in)
	}
	d.pendingIns = keep
	dels := d.pendingDel[:0]
	for _, s := range d.pendingDel {
		if s.Agent == d.self && s.Seq+s.N > seq {
			if s.Seq >= seq {
				continue
			}
			s.N = seq - s.Seq
		}
		dels = append(dels, s)
	}
	d.pendingDel = dels
}
