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
type Insert struct {
	ID    ID     `json:"id"`
	Left  ID     `json:"l"`
	Right ID     `json:"r"`
	Text  string `json:"t"`
}

// Span names the items Agent:Seq … Agent:Seq+N-1.
type Span struct {
	ID
	N uint32 `json:"n"`
}

// IsEmpty reports whether u carries nothing.
func (u *Update) IsEmpty() bool { return len(u.Inserts) == 0 && len(u.Deletes) == 0 }

// Add appends o's contents to u, so that one Update can carry a whole
// transaction. Adjacent spans and runs typed in sequence are joined.
func (u *Update) Add(o *Update) {
	for _, in := range o.Inserts {
		if k := len(u.Inserts) - 1; k >= 0 {
			p := &u.Inserts[k]
			if p.ID.Agent == in.ID.Agent && p.ID.Seq+uint32(len(p.Text)) == in.ID.Seq &&
				p.Right == in.Right && in.Left == (ID{p.ID.Agent, in.ID.Seq - 1}) {
				p.Text += in.Text
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
