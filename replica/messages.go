package replica

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/rondo-dev/rondo/core"
)

// MaxState bounds an encoded state or delta-group on the wire, so that a
// hostile length prefix cannot make a replica allocate without limit.
const MaxState = 1 << 26

// Delta carries a delta-group: the join of the sender's deltas numbered
// Lo..Hi-1, or, when Full is set, the sender's whole state as of Hi. State is
// encoded by the replica's Codec, so the message type is the same for every
// lattice.
type Delta struct {
	Lo, Hi uint64
	Full   bool
	State  []byte
}

// Ack acknowledges a Delta: the receiver has merged everything its sender
// had below Seq.
type Ack struct {
	Seq uint64
}

func (d Delta) String() string {
	kind := "delta"
	if d.Full {
		kind = "full"
	}
	return fmt.Sprintf("Delta{%s [%d,%d) %dB}", kind, d.Lo, d.Hi, len(d.State))
}

func (a Ack) String() string { return fmt.Sprintf("Ack{%d}", a.Seq) }

// Register adds the anti-entropy message types to a codec registry.
func Register(r *core.Registry) {
	core.Register[Delta](r, "replica.Delta")
	core.Register[Ack](r, "replica.Ack")
}

// AppendBinary encodes d as uvarint lo, uvarint hi, a flags byte, uvarint
// length, state.
func (d Delta) AppendBinary(b []byte) ([]byte, error) {
	b = binary.AppendUvarint(b, d.Lo)
	b = binary.AppendUvarint(b, d.Hi)
	var flags byte
	if d.Full {
		flags = 1
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(len(d.State)))
	return append(b, d.State...), nil
}

var errTruncated = errors.New("truncated")

// UnmarshalBinary decodes what AppendBinary wrote, refusing trailing bytes.
func (d *Delta) UnmarshalBinary(b []byte) error {
	lo, k := binary.Uvarint(b)
	if k <= 0 {
		return fmt.Errorf("lo: %w", errTruncated)
	}
	b = b[k:]
	hi, k := binary.Uvarint(b)
	if k <= 0 || hi < lo {
		return fmt.Errorf("hi: %w or below lo", errTruncated)
	}
	b = b[k:]
	if len(b) == 0 || b[0] > 1 {
		return errors.New("flags: truncated or unknown")
	}
	full := b[0] == 1
	b = b[1:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > MaxState || uint64(len(b)-k) != n {
		return errors.New("state length does not match the frame")
	}
	*d = Delta{Lo: lo, Hi: hi, Full: full, State: append([]byte(nil), b[k:]...)}
	return nil
}

// AppendBinary encodes a as one uvarint.
func (a Ack) AppendBinary(b []byte) ([]byte, error) { return binary.AppendUvarint(b, a.Seq), nil }

// UnmarshalBinary decodes what AppendBinary wrote, refusing trailing bytes.
func (a *Ack) UnmarshalBinary(b []byte) error {
	v, k := binary.Uvarint(b)
	if k <= 0 || k != len(b) {
		return fmt.Errorf("seq: %w", errTruncated)
	}
	a.Seq = v
	return nil
}
