package text

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Errors of Apply. Apply wraps them with the item at fault, and leaves the
// document unchanged when it returns one.
var (
	// ErrMalformed: an insert or delete no honest replica produces — an
	// item of NoAgent, a seq past MaxChars, an origin that is not an
	// earlier item, an insert with both text and a tombstone count.
	ErrMalformed = errors.New("text: malformed update")
	// ErrConflict: an item the update carries is already known (stored or
	// waiting) with another character or other origins. An ID names one
	// item for good; two meanings of it cannot be joined.
	ErrConflict = errors.New("text: update conflicts with the document")
	// ErrFull: applying the update would make the document hold more than
	// MaxChars items.
	ErrFull = errors.New("text: document full")
)

// Apply merges the delta u into d and reports whether d changed. Each item
// is integrated at most once, whatever u holds — items repeated, runs
// overlapping other runs of u, of earlier updates or of d, in any order —
// so duplicated, re-batched and reordered deliveries are harmless. Items
// whose origins (or whose agent's earlier items) have not arrived wait
// inside d until they do, and so do deletions of items not yet here; they
// take effect in the Apply that brings what they wait for. So Apply needs
// no causal delivery.
//
// An update that is malformed, or that gives an item already known another
// character or other origins, is refused whole: Apply returns an error
// wrapping ErrMalformed, ErrConflict or ErrFull and d is unchanged.
func (d *Doc) Apply(u *Update) (changed bool, err error) {
	d.init()
	dels, err := checkDeletes(u)
	if err != nil {
		return false, err
	}
	delsBefore := d.pendingDeletes()
	integrated := false
	if in, ok := d.continues(u); ok {
		// One keystroke's delta: a single run that continues its agent's
		// sequence and whose origins are here.
		d.integrate(in)
		integrated, changed = true, true
	} else if len(u.Inserts) > 0 {
		plan, err := d.plan(u.Inserts)
		if err != nil {
			return false, err
		}
		if plan != nil {
			before := d.waiting
			integrated = d.commit(plan)
			changed = integrated || d.waiting > before
		}
	}
	if integrated && len(d.pendingDel) > 0 {
		// Deletions that waited for items integrated just now.
		if d.applyDeletes(d.takePendingDeletes()) {
			changed = true
		}
	}
	if d.applyDeletes(dels) || d.pendingDeletes() != delsBefore {
		changed = true
	}
	return changed, nil
}

// checkDeletes validates u's deletions and returns every span u deletes:
// its deletions and its tombstone runs.
func checkDeletes(u *Update) ([]Span, error) {
	dels := u.Deletes
	for _, s := range u.Deletes {
		if s.Agent == NoAgent || uint64(s.Seq)+uint64(s.N) > MaxChars {
			return nil, fmt.Errorf("%w: deletion of %d items from %d:%d", ErrMalformed, s.N, s.Agent, s.Seq)
		}
	}
	for _, in := range u.Inserts {
		if in.Text == "" && in.Deleted > 0 {
			if len(dels) == len(u.Deletes) {
				dels = slices.Clone(u.Deletes)
			}
			dels = append(dels, Span{ID: in.ID, N: in.Deleted})
		}
	}
	return dels, nil
}

// checkInsert rejects what no honest replica sends.
func checkInsert(in *Insert) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: insert at %d:%d: %s", ErrMalformed, in.ID.Agent, in.ID.Seq, why)
	}
	switch {
	case in.ID.Agent == NoAgent:
		return bad("agent is reserved for None")
	case in.Text != "" && in.Deleted != 0:
		return bad("both text and a tombstone count")
	case in.end() > MaxChars:
		return bad("seq past MaxChars")
	}
	for _, o := range [2]ID{in.Left, in.Right} {
		if o == none {
			continue
		}
		if o.Agent == NoAgent || o.Seq >= MaxChars {
			return bad(fmt.Sprintf("origin %d:%d out of range", o.Agent, o.Seq))
		}
		if o.Agent == in.ID.Agent && o.Seq >= in.ID.Seq {
			return bad(fmt.Sprintf("origin %d:%d is not an earlier item", o.Agent, o.Seq))
		}
	}
	return nil
}

// continues returns u's only insert when it can be integrated at once:
// valid, the next items of its agent, origins present, nothing waiting that
// it could overlap.
func (d *Doc) continues(u *Update) (Insert, bool) {
	if len(u.Inserts) != 1 || len(d.pendingIns) > 0 {
		return Insert{}, false
	}
	in := u.Inserts[0]
	ok := in.Len() > 0 && checkInsert(&in) == nil && d.known(in.ID.Agent) == in.ID.Seq &&
		d.ready(in) && d.size()+int(in.Len()) <= MaxChars
	return in, ok
}

// size returns the items d holds: integrated and waiting.
func (d *Doc) size() int { return d.root.all + d.waiting }

