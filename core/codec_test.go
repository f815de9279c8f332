package core_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/core"
)

type jsonMsg struct {
	Term  uint64
	Votes map[string]int
}

type binMsg struct{ X uint16 }

func (m binMsg) AppendBinary(b []byte) ([]byte, error) {
	return append(b, byte(m.X>>8), byte(m.X)), nil
}
func (m *binMsg) UnmarshalBinary(b []byte) error {
	if len(b) != 2 {
		return errors.New("want 2 bytes")
	}
	m.X = uint16(b[0])<<8 | uint16(b[1])
	return nil
}

func registry() *core.Registry {
	r := &core.Registry{}
	core.Register[jsonMsg](r, "json")
	core.Register[binMsg](r, "bin")
	return r
}

func TestRegistryRoundTripsBothEncodings(t *testing.T) {
	r := registry()
	for _, m := range []any{jsonMsg{Term: 3, Votes: map[string]int{"a": 1}}, binMsg{X: 513}} {
		b, err := r.Append(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := r.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if name, _ := r.Name(m); name == "bin" && len(b) != 1+3+2 {
			t.Fatalf("binary message took %d bytes, want 6", len(b))
		}
		if jm, ok := m.(jsonMsg); ok {
			if back.(jsonMsg).Term != jm.Term || back.(jsonMsg).Votes["a"] != 1 {
				t.Fatalf("got %v back", back)
			}
		} else if back != m {
			t.Fatalf("got %v back, want %v", back, m)
		}
	}
}

func TestRegistryRefusesWhatItDoesNotKnow(t *testing.T) {
	r := registry()
	if _, err := r.Append(nil, struct{}{}); err == nil || !strings.Contains(err.Error(), "not registered") {
		t.Fatalf("unregistered type: %v", err)
	}
	for _, bad := range [][]byte{nil, {0}, {5, 'j'}, {3, 'b', 'i', 'n', 1}, {4, 'j', 's', 'o', 'n', '{'}, {3, 'z', 'z', 'z'}} {
		if _, err := r.Decode(bad); !errors.Is(err, core.ErrMalformed) {
			t.Errorf("Decode(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

func FuzzRegistryDecode(f *testing.F) {
	r := registry()
	for _, m := range []any{jsonMsg{Term: 1}, binMsg{X: 7}} {
		b, _ := r.Append(nil, m)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := r.Decode(data)
		if err != nil {
			return
		}
		// Whatever decodes must encode again.
		if _, err := r.Append(nil, m); err != nil {
			t.Fatalf("decoded %v does not re-encode: %v", m, err)
		}
	})
}

func TestMemStorageKeepsCopies(t *testing.T) {
	var s core.MemStorage
	v := []byte("abc")
	s.Put("k/1", v)
	v[0] = 'X'
	got, ok := s.Get("k/1")
	if !ok || string(got) != "abc" {
		t.Fatalf("Get = %q, %v", got, ok)
	}
	got[0] = 'Y'
	again, _ := s.Get("k/1")
	s.Put("j", nil)
	if string(again) != "abc" || strings.Join(s.Keys("k/"), ",") != "k/1" {
		t.Fatalf("storage was changed through a returned slice or lists %v", s.Keys("k/"))
	}
	s.Delete("k/1")
	if _, ok := s.Get("k/1"); ok {
		t.Fatal("deleted key still there")
	}
}
