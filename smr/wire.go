package smr

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
)

// The messages replicas exchange beside the runtime's rounds. Each has a
// compact binary encoding (uvarints, length-prefixed bytes); decoders
// refuse truncated input and trailing bytes.

// Forward carries a command from the replica that took it to the leader.
// Its reply does not travel back: the replica answers when it applies the
// command itself.
type Forward struct {
	Client, Seq uint64
	Cmd         []byte
}

// Ping asks every peer for a Pong. Seq > 0 names a read-index round; the
// leader's heartbeats have Seq 0. Both carry the sender's Highest instance
// seen and its Applied index, so that peers learn who is ahead.
type Ping struct {
	Seq, Highest, Applied uint64
}

// Pong answers a Ping with the answering node's Highest and Applied, read
// when the Ping arrived.
type Pong struct {
	Seq, Highest, Applied uint64
}

// Fetch asks a peer for its log from index From on.
type Fetch struct {
	From uint64
}

// Entries is a piece of a log: Values[i] is the batch decided at index
// From+i. At least one entry, at most fetchBytes beyond the first.
type Entries struct {
	From   uint64
	Values []string
}

// SnapChunk is the piece at Offset of the snapshot at Index, Total bytes
// long: the answer to a Fetch below the sender's log (its first piece) or
// to a FetchSnap.
type SnapChunk struct {
	Index, Total, Offset uint64
	Data                 []byte
}

// FetchSnap asks for the piece at Offset of the snapshot at Index.
type FetchSnap struct {
	Index, Offset uint64
}

// Register adds the log's messages, and those of the runtime underneath,
// to a codec registry.
func Register(r *core.Registry) {
	rounds.RegisterRuntime(algos.MultiPaxos[string](), r)
	core.Register[Forward](r, "smr.Forward")
	core.Register[Ping](r, "smr.Ping")
	core.Register[Pong](r, "smr.Pong")
	core.Register[Fetch](r, "smr.Fetch")
	core.Register[Entries](r, "smr.Entries")
	core.Register[SnapChunk](r, "smr.SnapChunk")
	core.Register[FetchSnap](r, "smr.FetchSnap")
}

var errTruncated = errors.New("truncated")

// reader decodes uvarints and length-prefixed bytes, remembering the first
// error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) u() uint64 {
	if r.err != nil {
		return 0
	}
	x, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[k:]
	return x
}

// bytes returns the next length-prefixed field (aliasing the input).
func (r *reader) bytes() []byte {
	l := r.u()
	if r.err != nil {
		return nil
	}
	if l > uint64(len(r.b)) {
		r.err = fmt.Errorf("%w: a field of %d bytes, %d left", errTruncated, l, len(r.b))
		return nil
	}
	f := r.b[:l:l]
	r.b = r.b[l:]
	return f
}

// end reports the first error, or trailing bytes.
func (r *reader) end(what string) error {
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%d trailing bytes", len(r.b))
	}
	if r.err != nil {
		return fmt.Errorf("smr: %s: %w", what, r.err)
	}
	return nil
}

func appendBytes(b, f []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(f))), f...)
}

// AppendBinary encodes f as client ‖ seq ‖ command.
func (f Forward) AppendBinary(b []byte) ([]byte, error) {
	b = binary.AppendUvarint(b, f.Client)
	b = binary.AppendUvarint(b, f.Seq)
	return appendBytes(b, f.Cmd), nil
}

// UnmarshalBinary decodes what AppendBinary wrote.
func (f *Forward) UnmarshalBinary(b []byte) error {
	r := reader{b: b}
	out := Forward{Client: r.u(), Seq: r.u()}
	out.Cmd = append([]byte(nil), r.bytes()...)
	if err := r.end("Forward"); err != nil {
		return err
	}
	*f = out
	return nil
}

func appendTriple(b []byte, x, y, z uint64) []byte {
	b = binary.AppendUvarint(b, x)
	b = binary.AppendUvarint(b, y)
	return binary.AppendUvarint(b, z)
}

// AppendBinary encodes p as three uvarints.
func (p Ping) AppendBinary(b []byte) ([]byte, error) {
	return appendTriple(b, p.Seq, p.Highest, p.Applied), nil
}