// plan returns what integrating ins means for d, without changing d: the
// items of ins that d lacks, together with every waiting item, as runs
// sorted by ID and disjoint — nil when d lacks none of ins. It fails, naming the item, if ins is malformed
// or disagrees with itself, with d's items or with the waiting ones.
func (d *Doc) plan(ins []Insert) ([]Insert, error) {
	var todo []Insert
	for _, in := range ins {
		if in.Len() == 0 {
			continue
		}
		if err := checkInsert(&in); err != nil {
			return nil, err
		}
		todo = append(todo, in)
	}
	todo, err := normalize(todo)
	if err != nil {
		return nil, err
	}
	// Keep what d lacks: each agent's items are a prefix of its sequence,
	// so that is the part past known — after checking the rest agrees.
	missing := todo[:0]
	for _, in := range todo {
		k := d.known(in.ID.Agent)
		if in.ID.Seq < k {
			if err := d.agrees(&in, min(in.end(), uint64(k))); err != nil {
				return nil, err
			}
			if in.end() <= uint64(k) {
				continue
			}
			in = in.from(k)
		}
		missing = append(missing, in)
	}
	if len(missing) == 0 {
		return nil, nil
	}
	if len(d.pendingIns) > 0 {
		if missing, err = normalize(append(missing, d.pendingIns...)); err != nil {
			return nil, err
		}
	}
	total := d.root.all
	for _, in := range missing {
		total += int(in.Len())
	}
	if total > MaxChars {
		return nil, fmt.Errorf("%w: %d items, more than %d", ErrFull, total, MaxChars)
	}
	return missing, nil
}

// from returns the items of in from seq s on (in.ID.Seq < s < in.end()).
func (in Insert) from(s uint32) Insert {
	k := s - in.ID.Seq
	out := Insert{ID: ID{in.ID.Agent, s}, Left: ID{in.ID.Agent, s - 1}, Right: in.Right}
	if in.Text != "" {
		out.Text = in.Text[k:]
	} else {
		out.Deleted = in.Deleted - k
	}
	return out
}

// leftAt returns the left origin of in's item s.
func (in *Insert) leftAt(s uint32) ID {
	if s == in.ID.Seq {
		return in.Left
	}
	return ID{in.ID.Agent, s - 1}
}

// normalize sorts runs by ID and makes them disjoint, checking that where
// two overlap they say the same thing of every shared item: same origins,
// same character where both carry content.
func normalize(ins []Insert) ([]Insert, error) {
	slices.SortFunc(ins, func(a, b Insert) int {
		return cmp.Or(cmp.Compare(a.ID.Agent, b.ID.Agent), cmp.Compare(a.ID.Seq, b.ID.Seq))
	})
	out := ins[:0:0]
	for _, in := range ins {
		// Every run already in out starts at or before in, so what of
		// in they cover is one stretch from in's start to the last end.
		k := len(out)
		for k > 0 && out[k-1].ID.Agent == in.ID.Agent && out[k-1].end() > uint64(in.ID.Seq) {
			k--
		}
		if k == len(out) {
			out = append(out, in)
			continue
		}
		for _, o := range out[k:] {
			if err := overlapAgrees(&o, &in); err != nil {
				return nil, err
			}
		}
		last := &out[len(out)-1]
		if in.end() <= last.end() {
			continue
		}
		tail := in.from(uint32(last.end()))
		if (last.Text == "") == (tail.Text == "") && last.Right == tail.Right {
			last.Text += tail.Text
			last.Deleted += tail.Deleted
		} else {
			out = append(out, tail)
		}
	}
	return out, nil
}

// overlapAgrees checks two runs of one agent on the items they share.
func overlapAgrees(a, b *Insert) error {
	lo := max(a.ID.Seq, b.ID.Seq)
	hi := uint32(min(a.end(), b.end()))
	if lo >= hi {
		return nil
	}
	if a.Right != b.Right || a.leftAt(lo) != b.leftAt(lo) {
		return conflict(ID{a.ID.Agent, lo}, "other origins")
	}
	if a.Text != "" && b.Text != "" &&
		a.Text[lo-a.ID.Seq:hi-a.ID.Seq] != b.Text[lo-b.ID.Seq:hi-b.ID.Seq] {
		return conflict(ID{a.ID.Agent, lo}, "other text")
	}
	return nil
}

func conflict(id ID, what string) error {
	return fmt.Errorf("%w: item %d:%d (or one after it in its run) arrived with %s than it has", ErrConflict, id.Agent, id.Seq, what)
}

// agrees checks in's items below hi, all integrated, against d's.
func (d *Doc) agrees(in *Insert, hi uint64) error {
	ai := d.byID[in.ID.Agent]
	text := &d.agents[ai].text
	for s := in.ID.Seq; uint64(s) < hi; {
		l, ri, off := d.locate(ID{in.ID.Agent, s})
		r := &l.runs[ri]
		m := min(uint32(hi)-s, r.n-uint32(off))
		stored := Insert{ID: ID{in.ID.Agent, r.seq}, Left: r.left, Right: r.right, Deleted: r.n}
		if stored.Right != in.Right || stored.leftAt(s) != in.leftAt(s) {
			return conflict(ID{in.ID.Agent, s}, "other origins")
		}
		if !r.deleted && in.Text != "" && !text.equal(s, in.Text[s-in.ID.Seq:s-in.ID.Seq+m]) {
			return conflict(ID{in.ID.Agent, s}, "other text")
		}
		s += m
	}
	return nil
}
