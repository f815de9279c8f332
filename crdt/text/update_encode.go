package text

import (
	"github.com/rondo-dev/rondo/crdt/internal/wire"
)

// Binary encoding of an Update:
//
//	update = 0x03 count {agent seq left right text [deleted]} count {agent seq n}
//
// with IDs as uvarints and an origin as agent+1 then seq (0 for None);
// deleted (the tombstone count) follows an empty text only. Version 2, the
// same without tombstones, still decodes (documents persisted by earlier
// releases carry it in their waiting section).
const (
	updateVersion   = 3
	updateVersionV2 = 2
)

var errUpdate = ErrMalformed

// AppendBinary appends the encoding of u (encoding.BinaryAppender).
func (u Update) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, updateVersion)
	b = wire.AppendUvarint(b, uint64(len(u.Inserts)))
	for _, in := range u.Inserts {
		b = wire.AppendUvarint(b, uint64(in.ID.Agent))
		b = wire.AppendUvarint(b, uint64(in.ID.Seq))
		b = appendID(b, in.Left)
		b = appendID(b, in.Right)
		b = wire.AppendString(b, in.Text)
		if in.Text == "" {
			b = wire.AppendUvarint(b, uint64(in.Deleted))
		}
	}
	b = wire.AppendUvarint(b, uint64(len(u.Deletes)))
	for _, s := range u.Deletes {
		b = wire.AppendUvarint(b, uint64(s.Agent))
		b = wire.AppendUvarint(b, uint64(s.Seq))
		b = wire.AppendUvarint(b, uint64(s.N))
	}
	return b, nil
}

// MarshalBinary is AppendBinary into a fresh slice.
func (u Update) MarshalBinary() ([]byte, error) { return u.AppendBinary(nil) }

func appendID(b []byte, id ID) []byte {
	if id == none {
		return append(b, 0)
	}
	b = wire.AppendUvarint(b, uint64(id.Agent)+1)
	return wire.AppendUvarint(b, uint64(id.Seq))
}

func readID(r *wire.Reader) ID {
	a := r.Uint(uint64(NoAgent))
	if a == 0 {
		return none
	}
	return ID{uint32(a - 1), uint32(r.Uint(MaxChars))}
}

// UnmarshalBinary decodes an Update; it never panics on malformed input.
// It checks the encoding, not the meaning: Apply refuses what an honest
// replica would not send.
func (u *Update) UnmarshalBinary(data []byte) error {
	*u = Update{}
	r := wire.NewReader(data)
	v := r.Byte()
	if v != updateVersion && v != updateVersionV2 {
		return errUpdate
	}
	n := r.Count(5)
	for range n {
		var in Insert
		in.ID.Agent = uint32(r.Uint(uint64(NoAgent) - 1))
		in.ID.Seq = uint32(r.Uint(MaxChars))
		in.Left = readID(r)
		in.Right = readID(r)
		in.Text = r.String()
		if in.Text == "" && v == updateVersion {
			in.Deleted = uint32(r.Uint(MaxChars))
		}
		if r.Err() != nil {
			break
		}
		u.Inserts = append(u.Inserts, in)
	}
	n = r.Count(3)
	for range n {
		var s Span
		s.Agent = uint32(r.Uint(uint64(NoAgent) - 1))
		s.Seq = uint32(r.Uint(MaxChars))
		s.N = uint32(r.Uint(MaxChars))
		if r.Err() != nil {
			break
		}
		u.Deletes = append(u.Deletes, s)
	}
	if err := r.Done(); err != nil {
		*u = Update{}
		return err
	}
	return nil
}
