package text_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt/text"
)

// mustEncode returns d's encoding and checks that it decodes back to d.
func mustEncode(t *testing.T, d *text.Doc) []byte {
	t.Helper()
	b, err := d.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back text.Doc
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatalf("the document's own encoding does not decode: %v", err)
	}
	if back.String() != d.String() || !text.Equal(&back, d) {
		t.Fatalf("decoded %q, encoded %q", back.String(), d.String())
	}
	return b
}

func TestADuplicatedBatchConvergesToTheOriginsText(t *testing.T) {
	origin := newDoc(1)
	x := origin.Insert(0, "hi")
	var b text.Update
	b.Add(x)
	b.Add(x)
	d := newDoc(2)
	if _, err := d.Apply(&b); err != nil {
		t.Fatal(err)
	}
	if d.String() != "hi" || !text.Equal(d, origin) {
		t.Fatalf("got %q, the origin has %q", d.String(), origin.String())
	}
	mustEncode(t, d)
}

// Delta-interval anti-entropy sends the join of the deltas a peer has not
// acknowledged; when an acknowledgement is lost, the next join overlaps the
// previous one. Every item must still be integrated once.
func TestOverlappingJoinedBatchesIntegrateEachItemOnce(t *testing.T) {
	origin := newDoc(1)
	var deltas []*text.Update
	for i, s := range []string{"a", "b", "c", "d", "e"} {
		deltas = append(deltas, origin.Insert(i, s))
	}
	deltas = append(deltas, origin.Delete(1, 1))
	joined := func(i, j int) *text.Update {
		var u text.Update
		for _, x := range deltas[i:j] {
			u.Add(x)
		}
		return &u
	}
	d := newDoc(2)
	for _, u := range []*text.Update{joined(2, 5), joined(0, 3), joined(1, 6), joined(0, 6)} {
		if _, err := d.Apply(u); err != nil {
			t.Fatal(err)
		}
	}
	if d.String() != "acde" || !text.Equal(d, origin) {
		t.Fatalf("got %q, the origin has %q", d.String(), origin.String())
	}
	mustEncode(t, d)
}

// One update holding overlapping runs of the same items, not joined by
// Update.Add: still each item once.
func TestOverlappingRunsInOneUpdateIntegrateOnce(t *testing.T) {
	origin := newDoc(1)
	whole := origin.Insert(0, "hello")
	head := text.Insert{ID: text.ID{Agent: 1, Seq: 0}, Left: text.None(), Right: text.None(), Text: "hel"}
	tail := text.Insert{ID: text.ID{Agent: 1, Seq: 2}, Left: text.ID{Agent: 1, Seq: 1}, Right: text.None(), Text: "llo"}
	u := &text.Update{Inserts: []text.Insert{tail, whole.Inserts[0], head, tail}}
	d := newDoc(2)
	if _, err := d.Apply(u); err != nil {
		t.Fatal(err)
	}
	if d.String() != "hello" || !text.Equal(d, origin) {
		t.Fatalf("got %q", d.String())
	}
	mustEncode(t, d)
}

// refused applies a hostile update to a copy of d and checks that it is
// refused with want and changes nothing.
func refused(t *testing.T, d *text.Doc, u *text.Update, want error) {
	t.Helper()
	before := d.Clone()
	enc := mustEncode(t, d)
	changed, err := d.Apply(u)
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
	if changed || d.String() != before.String() || !text.Equal(d, before) {
		t.Fatalf("the document changed: %q, was %q", d.String(), before.String())
	}
	if after := mustEncode(t, d); !bytes.Equal(after, enc) {
		t.Fatalf("the encoding changed")
	}
	t.Logf("refused: %v", err)
}

func ins(agent, seq uint32, left, right text.ID, s string) text.Insert {
	return text.Insert{ID: text.ID{Agent: agent, Seq: seq}, Left: left, Right: right, Text: s}
}

func id(agent, seq uint32) text.ID { return text.ID{Agent: agent, Seq: seq} }

