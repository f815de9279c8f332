package text

import "fmt"

// Audit checks a document against the edits that made it — the updates
// local edits returned, from every replica — for what a user would see go
// wrong, which equal ID sets alone do not show:
//
//   - no character twice: each visible item appears once;
//   - nothing invented or altered: each visible item was typed, with that
//     character;
//   - typing order kept: the surviving characters of each insert appear in
//     the order they were typed;
//   - no interleaving: between two characters of one insert there is only
//     what was typed into it later — items whose origins lead back into
//     that insert — never text typed concurrently elsewhere.
//
// That every typed character not deleted is there is a question of
// delivery, not of the document: Audit does not check it (callers compare
// with what their replicas applied). It returns one sentence per problem,
// at most limit of them (all when limit ≤ 0).
func Audit(d *Doc, edits []*Update, limit int) []string {
	var bad []string
	report := func(format string, args ...any) bool {
		bad = append(bad, fmt.Sprintf(format, args...))
		return limit > 0 && len(bad) >= limit
	}
	type item struct {
		c           byte
		left, right ID
	}
	typed := make(map[ID]item)
	for _, u := range edits {
		for _, in := range u.Inserts {
			for k := range uint32(len(in.Text)) {
				typed[ID{in.ID.Agent, in.ID.Seq + k}] = item{in.Text[k], in.leftAt(in.ID.Seq + k), in.Right}
			}
		}
	}
	at := make(map[ID]int) // visible position of each visible item
	var seq []ID
	for id, c := range d.Chars() {
		if p, dup := at[id]; dup {
			if report("item %d:%d (%q) is visible twice, at %d and %d", id.Agent, id.Seq, c, p, len(seq)) {
				return bad
			}
			continue
		}
		at[id] = len(seq)
		seq = append(seq, id)
		switch it, ok := typed[id]; {
		case !ok:
			if report("item %d:%d (%q) at %d was never typed", id.Agent, id.Seq, c, len(seq)-1) {
				return bad
			}
		case it.c != c:
			if report("item %d:%d at %d shows %q but was typed as %q", id.Agent, id.Seq, len(seq)-1, c, it.c) {
				return bad
			}
		}
	}
	for _, u := range edits {
		for _, in := range u.Inserts {
			n := uint32(len(in.Text))
			first, last, prev := -1, -1, -1
			for k := range n {
				p, ok := at[ID{in.ID.Agent, in.ID.Seq + k}]
				if !ok {
					continue
				}
				if p < prev {
					if report("insert %q at %d:%d: its characters show out of typing order", in.Text, in.ID.Agent, in.ID.Seq) {
						return bad
					}
					break
				}
				prev = p
				if first < 0 {
					first = p
				}
				last = p
			}
			if first < 0 || last-first+1 == countVisible(at, in) {
				continue
			}
			// inside reports whether id is an item of in, or was typed
			// into it: one of its origins is inside.
			memo := make(map[ID]bool)
			var inside func(id ID) bool
			inside = func(id ID) bool {
				if id == none {
					return false
				}
				if id.Agent == in.ID.Agent && id.Seq >= in.ID.Seq && id.Seq < in.ID.Seq+n {
					return true
				}
				if v, ok := memo[id]; ok {
					return v
				}
				memo[id] = false // origins lead to earlier items: no cycle in honest input
				it, ok := typed[id]
				v := ok && (inside(it.left) || inside(it.right))
				memo[id] = v
				return v
			}
			for p := first + 1; p < last; p++ {
				x := seq[p]
				if x.Agent == in.ID.Agent && x.Seq >= in.ID.Seq && x.Seq < in.ID.Seq+n {
					continue
				}
				if !inside(x) {
					if report("insert %q at %d:%d is interleaved with item %d:%d, typed elsewhere", in.Text, in.ID.Agent, in.ID.Seq, x.Agent, x.Seq) {
						return bad
					}
					break
				}
			}
		}
	}
	return bad
}

// countVisible counts the items of in that are visible.
func countVisible(at map[ID]int, in Insert) int {
	c := 0
	for k := range uint32(len(in.Text)) {
		if _, ok := at[ID{in.ID.Agent, in.ID.Seq + k}]; ok {
			c++
		}
	}
	return c
}
