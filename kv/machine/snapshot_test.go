package machine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// fill writes keys of the given sizes, with deletes among them, and
// returns the store.
func fill(seed uint64, keys, valueSize int) *Machine {
	rng := rand.New(rand.NewPCG(seed, 0))
	m := New()
	for i := range keys {
		v := make([]byte, valueSize)
		for j := range v {
			v[j] = byte(rng.Uint32())
		}
		m.Execute(Command{Kind: Put, Key: fmt.Sprintf("key/%06d", rng.IntN(keys*2)), Value: v})
		if i%10 == 0 {
			m.Execute(Command{Kind: Delete, Key: fmt.Sprintf("key/%06d", rng.IntN(keys*2))})
		}
	}
	return m
}

func TestASnapshotLargerThanAFrameRestoresTheSameStateByteForByte(t *testing.T) {
	m := fill(1, 4000, 2048)
	m.Execute(Command{Kind: Put, Key: "big", Value: bytes.Repeat([]byte("m"), MaxValue)})
	snap, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap) < 5<<20 {
		t.Fatalf("the snapshot is %d bytes: smaller than the 4 MiB frame the test is about", len(snap))
	}
	back := New()
	back.Execute(Command{Kind: Put, Key: "stale", Value: []byte("gone after restore")})
	if err := back.Restore(snap); err != nil {
		t.Fatal(err)
	}
	again, _ := back.Snapshot()
	if !bytes.Equal(again, snap) || back.Digest() != m.Digest() || back.Len() != m.Len() || back.Revision() != m.Revision() {
		t.Fatal("the restored store differs from the original")
	}
	if r := back.Execute(Command{Kind: Get, Key: "stale"}); r.Status != NotFound {
		t.Fatal("a restore kept a key the snapshot does not hold")
	}
	// Both go on alike.
	for _, x := range []*Machine{m, back} {
		x.Execute(Command{Kind: Put, Key: "after", Value: []byte("1")})
	}
	if m.Digest() != back.Digest() {
		t.Fatal("the restored store diverges on the next write")
	}
}

func TestTheSameCommandsInTheSameOrderGiveTheSameState(t *testing.T) {
	a, b := fill(7, 3000, 64), fill(7, 3000, 64)
	sa, _ := a.Snapshot()
	sb, _ := b.Snapshot()
	if !bytes.Equal(sa, sb) || a.Digest() != b.Digest() {
		t.Fatal("two stores fed the same commands differ")
	}
	// And a different history gives a different digest.
	if c := fill(8, 3000, 64); c.Digest() == a.Digest() {
		t.Fatal("two different stores share a digest")
	}
}

func TestRestoreRefusesBadSnapshotsAndKeepsItsState(t *testing.T) {
	src := fill(3, 50, 16)
	snap, _ := src.Snapshot()
	m := fill(4, 20, 8)
	before, _ := m.Snapshot()
	unordered := appendUvarint(appendUvarint([]byte{snapshotVersion}, 5), 2)
	unordered = appendBytes(appendUvarint(appendString(unordered, "b"), 1), nil)
	unordered = appendBytes(appendUvarint(appendString(unordered, "a"), 2), nil)
	revisionAhead := appendUvarint(appendUvarint([]byte{snapshotVersion}, 1), 1)
	revisionAhead = appendBytes(appendUvarint(appendString(revisionAhead, "a"), 2), nil)
	for name, bad := range map[string][]byte{
		"empty":               nil,
		"unknown version":     append([]byte{2}, snap[1:]...),
		"truncated":           snap[:len(snap)-3],
		"trailing bytes":      append(bytes.Clone(snap), 1),
		"huge count":          appendUvarint(appendUvarint([]byte{snapshotVersion}, 1), 1<<40),
		"keys out of order":   unordered,
		"revision past store": revisionAhead,
	} {
		if err := m.Restore(bad); err == nil {
			t.Errorf("%s: restored", name)
		}
		if after, _ := m.Snapshot(); !bytes.Equal(after, before) {
			t.Fatalf("%s: a refused restore changed the store", name)
		}
	}
}

func FuzzApplyNeverPanicsAndAnInvalidCommandChangesNothing(f *testing.F) {
	for _, c := range []Command{
		{Kind: Put, Key: "k", Value: []byte("v")}, {Kind: CAS, Key: "k", Expect: []byte("v"), Value: []byte("w")},
		{Kind: List, Key: "a", End: "z", Limit: 3}, {Kind: Delete, Key: "k"}, {Kind: Stat},
	} {
		b, _ := EncodeCommand(c)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, cmd []byte) {
		m := fill(5, 30, 4)
		before := m.Digest()
		r, err := DecodeResult(m.Apply(cmd))
		if err != nil {
			t.Fatalf("the result does not decode: %v", err)
		}
		if r.Status == Invalid && m.Digest() != before {
			t.Fatal("an invalid command changed the store")
		}
		m.Query(cmd)
	})
}

func FuzzRestoreNeverPanics(f *testing.F) {
	snap, _ := fill(6, 10, 4).Snapshot()
	f.Add(snap)
	f.Fuzz(func(t *testing.T, b []byte) {
		m := New()
		if err := m.Restore(b); err == nil {
			// Numbers may come in longer encodings than Snapshot writes,
			// so compare what they mean: the state's own encoding.
			again, _ := m.Snapshot()
			other := New()
			if err := other.Restore(again); err != nil {
				t.Fatalf("a restored state's snapshot does not restore: %v", err)
			}
			if third, _ := other.Snapshot(); !bytes.Equal(third, again) || other.Digest() != m.Digest() {
				t.Fatal("a restored state's snapshot restores to another state")
			}
		}
	})
}

func FuzzDecodeResultNeverPanics(f *testing.F) {
	f.Add(EncodeResult(Result{Status: OK, Items: []Item{{Key: "a", Value: []byte("b")}}}))
	f.Fuzz(func(t *testing.T, b []byte) { DecodeResult(b) })
}
