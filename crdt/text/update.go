package text

// Update is a delta: items to insert and items to delete. Local edits
// return one; Apply merges one into any replica, in any order and any
// number of times. Updates are plain data, safe to encode as JSON, and have
// a compact binary encoding (AppendBinary).
type Update struct {
	Inserts []Insert `json:"ins,omitempty"`
	Deletes []Span   `json:"del,omitempty"`
}

// Insert is a run of items with consecutive IDs starting at ID: the first
// is placed between Left and Right, each next one right after the previous.
// Text is their content. A run that was deleted before it was sent (a full
// state carries its tombstones) has no content: Text is empty and Deleted
// counts its items, which arrive deleted.
type Insert struct {
	ID      ID     `json:"id"`
	Left    ID     `json:"l"`
	Right   ID     `json:"r"`
	Text    string `json:"t,omitempty"`
	Deleted uint32 `json:"d,omitempty"`
}

// Len returns the number of items in.
func (in *Insert) Len() uint32 {
	if in.Text != "" {
		return uint32(len(in.Text))
	}
	return in.Deleted
}

// end returns one past in's last seq (as uint64: a hostile seq may be
// near the top of the range).
func (in *Insert) end() uint64 { return uint64(in.ID.Seq) + uint64(in.Len()) }

// Span names the items Agent:Seq … Agent:Seq+N-1.
type Span struct {
	ID
	N uint32 `json:"n"`
}

// IsEmpty reports whether u carries nothing.
func (u *Update) IsEmpty() bool { return len(u.Inserts) == 0 && len(u.Deletes) == 0 }

// Add appends o's contents to u, so that one Update can carry a whole
// transaction, or a batch of updates. Adjacent spans and runs typed in
// sequence are joined; anything else is kept as it is — Apply copes with
// repeated and overlapping items.
func (u *Update) Add(o *Update) {
	for _, in := range o.Inserts {
		if k := len(u.Inserts) - 1; k >= 0 {
			p := &u.Inserts[k]
			if p.ID.Agent == in.ID.Agent && p.end() == uint64(in.ID.Seq) && p.Right == in.Right &&
				in.Left == (ID{p.ID.Agent, in.ID.Seq - 1}) && (p.Text == "") == (in.Text == "") {
				p.Text += in.Text
				p.Deleted += in.Deleted
				continue
			}
		}
		u.Inserts = append(u.Inserts, in)
	}
	for _, s := range o.Deletes {
		u.addDelete(s)
	}
}

func (u *Update) addDelete(s Span) {
	if k := len(u.Deletes) - 1; k >= 0 {
		p := &u.Deletes[k]
		if p.Agent == s.Agent && p.Seq+p.N == s.Seq {
			p.N += s.N
			return
		}
		if p.Agent == s.Agent && s.Seq+s.N == p.Seq { // backspacing
			p.Seq, p.N = s.Seq, p.N+s.N
			return
		}
	}
	u.Deletes = append(u.Deletes, s)
}
