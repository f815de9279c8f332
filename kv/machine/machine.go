package machine

import (
	"bytes"
	"encoding/binary"
	"hash/fnv"
)

// entry is what a key holds.
type entry struct {
	value    []byte
	revision uint64 // the store's revision when the key was last written
	hash     uint64 // the entry's share of the digest
}

// Machine is the key-value state machine: Apply, Query, Snapshot and
// Restore, the methods smr.StateMachine asks for. It is not safe for
// concurrent use: the log calls it from its node's goroutine.
type Machine struct {
	vals     map[string]*entry
	keys     index
	revision uint64 // mutations applied so far
	digest   uint64 // xor of the entries' hashes
}

// New returns an empty store.
func New() *Machine { return &Machine{vals: map[string]*entry{}} }

// Apply executes an encoded command and returns its encoded Result. Any
// command may be applied (a read through the log is linearizable); a
// malformed one changes nothing and yields an Invalid result.
func (m *Machine) Apply(cmd []byte) []byte {
	c, err := DecodeCommand(cmd)
	if err != nil {
		return EncodeResult(invalid(err))
	}
	return EncodeResult(m.Execute(c))
}

// Query executes an encoded read (Get, List, Stat) without changing the
// state: what the log's linearizable reads call. A write yields an
// Invalid result.
func (m *Machine) Query(q []byte) []byte {
	c, err := DecodeCommand(q)
	if err != nil {
		return EncodeResult(invalid(err))
	}
	if !c.Kind.reads() {
		return EncodeResult(Result{Status: Invalid, Err: c.Kind.String() + " is a write: it goes through the log, not a read"})
	}
	return EncodeResult(m.Execute(c))
}

// Execute runs a decoded command. The command's byte slices are copied
// before the store keeps them; the values of the Result are the store's
// own and must not be modified.
func (m *Machine) Execute(c Command) Result {
	if err := c.Validate(); err != nil {
		return invalid(err)
	}
	switch c.Kind {
	case Put:
		return Result{Status: OK, Revision: m.write(c.Key, c.Value)}
	case Delete:
		e := m.vals[c.Key]
		if e == nil {
			return Result{Status: OK}
		}
		m.remove(c.Key, e)
		return Result{Status: OK, Existed: true, Revision: e.revision}
	case CAS:
		e := m.vals[c.Key]
		if c.ExpectAbsent && e == nil || !c.ExpectAbsent && e != nil && bytes.Equal(e.value, c.Expect) {
			return Result{Status: OK, Revision: m.write(c.Key, c.Value)}
		}
		if e == nil {
			return Result{Status: Unswapped}
		}
		return Result{Status: Unswapped, Found: true, Value: e.value, Revision: e.revision}
	case Get:
		e := m.vals[c.Key]
		if e == nil {
			return Result{Status: NotFound}
		}
		return Result{Status: OK, Value: e.value, Revision: e.revision}
	case List:
		return m.list(c)
	case Stat:
		return Result{Status: OK, Revision: m.revision, Keys: m.keys.len(), Digest: m.Digest()}
	}
	return Result{Status: Invalid, Err: "unknown command kind " + c.Kind.String()}
}

// write stores value under key as the next revision.
func (m *Machine) write(key string, value []byte) uint64 {
	m.revision++
	e := m.vals[key]
	if e == nil {
		e = &entry{}
		m.vals[key] = e
		m.keys.insert(key)
	} else {
		m.digest ^= e.hash
	}
	// A copy: the command's bytes belong to the log, which may reuse them.
	e.value = append([]byte(nil), value...)
	e.revision = m.revision
	e.hash = entryHash(key, e.value, e.revision)
	m.digest ^= e.hash
	return m.revision
}

func (m *Machine) remove(key string, e *entry) {
	m.revision++
	m.digest ^= e.hash
	delete(m.vals, key)
	m.keys.remove(key)
}

func (m *Machine) list(c Command) Result {
	limit := c.Limit
	if limit == 0 {
		limit = DefaultListLimit
	}
	r := Result{Status: OK, Revision: m.revision}
	size := 0
	m.keys.ascend(c.Key, func(k string) bool {
		if c.End != "" && k >= c.End {
			return false
		}
		if len(r.Items) == limit {
			r.More = true
			return false
		}
		e := m.vals[k]
		it := Item{Key: k, Revision: e.revision}
		if !c.KeysOnly {
			it.Value = e.value
		}
		size += len(k) + len(it.Value)
		if size > MaxListBytes && len(r.Items) > 0 {
			r.More = true
			return false
		}
		r.Items = append(r.Items, it)
		return true
	})
	return r
}

// Len is the number of keys.
func (m *Machine) Len() int { return m.keys.len() }

// Revision is the number of mutations applied.
func (m *Machine) Revision() uint64 { return m.revision }

// Digest summarises the state: equal states have equal digests (and
// unequal ones almost surely differ). It is kept up to date at every
// write, so reading it costs nothing.
func (m *Machine) Digest() uint64 {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], m.revision)
	h := fnv.New64a()
	h.Write(b[:])
	return h.Sum64() ^ m.digest
}

// entryHash is an entry's share of the digest: FNV-1a of the key, its
// length, the value and the revision, so that no two entries that differ
// share it by construction.
func entryHash(key string, value []byte, rev uint64) uint64 {
	h := fnv.New64a()
	var b [binary.MaxVarintLen64 * 2]byte
	n := binary.PutUvarint(b[:], uint64(len(key)))
	h.Write(b[:n])
	h.Write([]byte(key))
	n = binary.PutUvarint(b[:], rev)
	h.Write(b[:n])
	h.Write(value)
	return h.Sum64()
}