func TestAnUpdateThatRewritesStoredTextIsRefused(t *testing.T) {
	d := newDoc(2)
	d.Apply(newDoc(1).Insert(0, "hi"))
	// Same IDs, other text: before the fix this made "hiZ", the missing
	// tail of the forged run joining the document.
	refused(t, d, &text.Update{Inserts: []text.Insert{ins(1, 0, text.None(), text.None(), "XYZ")}}, text.ErrConflict)
	refused(t, d, &text.Update{Inserts: []text.Insert{ins(1, 1, id(1, 0), text.None(), "o")}}, text.ErrConflict)
}

func TestAnUpdateThatMovesAStoredItemIsRefused(t *testing.T) {
	d := newDoc(2)
	d.Apply(newDoc(1).Insert(0, "hi"))
	d.Insert(2, "!")
	// Item 1:1 claims another left origin, then another right one.
	refused(t, d, &text.Update{Inserts: []text.Insert{ins(1, 1, text.None(), text.None(), "i")}}, text.ErrConflict)
	refused(t, d, &text.Update{Inserts: []text.Insert{ins(1, 1, id(1, 0), id(2, 0), "i")}}, text.ErrConflict)
}

func TestAnUpdateThatContradictsItselfIsRefused(t *testing.T) {
	d := newDoc(2)
	d.Insert(0, "ok")
	refused(t, d, &text.Update{Inserts: []text.Insert{
		ins(1, 0, text.None(), text.None(), "ab"),
		ins(1, 1, id(1, 0), text.None(), "c"),
	}}, text.ErrConflict)
}

func TestAnUpdateThatContradictsAWaitingItemIsRefused(t *testing.T) {
	d := newDoc(2)
	// 1:5 waits for 1:0 … 1:4.
	if _, err := d.Apply(&text.Update{Inserts: []text.Insert{ins(1, 5, id(1, 4), text.None(), "x")}}); err != nil {
		t.Fatal(err)
	}
	refused(t, d, &text.Update{Inserts: []text.Insert{ins(1, 5, id(1, 4), text.None(), "y")}}, text.ErrConflict)
	if n, _ := d.Pending(); n != 1 {
		t.Fatalf("%d items waiting, want 1", n)
	}
}

func TestMalformedUpdatesAreRefused(t *testing.T) {
	d := newDoc(2)
	d.Apply(newDoc(1).Insert(0, "hi"))
	for name, u := range map[string]*text.Update{
		"reserved agent":           {Inserts: []text.Insert{ins(text.NoAgent, 0, text.None(), text.None(), "x")}},
		"origin not earlier":       {Inserts: []text.Insert{ins(1, 2, id(1, 2), text.None(), "x")}},
		"right origin not earlier": {Inserts: []text.Insert{ins(1, 2, id(1, 1), id(1, 7), "x")}},
		"origin out of range":      {Inserts: []text.Insert{ins(1, 2, id(text.NoAgent, 3), text.None(), "x")}},
		"seq past MaxChars":        {Inserts: []text.Insert{ins(1, text.MaxChars-1, id(1, 0), text.None(), "xy")}},
		"text and tombstones":      {Inserts: []text.Insert{{ID: id(1, 2), Left: id(1, 1), Right: text.None(), Text: "x", Deleted: 3}}},
		"deleting None's agent":    {Deletes: []text.Span{{ID: id(text.NoAgent, 0), N: 1}}},
		"deleting past MaxChars":   {Deletes: []text.Span{{ID: id(1, text.MaxChars), N: 1}}},
	} {
		t.Run(name, func(t *testing.T) { refused(t, d, u, text.ErrMalformed) })
	}
}

