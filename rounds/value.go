package rounds

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/rondo-dev/rondo/core"
)

// MaxValueSize is the largest encoded value (AppendValue) a proposal may
// carry: core.MaxMessageSize less ValueHeadroom. The runtime refuses a
// larger proposal with ErrValueTooLarge, since the messages that would carry
// it could not cross any network.
const MaxValueSize = core.MaxMessageSize - ValueHeadroom

// ValueHeadroom is what a message carrying one value may add around it: the
// codec's type name, the instance and round, and the algorithm's other
// fields. An algorithm whose messages carry a value keep everything else
// under it, and carry at most one value per message.
const ValueHeadroom = 4 << 10

// ErrValueTooLarge is the error of a proposal whose value would not fit in
// a message (see MaxValueSize).
var ErrValueTooLarge = errors.New("rounds: value too large for a message")

// ValueSize is the number of bytes AppendValue writes for v.
func ValueSize[V any](v V) int {
	switch x := any(v).(type) {
	case int64:
		var b [binary.MaxVarintLen64]byte
		return binary.PutVarint(b[:], x)
	case string:
		return uvarintLen(uint64(len(x))) + len(x)
	}
	b, err := AppendValue(nil, v)
	if err != nil {
		return MaxValueSize + 1 // unencodable: never fits
	}
	return len(b)
}

// CheckValue refuses a value that would not fit in a message, with an
// error that says how large it is and what fits.
func CheckValue[V any](v V) error {
	if n := ValueSize(v); n > MaxValueSize {
		return fmt.Errorf("%w: %d bytes encoded, at most %d (core.MaxMessageSize %d less %d of headroom for the rest of a message)",
			ErrValueTooLarge, n, MaxValueSize, core.MaxMessageSize, ValueHeadroom)
	}
	return nil
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// AppendValue appends the encoding of v to b: a zigzag varint for an
// int64, a uvarint length and the bytes for a string, and for any other
// type a uvarint length and its body (its own AppendBinary, a fixed-size
// little-endian layout, or JSON, as for message bodies). Every encoding is
// self-delimiting, so a message can carry a value beside other fields.
func AppendValue[V any](b []byte, v V) ([]byte, error) {
	switch x := any(v).(type) {
	case int64:
		return binary.AppendVarint(b, x), nil
	case string:
		b = binary.AppendUvarint(b, uint64(len(x)))
		return append(b, x...), nil
	}
	body, err := appendBody(nil, v)
	if err != nil {
		return b, err
	}
	b = binary.AppendUvarint(b, uint64(len(body)))
	return append(b, body...), nil
}

// DecodeValue decodes a value AppendValue wrote at the start of b and
// returns it with the number of bytes it took. It never panics: a
// truncated or oversized encoding is an error.
func DecodeValue[V any](b []byte) (V, int, error) {
	var v V
	switch p := any(&v).(type) {
	case *int64:
		x, k := binary.Varint(b)
		if k <= 0 {
			return v, 0, fmt.Errorf("value: %w", errTrunc)
		}
		*p = x
		return v, k, nil
	case *string:
		body, k, err := lengthPrefixed(b)
		if err != nil {
			return v, 0, err
		}
		*p = string(body)
		return v, k, nil
	}
	body, k, err := lengthPrefixed(b)
	if err != nil {
		return v, 0, err
	}
	if err := decodeBody(body, &v); err != nil {
		return v, 0, fmt.Errorf("value: %w", err)
	}
	return v, k, nil
}

// lengthPrefixed splits a uvarint-length-prefixed field off b.
func lengthPrefixed(b []byte) ([]byte, int, error) {
	l, k := binary.Uvarint(b)
	if k <= 0 || l > uint64(len(b)-k) {
		return nil, 0, fmt.Errorf("value: %w (length %d, %d bytes left)", errTrunc, l, len(b)-max(k, 0))
	}
	return b[k : k+int(l)], k + int(l), nil
}

// ShowValue prints a value for people: an integer in decimal, a short string
// quoted, a long one as its first bytes and its length (a 64 KiB batch must
// not fill a trace line or a counterexample), anything else with %v.
func ShowValue[V any](v V) string {
	switch x := any(v).(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		const show = 16
		if len(x) <= 2*show {
			return strconv.Quote(x)
		}
		return fmt.Sprintf("%s…(%d bytes)", strconv.Quote(x[:show]), len(x))
	}
	return fmt.Sprintf("%v", v)
}
