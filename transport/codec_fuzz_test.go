package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/rondo-dev/rondo/core"
)

// fuzzJSON is encoded by the registry as JSON.
type fuzzJSON struct {
	From  uint32
	Seq   uint64
	Value string
	Path  []uint32
}

// fuzzBin is encoded by its own binary methods, the registry's fast path.
type fuzzBin struct {
	Seq  uint64
	Data []byte
}

func (m fuzzBin) AppendBinary(b []byte) ([]byte, error) {
	b = binary.AppendUvarint(b, m.Seq)
	b = binary.AppendUvarint(b, uint64(len(m.Data)))
	return append(b, m.Data...), nil
}

func (m *fuzzBin) UnmarshalBinary(b []byte) error {
	seq, k := binary.Uvarint(b)
	if k <= 0 {
		return errors.New("bad seq")
	}
	b = b[k:]
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) != n {
		return fmt.Errorf("bad data length")
	}
	m.Seq, m.Data = seq, append([]byte(nil), b[k:]...)
	return nil
}

func fuzzRegistry() *core.Registry {
	r := &core.Registry{}
	core.Register[fuzzJSON](r, "json")
	core.Register[fuzzBin](r, "bin")
	return r
}

// FuzzDecode feeds arbitrary frame payloads to the codec a node decodes
// messages with: it must never panic, and whatever it accepts must encode
// and decode again to the same value.
func FuzzDecode(f *testing.F) {
	r := fuzzRegistry()
	for _, m := range []any{
		fuzzJSON{From: 1, Seq: 2, Value: "x", Path: []uint32{0, 1}},
		fuzzBin{Seq: 9, Data: []byte("payload")},
	} {
		b, err := r.Append(nil, m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x04, 'j', 's', 'o', 'n', '{'})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := r.Decode(data)
		if err != nil {
			if !errors.Is(err, core.ErrMalformed) {
				t.Fatalf("decode error does not wrap core.ErrMalformed: %v", err)
			}
			return
		}
		b, err := r.Append(nil, v)
		if err != nil {
			t.Fatalf("decoded %#v but cannot encode it again: %v", v, err)
		}
		w, err := r.Decode(b)
		if err != nil {
			t.Fatalf("re-encoded %#v does not decode: %v", v, err)
		}
		if !reflect.DeepEqual(v, w) {
			t.Fatalf("round trip changed the message: %#v became %#v", v, w)
		}
	})
}
