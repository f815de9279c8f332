package text_test

import (
	"bytes"
	"testing"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt/text"
)

func TestEncodedDocumentRoundTripsAndIsCompact(t *testing.T) {
	for _, name := range []string{"seph-blog1"} {
		tr := load(t, name)
		d := tr.ReplaySequential()
		b, err := d.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var e text.Doc
		if err := e.UnmarshalBinary(b); err != nil {
			t.Fatalf("%s: decode: %v", name, err)
		}
		if e.String() != tr.EndContent || !e.LessEq(d) || !d.LessEq(&e) {
			t.Fatalf("%s: decoded document differs", name)
		}
		b2, _ := e.MarshalBinary()
		if !bytes.Equal(b, b2) {
			t.Fatalf("%s: re-encoding differs", name)
		}
		t.Logf("%s: %d bytes for %d chars of text, %d runs", name, len(b), d.Len(), d.Runs())
	}
}

func TestConcurrentDocumentRoundTrips(t *testing.T) {
	tr := load(t, "friendsforever")
	docs, err := tr.ReplayConcurrent()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := docs[1].MarshalBinary()
	var e text.Doc
	if err := e.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if e.String() != tr.EndContent || !text.Equal(&e, docs[0]) {
		t.Fatalf("decoded document differs")
	}
	// A decoded replica keeps merging correctly with a live one.
	e2 := newDoc(7)
	e2.Merge(&e)
	e2.Insert(5, "XYZ")
	docs[0].Merge(e2)
	if docs[0].String() != e2.String() {
		t.Fatalf("merge after decode diverged")
	}
	t.Logf("friendsforever: %d bytes for %d chars", len(b), e.Len())
}

func TestUpdateRoundTrips(t *testing.T) {
	d := newDoc(3)
	u := d.Insert(0, "hello")
	u.Add(d.Delete(1, 2))
	b, _ := u.MarshalBinary()
	var v text.Update
	if err := v.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	e := newDoc(4)
	e.Apply(&v)
	if e.String() != "hlo" {
		t.Fatalf("got %q", e.String())
	}
}

func TestUpdatesAndDocsUseTheBinaryCodec(t *testing.T) {
	var r core.Registry
	core.Register[text.Update](&r, "text.update")
	d := newDoc(1)
	b, err := r.Append(nil, *d.Insert(0, "hi"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := r.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	u := v.(text.Update)
	e := newDoc(2)
	e.Apply(&u)
	if e.String() != "hi" {
		t.Fatalf("got %q", e.String())
	}
}