// UnmarshalBinary decodes what AppendBinary wrote.
func (p *Ping) UnmarshalBinary(b []byte) error {
	r := reader{b: b}
	out := Ping{Seq: r.u(), Highest: r.u(), Applied: r.u()}
	if err := r.end("Ping"); err != nil {
		return err
	}
	*p = out
	return nil
}

// AppendBinary encodes p as three uvarints.
func (p Pong) AppendBinary(b []byte) ([]byte, error) {
	return appendTriple(b, p.Seq, p.Highest, p.Applied), nil
}

// UnmarshalBinary decodes what AppendBinary wrote.
func (p *Pong) UnmarshalBinary(b []byte) error {
	r := reader{b: b}
	out := Pong{Seq: r.u(), Highest: r.u(), Applied: r.u()}
	if err := r.end("Pong"); err != nil {
		return err
	}
	*p = out
	return nil
}

// AppendBinary encodes f as a uvarint.
func (f Fetch) AppendBinary(b []byte) ([]byte, error) {
	return binary.AppendUvarint(b, f.From), nil
}

// UnmarshalBinary decodes what AppendBinary wrote.
func (f *Fetch) UnmarshalBinary(b []byte) error {
	r := reader{b: b}
	out := Fetch{From: r.u()}
	if err := r.end("Fetch"); err != nil {
		return err
	}
	*f = out
	return nil
}

// AppendBinary encodes e as from ‖ count ‖ values.
func (e Entries) AppendBinary(b []byte) ([]byte, error) {
	b = binary.AppendUvarint(b, e.From)
	b = binary.AppendUvarint(b, uint64(len(e.Values)))
	for _, v := range e.Values {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b, nil
}

// UnmarshalBinary decodes what AppendBinary wrote.
func (e *Entries) UnmarshalBinary(b []byte) error {
	r := reader{b: b}
	out := Entries{From: r.u()}
	n := r.u()
	if n > uint64(len(r.b)) { // each value takes a byte at least
		r.err = fmt.Errorf("%w: %d values in %d bytes", errTruncated, n, len(r.b))
	}
	for i := uint64(0); i < n && r.err == nil; i++ {
		out.Values = append(out.Values, string(r.bytes()))
	}
	if err := r.end("Entries"); err != nil {
		return err
	}
	*e = out
	return nil
}

// AppendBinary encodes c as index ‖ total ‖ offset ‖ data.
func (c SnapChunk) AppendBinary(b []byte) ([]byte, error) {
	b = appendTriple(b, c.Index, c.Total, c.Offset)
	return appendBytes(b, c.Data), nil
}

// UnmarshalBinary decodes what AppendBinary wrote.
func (c *SnapChunk) UnmarshalBinary(b []byte) error {
	r := reader{b: b}
	out := SnapChunk{Index: r.u(), Total: r.u(), Offset: r.u()}
	out.Data = append([]byte(nil), r.bytes()...)
	if err := r.end("SnapChunk"); err != nil {
		return err
	}
	*c = out
	return nil
}

// AppendBinary encodes f as two uvarints.
func (f FetchSnap) AppendBinary(b []byte) ([]byte, error) {
	b = binary.AppendUvarint(b, f.Index)
	return binary.AppendUvarint(b, f.Offset), nil
}

// UnmarshalBinary decodes what AppendBinary wrote.
func (f *FetchSnap) UnmarshalBinary(b []byte) error {
	r := reader{b: b}
	out := FetchSnap{Index: r.u(), Offset: r.u()}
	if err := r.end("FetchSnap"); err != nil {
		return err
	}
	*f = out
	return nil
}

func (f Forward) String() string {
	return fmt.Sprintf("Forward{c%d#%d %d bytes}", f.Client, f.Seq, len(f.Cmd))
}
func (e Entries) String() string {
	n := 0
	for _, v := range e.Values {
		n += len(v)
	}
	return fmt.Sprintf("Entries{@%d ×%d, %d bytes}", e.From, len(e.Values), n)
}
func (c SnapChunk) String() string {
	return fmt.Sprintf("SnapChunk{@%d %d+%d/%d}", c.Index, c.Offset, len(c.Data), c.Total)
}
