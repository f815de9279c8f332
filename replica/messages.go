package replica

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/rondo-dev/rondo/core"
)

// MaxPiece is the most encoded state one Delta or Piece carries: the largest
// message any world carries (core.MaxMessageSize) less the envelope around
// the state — the codec registry's type name and the message's header
// fields. A state or delta-group larger than this travels in several
// messages, and a local operation whose delta is larger is refused.
const MaxPiece = core.MaxMessageSize - envelope

// envelope bounds what a message adds to the state it carries: the type
// name ("replica.Piece", 13 bytes, and its length) and at most four
// uvarints of 10 bytes each. TestTheLargestPieceFitsInOneMessage checks
// it against the registry's real encoding.
const envelope = 64

// Delta carries a delta-group: the join of the sender's deltas numbered
// Lo..Hi-1 (less those that came from the receiver). State is encoded by
// the replica's Codec, so the message type is the same for every lattice.
type Delta struct {
	Lo, Hi uint64
	State  []byte
}

// Ack acknowledges a Delta: the receiver has merged everything its sender
// had below Seq.
type Ack struct {
	Seq uint64
}

// Piece carries part Index of Count of the sender's whole state as of its
// counter Seq: the join of the Count pieces is that state. A replica sends
// its whole state in pieces to a peer whose acknowledgement is older than
// the deltas it kept (or to every peer after a restart).
type Piece struct {
	Seq          uint64
	Index, Count uint32
	State        []byte
}

// PieceAck acknowledges one Piece: the receiver has merged it.
type PieceAck struct {
	Seq   uint64
	Index uint32
}

func (d Delta) String() string {
	return fmt.Sprintf("Delta{[%d,%d) %dB}", d.Lo, d.Hi, len(d.State))
}

func (a Ack) String() string { return fmt.Sprintf("Ack{%d}", a.Seq) }

func (p Piece) String() string {
	return fmt.Sprintf("Piece{%d/%d of c=%d %dB}", p.Index+1, p.Count, p.Seq, len(p.State))
}

func (a PieceAck) String() string { return fmt.Sprintf("PieceAck{%d of c=%d}", a.Index+1, a.Seq) }

// Register adds the anti-entropy message types to a codec registry.
func Register(r *core.Registry) {
	core.Register[Delta](r, "replica.Delta")
	core.Register[Ack](r, "replica.Ack")
	core.Register[Piece](r, "replica.Piece")
	core.Register[PieceAck](r, "replica.PieceAck")
}

var errTruncated = errors.New("truncated")

// AppendBinary encodes d as uvarint lo, uvarint hi, uvarint length, state.
func (d Delta) AppendBinary(b []byte) ([]byte, error) {
	b = binary.AppendUvarint(b, d.Lo)
	b = binary.AppendUvarint(b, d.Hi)
	return appendState(b, d.State), nil
}

// UnmarshalBinary decodes what AppendBinary wrote, refusing trailing bytes.
func (d *Delta) UnmarshalBinary(b []byte) error {
	r := reader{b: b}
	lo, hi := r.uvarint(), r.uvarint()
	state := r.state()
	if r.err != nil {
		return r.err
	}
	if hi < lo {
		return fmt.Errorf("interval [%d,%d) is empty", lo, hi)
	}
	*d = Delta{Lo: lo, Hi: hi, State: state}
	return nil
}

// AppendBinary encodes a as one uvarint.
func (a Ack) AppendBinary(b []byte) ([]byte, error) { return binary.AppendUvarint(b, a.Seq), nil }

// UnmarshalBinary decodes what AppendBinary wrote, refusing trailing bytes.
func (a *Ack) UnmarshalBinary(b []byte) error {
	r := reader{b: b}
	seq := r.uvarint()
	if err := r.end(); err != nil {
		return err
	}
	a.Seq = seq
	return nil
}

// AppendBinary encodes p as uvarints seq, index, count, length, then state.
func (p Piece) AppendBinary(b []byte) ([]byte, error) {
	b = binary.AppendUvarint(b, p.Seq)
	b = binary.AppendUvarint(b, uint64(p.Index))
	b = binary.AppendUvarint(b, uint64(p.Count))
	return appendState(b, p.State), nil
}

// UnmarshalBinary decodes what AppendBinary wrote, refusing trailing bytes
// and an index outside the count.
func (p *Piece) UnmarshalBinary(b []byte) error {
	r := reader{b: b}
	seq, index, count := r.uvarint(), r.uvarint(), r.uvarint()
	state := r.state()
	if r.err != nil {
		return r.err
	}
	if count > 1<<31 || index >= count {
		return fmt.Errorf("piece %d of %d", index, count)
	}
	*p = Piece{Seq: seq, Index: uint32(index), Count: uint32(count), State: state}
	return nil
}

// AppendBinary encodes a as uvarints seq, index.
func (a PieceAck) AppendBinary(b []byte) ([]byte, error) {
	b = binary.AppendUvarint(b, a.Seq)
	return binary.AppendUvarint(b, uint64(a.Index)), nil
}

// UnmarshalBinary decodes what AppendBinary wrote, refusing trailing bytes.
func (a *PieceAck) UnmarshalBinary(b []byte) error {
	r := reader{b: b}
	seq, index := r.uvarint(), r.uvarint()
	if err := r.end(); err != nil {
		return err
	}
	if index >= 1<<31 {
		return fmt.Errorf("piece index %d", index)
	}
	*a = PieceAck{Seq: seq, Index: uint32(index)}
	return nil
}

func appendState(b, state []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(state)))
	return append(b, state...)
}

// reader decodes the fields of a message; after the first error every read
// returns zero and err stays set.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[k:]
	return v
}

// state reads a length-prefixed state that must end the message; a state
// larger than MaxPiece cannot have been sent by a correct replica.
func (r *reader) state() []byte {
	n := r.uvarint()
	if r.err == nil && (n > MaxPiece || uint64(len(r.b)) != n) {
		r.err = errors.New("state length does not match the frame")
	}
	if r.err != nil {
		return nil
	}
	return append([]byte(nil), r.b...)
}

func (r *reader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = errors.New("trailing bytes")
	}
	return r.err
}
