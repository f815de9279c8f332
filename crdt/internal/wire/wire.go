// Package wire holds the small binary encoding helpers the CRDTs share:
// unsigned varints, length-prefixed bytes, and a Reader that records the
// first error instead of panicking, so that decoders of hostile input stay
// short and safe.
package wire

import (
	"encoding/binary"
	"errors"
)

// ErrShort is returned when input ends early; ErrMalformed when a value is
// out of range.
var (
	ErrShort     = errors.New("wire: input too short")
	ErrMalformed = errors.New("wire: malformed input")
)

// AppendUvarint appends v as an unsigned varint.
func AppendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

// AppendBytes appends a length-prefixed byte string.
func AppendBytes(b, s []byte) []byte { return append(binary.AppendUvarint(b, uint64(len(s))), s...) }

// AppendString appends a length-prefixed string.
func AppendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// Reader decodes from a byte slice. After the first error every read
// returns zero values and Err reports that error.
type Reader struct {
	b   []byte
	err error
}

// NewReader reads b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err is the first error met, if any.
func (r *Reader) Err() error { return r.err }

// Len is the number of unread bytes.
func (r *Reader) Len() int { return len(r.b) }

// Fail records err unless an error is already recorded.
func (r *Reader) Fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.Fail(ErrShort)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Uint reads an unsigned varint that must be ≤ limit.
func (r *Reader) Uint(limit uint64) uint64 {
	v := r.Uvarint()
	if v > limit {
		r.Fail(ErrMalformed)
		return 0
	}
	return v
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.Fail(ErrShort)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// Bytes reads n raw bytes (aliasing the input).
func (r *Reader) Bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.Fail(ErrShort)
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

// String reads a length-prefixed string.
func (r *Reader) String() string { return string(r.Bytes(r.Uvarint())) }

// Count reads a count of items that each take at least minBytes bytes of
// input, refusing counts the remaining input cannot hold, so that a hostile
// count cannot make the decoder allocate.
func (r *Reader) Count(minBytes int) int {
	v := r.Uvarint()
	if r.err == nil && v > uint64(len(r.b)/max(minBytes, 1)) {
		r.Fail(ErrMalformed)
		return 0
	}
	return int(v)
}

// Done fails unless every byte was consumed.
func (r *Reader) Done() error {
	if r.err == nil && len(r.b) != 0 {
		r.Fail(ErrMalformed)
	}
	return r.err
}
