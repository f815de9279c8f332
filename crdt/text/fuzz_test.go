package text_test

import (
	"testing"

	"github.com/rondo-dev/rondo/crdt/text"
)

func seedDoc() *text.Doc {
	a, b := newDoc(1), newDoc(2)
	b.Apply(a.Insert(0, "hello world"))
	a.Apply(b.Delete(2, 3))
	b.Apply(a.Insert(4, "XY"))
	return b
}

func FuzzDocDecode(f *testing.F) {
	enc, _ := seedDoc().MarshalBinary()
	f.Add(enc)
	f.Fuzz(func(t *testing.T, data []byte) {
		var d text.Doc
		if d.UnmarshalBinary(data) != nil {
			return
		}
		// Whatever decodes must survive use: render, edit, merge, re-encode.
		_ = d.String()
		d.Insert(d.Len()/2, "z")
		d.Delete(0, 1)
		d.Merge(seedDoc())
		b, err := d.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var e text.Doc
		if err := e.UnmarshalBinary(b); err != nil || e.String() != d.String() {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

func FuzzUpdateDecode(f *testing.F) {
	d := newDoc(1)
	u := d.Insert(0, "abc")
	u.Add(d.Delete(1, 1))
	enc, _ := u.MarshalBinary()
	f.Add(enc)
	// The duplicated batch of issue 7 and a forged rewrite of stored text.
	var twice text.Update
	x := newDoc(1).Insert(0, "hello world")
	twice.Add(x)
	twice.Add(x)
	enc, _ = twice.MarshalBinary()
	f.Add(enc)
	enc, _ = (&text.Update{Inserts: []text.Insert{{ID: text.ID{Agent: 1, Seq: 0}, Left: text.None(), Right: text.None(), Text: "HELLO"}}}).MarshalBinary()
	f.Add(enc)
	f.Fuzz(func(t *testing.T, data []byte) {
		var u text.Update
		if u.UnmarshalBinary(data) != nil {
			return
		}
		// Any decodable update, however inconsistent, is safe to apply:
		// refused whole, or applied, and the document still encodes to
		// something that decodes to it.
		d := seedDoc()
		before := d.Clone()
		if _, err := d.Apply(&u); err != nil && !text.Equal(d, before) {
			t.Fatalf("a refused update changed the document: %v", err)
		}
		_ = d.String()
		d.Insert(1, "q")
		b, _ := d.MarshalBinary()
		var e text.Doc
		if err := e.UnmarshalBinary(b); err != nil || !text.Equal(&e, d) {
			t.Fatalf("the document's encoding does not decode to it: %v", err)
		}
	})
}
