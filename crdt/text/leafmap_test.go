package text

import (
	"math/rand/v2"
	"testing"
)

// The span map agrees with a plain slice (one leaf per item) through
// random pushes and moves, the operations leaf splits and typing make,
// and keeps neighbouring spans distinct.
func TestLeafMapAgreesWithOneEntryPerItem(t *testing.T) {
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 1))
		var m leafMap
		var ref []int32
		for range 2000 {
			if len(ref) == 0 || rng.IntN(3) == 0 {
				n := uint32(1 + rng.IntN(5))
				leaf := int32(rng.IntN(4))
				m.push(n, leaf)
				for range n {
					ref = append(ref, leaf)
				}
				continue
			}
			// Move a run: a stretch of items that share a leaf.
			s := uint32(rng.IntN(len(ref)))
			e := s + 1
			for int(e) < len(ref) && ref[e] == ref[s] && rng.IntN(4) != 0 {
				e++
			}
			leaf := int32(rng.IntN(6))
			m.assign(s, e-s, leaf)
			for i := s; i < e; i++ {
				ref[i] = leaf
			}
		}
		if m.end != uint32(len(ref)) {
			t.Fatalf("seed %d: end %d, want %d", seed, m.end, len(ref))
		}
		for i, want := range ref {
			if got := m.find(uint32(i)); got != want {
				t.Fatalf("seed %d: item %d in leaf %d, want %d", seed, i, got, want)
			}
		}
		var prev *span
		for _, blk := range m.blocks {
			if len(blk) == 0 || len(blk) > maxSpans {
				t.Fatalf("seed %d: block of %d spans", seed, len(blk))
			}
			for i := range blk {
				if prev != nil && (prev.leaf == blk[i].leaf || prev.seq >= blk[i].seq) {
					t.Fatalf("seed %d: spans %v then %v", seed, *prev, blk[i])
				}
				prev = &blk[i]
			}
		}
	}
}

// Content survives as long as one item of its chunk is visible; a chunk
// whose items are all deleted is freed.
func TestArenaFreesChunksWhoseItemsAreAllDeleted(t *testing.T) {
	var a arena
	text := make([]byte, 3*chunkSize)
	for i := range text {
		text[i] = byte('a' + i%26)
	}
	write(&a, 0, text)
	a.drop(0, chunkSize-1) // one item of chunk 0 left
	a.drop(chunkSize, chunkSize)
	if a.chunks[0] == nil || a.chunks[1] != nil || a.chunks[2] == nil {
		t.Fatalf("chunks kept: %v %v %v", a.chunks[0] != nil, a.chunks[1] != nil, a.chunks[2] != nil)
	}
	if got := a.appendTo(nil, chunkSize-1, 1); got[0] != text[chunkSize-1] {
		t.Fatalf("surviving item reads %q", got)
	}
	if !a.equal(2*chunkSize, string(text[2*chunkSize:])) {
		t.Fatalf("chunk 2 lost its content")
	}
	// The chunk being typed into is kept while empty, and freed once the
	// agent has moved past it.
	var b arena
	write(&b, 0, "x")
	b.drop(0, 1)
	if b.chunks[0] == nil {
		t.Fatalf("the chunk being typed into was freed")
	}
	b.reserve(chunkSize + 1)
	if b.chunks[0] != nil {
		t.Fatalf("an empty, complete chunk was kept")
	}
}

// Deleting everything frees the content of a large document, and the
// document still renders, edits and round-trips.
func TestADocumentWhoseTextIsDeletedKeepsNoContent(t *testing.T) {
	d, _ := New(1)
	for range 40 {
		d.Insert(d.Len(), string(make([]byte, 1000)))
	}
	d.Delete(0, d.Len())
	kept := 0
	for _, c := range d.agents[0].text.chunks {
		if c != nil {
			kept++
		}
	}
	if kept > 1 {
		t.Fatalf("%d chunks kept for an empty document", kept)
	}
	d.Insert(0, "ok")
	b, _ := d.MarshalBinary()
	var e Doc
	if err := e.UnmarshalBinary(b); err != nil || e.String() != "ok" {
		t.Fatalf("round trip: %q, %v", e.String(), err)
	}
}