func TestMalformedEncodingsAreRefused(t *testing.T) {
	d := newDoc(2)
	d.Apply(newDoc(1).Insert(0, "hello"))
	u := d.Insert(5, " world")
	u.Add(d.Delete(0, 2))
	doc, _ := d.MarshalBinary()
	upd, _ := u.MarshalBinary()
	for n := range len(doc) {
		var e text.Doc
		if e.UnmarshalBinary(doc[:n]) == nil {
			t.Fatalf("a document cut to %d of %d bytes decoded", n, len(doc))
		}
		if e.Len() != 0 || !e.IsBot() {
			t.Fatalf("a refused decode left content: %q", e.String())
		}
	}
	for n := range len(upd) {
		var v text.Update
		if v.UnmarshalBinary(upd[:n]) == nil {
			t.Fatalf("an update cut to %d of %d bytes decoded", n, len(upd))
		}
	}
	var e text.Doc
	if err := e.UnmarshalBinary(append(doc[:len(doc):len(doc)], 0)); err == nil {
		t.Fatalf("a document with trailing garbage decoded")
	}
}

func TestAWaitingDeleteAppliesAsSoonAsItsTargetArrives(t *testing.T) {
	src := newDoc(1)
	base := src.Insert(0, "abc")
	more := src.Insert(3, "def")
	del := src.Delete(2, 3) // "c", "d", "e": one known item, two not yet
	d := newDoc(2)
	d.Apply(del)
	if _, n := d.Pending(); n != 3 {
		t.Fatalf("%d deletions waiting, want 3", n)
	}
	d.Apply(base)
	if got, _ := d.Pending(); d.String() != "ab" || got != 0 {
		t.Fatalf("after the first insert: %q", d.String())
	}
	if _, n := d.Pending(); n != 2 {
		t.Fatalf("%d deletions waiting, want 2", n)
	}
	d.Apply(more)
	if _, n := d.Pending(); n != 0 || d.String() != "abf" || !text.Equal(d, src) {
		t.Fatalf("after the second insert: %q with %d deletions waiting; want %q", d.String(), n, src.String())
	}
	mustEncode(t, d)
}

func TestNewRefusesTheReservedAgent(t *testing.T) {
	if _, err := text.New(core.NodeID(text.NoAgent)); !errors.Is(err, text.ErrReservedAgent) {
		t.Fatalf("got %v", err)
	}
	if !text.None().IsNone() || text.None().Agent != text.NoAgent {
		t.Fatalf("None() = %v", text.None())
	}
}

// Equal compares what the documents hold, not only which IDs: two
// documents with the same IDs and other text are not equal.
func TestEqualTellsApartDocumentsWithTheSameIDsAndOtherText(t *testing.T) {
	a := newDoc(1)
	a.Insert(0, "hi")
	enc, _ := a.MarshalBinary()
	forged := bytes.Replace(enc, []byte("hi"), []byte("ho"), 1)
	var b text.Doc
	if err := b.UnmarshalBinary(forged); err != nil {
		t.Fatal(err)
	}
	if b.String() != "ho" || text.Equal(a, &b) {
		t.Fatalf("%q and %q reported equal", a.String(), b.String())
	}
	if !text.Equal(a, a.Clone()) {
		t.Fatalf("a document is not equal to its clone")
	}
}

// Deletions and items that claim a replica's own next IDs can only be
// forged; the replica's next keystroke takes those IDs, and the forged
// claims must not survive beside it (the document would not decode, and
// its own "q" would vanish on the next decode).
func TestTypingOverForgedClaimsOnOwnFutureIDsKeepsTheDocumentWhole(t *testing.T) {
	d := newDoc(2)
	d.Apply(newDoc(1).Insert(0, "hello"))
	forged := &text.Update{
		Inserts: []text.Insert{ins(2, 1, id(1, 9), text.None(), "zz"), ins(3, 0, text.None(), id(2, 0), "w")},
		Deletes: []text.Span{{ID: id(2, 0), N: 48}},
	}
	if _, err := d.Apply(forged); err != nil {
		t.Fatal(err) // from outside, a claim is indistinguishable from an early delivery
	}
	d.Insert(5, "q")
	d.Insert(6, "r")
	if d.String() != "helloqr" {
		t.Fatalf("got %q", d.String())
	}
	if ins, dels := d.Pending(); ins != 0 || dels != 0 {
		t.Fatalf("%d items and %d deletions still claim this replica's IDs", ins, dels)
	}
	mustEncode(t, d)
}
