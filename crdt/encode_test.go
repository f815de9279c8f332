package crdt_test

import (
	"bytes"
	"encoding"
	"testing"

	"pgregory.net/rapid"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt"
	"github.com/rondo-dev/rondo/lattice"
)

// roundTrip checks, on generated states, that decode(encode(x)) = x and that
// encoding is deterministic (the same state always gives the same bytes).
func roundTrip[E any, L interface {
	*E
	lattice.Lattice[L]
	encoding.BinaryUnmarshaler
}](t *testing.T, gen *rapid.Generator[L], enc func(L) ([]byte, error)) {
	rapid.Check(t, func(rt *rapid.T) {
		x := gen.Draw(rt, "x")
		b, err := enc(x)
		if err != nil {
			rt.Fatal(err)
		}
		y := L(new(E))
		if err := y.UnmarshalBinary(b); err != nil {
			rt.Fatalf("decode: %v", err)
		}
		if !lattice.Equal(x, y) {
			rt.Fatalf("decoded value differs")
		}
		b2, _ := enc(x.Clone())
		if !bytes.Equal(b, b2) {
			rt.Fatalf("encoding is not deterministic")
		}
	})
}

func TestEncodingsRoundTrip(t *testing.T) {
	t.Run("GCounter", func(t *testing.T) {
		roundTrip(t, genGCounter(), func(x *crdt.GCounter) ([]byte, error) { return x.AppendBinary(nil) })
	})
	t.Run("PNCounter", func(t *testing.T) {
		roundTrip(t, genPNCounter(), func(x *crdt.PNCounter) ([]byte, error) { return x.AppendBinary(nil) })
	})
	t.Run("LWW", func(t *testing.T) {
		roundTrip(t, genLWW(), func(x *crdt.LWW[string]) ([]byte, error) { return x.AppendBinary(nil) })
	})
	t.Run("MVRegister", func(t *testing.T) {
		roundTrip(t, genMVRegister(), func(x *crdt.MVRegister[int]) ([]byte, error) { return x.AppendBinary(nil) })
	})
	t.Run("EWFlag", func(t *testing.T) {
		roundTrip(t, genEWFlag(), func(x *crdt.EWFlag) ([]byte, error) { return x.AppendBinary(nil) })
	})
	t.Run("AWSet", func(t *testing.T) {
		roundTrip(t, genAWSet(), func(x *crdt.AWSet[int]) ([]byte, error) { return x.AppendBinary(nil) })
	})
	t.Run("ORMap", func(t *testing.T) {
		roundTrip(t, genORMap(), func(x *setMap) ([]byte, error) { return x.AppendBinary(nil) })
	})
}

func TestEveryTypeRegistersWithTheBinaryCodec(t *testing.T) {
	var r core.Registry
	core.Register[crdt.AWSet[string]](&r, "awset")
	core.Register[crdt.GCounter](&r, "gcounter")
	var s crdt.AWSet[string]
	s.Add(alice, "x")
	b, err := r.Append(nil, s)
	if err != nil {
		t.Fatal(err)
	}
	v, err := r.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	got := v.(crdt.AWSet[string])
	if !got.Contains("x") {
		t.Fatalf("decoded set lost x")
	}
}

func TestDecodersRejectMalformedInput(t *testing.T) {
	var s crdt.AWSet[string]
	s.Add(alice, "x")
	good, _ := s.AppendBinary(nil)
	for i := range good {
		var d crdt.AWSet[string]
		_ = d.UnmarshalBinary(good[:i]) // every prefix: an error, never a panic
	}
	// A stored dot the context never saw is refused.
	var bad crdt.AWSet[string]
	if err := bad.UnmarshalBinary([]byte{0xC6, 1, 1, 'x', 1, 1, 1, 0, 0}); err == nil {
		t.Fatal("accepted a dot outside the context")
	}
}

func FuzzAWSetDecode(f *testing.F) {
	var s crdt.AWSet[string]
	s.Add(alice, "x")
	s.Add(bob, "y")
	s.Remove("x")
	b, _ := s.AppendBinary(nil)
	f.Add(b)
	d, _ := s.Remove("y").AppendBinary(nil)
	f.Add(d)
	f.Fuzz(func(t *testing.T, data []byte) {
		var x crdt.AWSet[string]
		if x.UnmarshalBinary(data) != nil {
			return
		}
		// Whatever decodes must re-encode, decode to an equal state and merge.
		b, err := x.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		var y crdt.AWSet[string]
		if err := y.UnmarshalBinary(b); err != nil || !lattice.Equal(&x, &y) {
			t.Fatalf("re-decode: %v", err)
		}
		y.Merge(&s)
		y.Add(carol, "z")
	})
}

func FuzzORMapDecode(f *testing.F) {
	var m setMap
	m.Update("k", func(s *crdt.AWSet[int]) *crdt.AWSet[int] { return s.Add(alice, 1) })
	b, _ := m.AppendBinary(nil)
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var x setMap
		if x.UnmarshalBinary(data) == nil {
			x.Merge(&m)
		}
	})
}
