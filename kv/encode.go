package kv

import (
	"encoding/binary"
	"errors"
	"maps"
	"slices"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/lattice"
)

// Limits a decoder enforces, so that hostile input cannot make a replica
// allocate without bound.
const (
	MaxKey   = 256
	MaxValue = 1 << 20
	maxKeys  = 1 << 24
)

var errMalformed = errors.New("kv: malformed store encoding")

const storeVersion = 1

// AppendBinary encodes s: version byte, clock (count, then node/count
// pairs), entries (count, then key, time, node, flags, value), keys in
// sorted order so that equal stores encode equally), then the causal map
// (a presence byte, and its length-prefixed crdt encoding).
func (s Store) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, storeVersion)
	nodes := s.clock.Nodes()
	b = binary.AppendUvarint(b, uint64(len(nodes)))
	for _, n := range nodes {
		b = binary.AppendUvarint(b, uint64(n))
		b = binary.AppendUvarint(b, s.clock.Get(n))
	}
	keys := slices.Sorted(maps.Keys(s.keys))
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		e := s.keys[k]
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, e.Version.Time)
		b = binary.AppendUvarint(b, uint64(e.Version.Node))
		var flags byte
		if e.Deleted {
			flags = 1
		}
		b = append(b, flags)
		b = binary.AppendUvarint(b, uint64(len(e.Value)))
		b = append(b, e.Value...)
	}
	if s.mv == nil {
		return append(b, 0), nil
	}
	mv, err := s.mv.AppendBinary(nil)
	if err != nil {
		return b, err
	}
	b = append(b, 1)
	b = binary.AppendUvarint(b, uint64(len(mv)))
	return append(b, mv...), nil
}

// reader reads what AppendBinary wrote; after the first error every read
// returns zero and err stays set.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint(limit uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Uvarint(r.b)
	if k <= 0 || v > limit {
		r.err, r.b = errMalformed, nil
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *reader) bytes(limit uint64) []byte {
	n := r.uvarint(limit)
	if r.err != nil || uint64(len(r.b)) < n {
		r.err, r.b = errMalformed, nil
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err, r.b = errMalformed, nil
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// UnmarshalBinary decodes a Store; it never panics and refuses trailing
// bytes.
func (s *Store) UnmarshalBinary(data []byte) error {
	r := &reader{b: data}
	if r.byte() != storeVersion {
		return errMalformed
	}
	out := Store{}
	nn := r.uvarint(uint64(len(data)))
	if nn > 0 {
		clock := make(map[core.NodeID]uint64, min(nn, 1024))
		for range nn {
			n := r.uvarint(1<<32 - 1)
			clock[core.NodeID(n)] = r.uvarint(1<<64 - 1)
		}
		out.clock = *lattice.VClockOf(clock)
	}
	nk := r.uvarint(min(uint64(len(data)), maxKeys))
	if nk > 0 {
		out.keys = make(map[string]*Entry, min(nk, 1024))
	}
	for range nk {
		k := string(r.bytes(MaxKey))
		e := &Entry{}
		e.Version.Time = r.uvarint(1<<64 - 1)
		e.Version.Node = core.NodeID(r.uvarint(1<<32 - 1))
		flags := r.byte()
		if flags > 1 {
			r.err = errMalformed
		}
		e.Deleted = flags == 1
		if v := r.bytes(MaxValue); len(v) > 0 {
			e.Value = append([]byte(nil), v...)
		}
		if r.err != nil {
			break
		}
		out.keys[k] = e
	}
	switch r.byte() {
	case 0:
	case 1:
		mv := r.bytes(uint64(len(data)))
		if r.err == nil {
			out.mv = &MV{}
			if err := out.mv.UnmarshalBinary(mv); err != nil {
				return err
			}
		}
	default:
		r.err = errMalformed
	}
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return errMalformed
	}
	*s = out
	return nil
}
