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
	f.Fuzz(func(t *testing.T, data []byte) {
		var u text.Update
		if u.UnmarshalBinary(data) != nil {
			return
		}
		// Any decodable update, however inconsistent, is safe to apply.
		d := seedDoc()
		d.Apply(&u)
		_ = d.String()
		d.Insert(1, "q")
	})
}
