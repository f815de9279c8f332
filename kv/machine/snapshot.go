package machine

import (
	"fmt"
	"math"
)

const snapshotVersion = 1

// Snapshot encodes the whole state: a version byte, the revision, the
// number of keys, then every key in byte order with its revision and
// value. Equal states encode to equal bytes. The encoding may be far
// larger than one message; the log splits it.
func (m *Machine) Snapshot() ([]byte, error) {
	size := 24
	for k, e := range m.vals {
		size += len(k) + len(e.value) + 16
	}
	b := make([]byte, 0, size)
	b = append(b, snapshotVersion)
	b = appendUvarint(b, m.revision)
	b = appendUvarint(b, uint64(m.keys.len()))
	m.keys.ascend("", func(k string) bool {
		e := m.vals[k]
		b = appendString(b, k)
		b = appendUvarint(b, e.revision)
		b = appendBytes(b, e.value)
		return true
	})
	return b, nil
}

// Restore replaces the state with a snapshot's. A snapshot that does not
// decode — truncated, keys out of order or repeated, past the limits, a
// key's revision past the store's — is an error, and the state is left as
// it was.
func (m *Machine) Restore(snap []byte) error {
	r := reader{b: snap}
	if v := r.byte(); r.err == nil && v != snapshotVersion {
		return fmt.Errorf("kv snapshot: encoding version %d, not %d", v, snapshotVersion)
	}
	out := New()
	out.revision = r.uvarint(math.MaxUint64)
	// Every key takes at least 3 bytes: a bound on the count that a
	// hostile snapshot cannot turn into a huge allocation.
	n := r.uvarint(uint64(len(snap)) / 3)
	prev := ""
	for i := range n {
		k := r.string(MaxKey)
		rev := r.uvarint(out.revision)
		v := r.bytes(MaxValue)
		if r.err != nil {
			break
		}
		switch {
		case k == "":
			r.fail("key %d is empty", i)
		case i > 0 && k <= prev:
			r.fail("key %q comes after %q: keys must be in increasing order", k, prev)
		}
		if r.err != nil {
			break
		}
		prev = k
		e := &entry{value: v, revision: rev, hash: entryHash(k, v, rev)}
		out.vals[k] = e
		out.keys.insert(k)
		out.digest ^= e.hash
	}
	if err := r.end(); err != nil {
		return fmt.Errorf("kv snapshot: %w", err)
	}
	*m = *out
	return nil
}
