package broadcast

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/rondo-dev/rondo/core"
)

// MaxPayload bounds a broadcast payload on the wire.
const MaxPayload = 1 << 20

// Data carries one broadcast message, from its origin or relayed.
type Data struct {
	Origin  core.NodeID
	Seq     uint64
	Payload string
}

// Ack tells the sender of a Data that it arrived, ending its retransmission.
type Ack struct {
	Origin core.NodeID
	Seq    uint64
}

// Delivery is the output of a node delivering a broadcast message.
type Delivery struct {
	Origin  core.NodeID `json:"origin"`
	Seq     uint64      `json:"seq"`
	Payload string      `json:"payload"`
}

func (d Data) String() string { return fmt.Sprintf("Data{%d/%d %q}", d.Origin, d.Seq, d.Payload) }
func (a Ack) String() string  { return fmt.Sprintf("Ack{%d/%d}", a.Origin, a.Seq) }
func (d Delivery) String() string {
	return fmt.Sprintf("Delivery{%d/%d %q}", d.Origin, d.Seq, d.Payload)
}

// Register adds the broadcast message types to a codec registry.
func Register(r *core.Registry) {
	core.Register[Data](r, "broadcast.Data")
	core.Register[Ack](r, "broadcast.Ack")
}

// AppendBinary encodes d as uvarint origin, uvarint seq, uvarint length, payload.
func (d Data) AppendBinary(b []byte) ([]byte, error) {
	b = binary.AppendUvarint(b, uint64(d.Origin))
	b = binary.AppendUvarint(b, d.Seq)
	b = binary.AppendUvarint(b, uint64(len(d.Payload)))
	return append(b, d.Payload...), nil
}

var errShort = errors.New("truncated")

// UnmarshalBinary decodes what AppendBinary wrote, refusing trailing bytes.
func (d *Data) UnmarshalBinary(b []byte) error {
	origin, k := binary.Uvarint(b)
	if k <= 0 || origin > 1<<32-1 {
		return fmt.Errorf("origin: %w", errShort)
	}
	b = b[k:]
	seq, k := binary.Uvarint(b)
	if k <= 0 {
		return fmt.Errorf("seq: %w", errShort)
	}
	b = b[k:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > MaxPayload || uint64(len(b)-k) != n {
		return fmt.Errorf("payload length does not match the frame")
	}
	*d = Data{Origin: core.NodeID(origin), Seq: seq, Payload: string(b[k:])}
	return nil
}

// AppendBinary encodes a as uvarint origin, uvarint seq.
func (a Ack) AppendBinary(b []byte) ([]byte, error) {
	b = binary.AppendUvarint(b, uint64(a.Origin))
	return binary.AppendUvarint(b, a.Seq), nil
}

// UnmarshalBinary decodes what AppendBinary wrote, refusing trailing bytes.
func (a *Ack) UnmarshalBinary(b []byte) error {
	origin, k := binary.Uvarint(b)
	if k <= 0 || origin > 1<<32-1 {
		return fmt.Errorf("origin: %w", errShort)
	}
	seq, k2 := binary.Uvarint(b[k:])
	if k2 <= 0 || k+k2 != len(b) {
		return fmt.Errorf("seq: %w", errShort)
	}
	*a = Ack{Origin: core.NodeID(origin), Seq: seq}
	return nil
}
