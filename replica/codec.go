package replica

import (
	"encoding"
	"encoding/json"
	"fmt"
)

// Codec encodes the lattice values a replica ships and stores: whole states
// and deltas alike (a delta is a lattice value too).
type Codec[L any] interface {
	Append(b []byte, l L) ([]byte, error)
	// Decode never panics on malformed input.
	Decode(b []byte) (L, error)
}

// BinaryCodec encodes values whose type implements
// encoding.BinaryAppender and encoding.BinaryUnmarshaler; newL returns a
// fresh value to decode into.
func BinaryCodec[L any](newL func() L) Codec[L] { return binaryCodec[L]{newL} }

type binaryCodec[L any] struct{ newL func() L }

func (c binaryCodec[L]) Append(b []byte, l L) ([]byte, error) {
	a, ok := any(l).(encoding.BinaryAppender)
	if !ok {
		return b, fmt.Errorf("replica: %T does not implement encoding.BinaryAppender", l)
	}
	return a.AppendBinary(b)
}

func (c binaryCodec[L]) Decode(b []byte) (L, error) {
	l := c.newL()
	u, ok := any(l).(encoding.BinaryUnmarshaler)
	if !ok {
		var zero L
		return zero, fmt.Errorf("replica: %T does not implement encoding.BinaryUnmarshaler", l)
	}
	if err := u.UnmarshalBinary(b); err != nil {
		var zero L
		return zero, err
	}
	return l, nil
}

// JSONCodec encodes values with encoding/json (for lattices with exported
// fields or their own MarshalJSON); newL returns a fresh value to decode
// into.
func JSONCodec[L any](newL func() L) Codec[L] { return jsonCodec[L]{newL} }

type jsonCodec[L any] struct{ newL func() L }

func (c jsonCodec[L]) Append(b []byte, l L) ([]byte, error) {
	j, err := json.Marshal(l)
	return append(b, j...), err
}

func (c jsonCodec[L]) Decode(b []byte) (L, error) {
	l := c.newL()
	if err := json.Unmarshal(b, l); err != nil {
		var zero L
		return zero, err
	}
	return l, nil
}
