package machine

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The encodings of commands, results and snapshots are built from three
// pieces: uvarints, single bytes and length-prefixed byte strings.

func appendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func appendBytes(b, v []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(v))), v...)
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// reader reads what the append functions wrote; after the first error
// every read returns a zero value and err keeps the first error, so a
// decoder reads on and checks once.
type reader struct {
	b   []byte
	err error
}

var errShort = errors.New("truncated")

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
	r.b = nil
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = errShort
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uvarint(limit uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	switch {
	case n == 0:
		r.err = errShort
	case n < 0:
		r.fail("a number overflows 64 bits")
	case v > limit:
		r.fail("%d is past the limit %d", v, limit)
	}
	if r.err != nil {
		return 0
	}
	r.b = r.b[n:]
	return v
}

// bytes reads a length-prefixed string of at most limit bytes, copied: the
// result does not alias the input, which the caller may reuse.
func (r *reader) bytes(limit uint64) []byte {
	n := r.uvarint(limit)
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.err = errShort
		return nil
	}
	var out []byte
	if n > 0 {
		out = append([]byte(nil), r.b[:n]...)
	}
	r.b = r.b[n:]
	return out
}

// string reads a length-prefixed string of at most limit bytes.
func (r *reader) string(limit uint64) string {
	n := r.uvarint(limit)
	if r.err != nil {
		return ""
	}
	if uint64(len(r.b)) < n {
		r.err = errShort
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// end reports the first error, or trailing bytes.
func (r *reader) end() error {
	if r.err != nil {
		return r.err
	}
	if len(r.b) > 0 {
		return fmt.Errorf("%d trailing bytes", len(r.b))
	}
	return nil
}
