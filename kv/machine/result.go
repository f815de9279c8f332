package machine

import "fmt"

// Status is how a command ended.
type Status uint8

// The statuses.
const (
	// OK: the command did what it says (a delete of an absent key too:
	// Existed says which).
	OK Status = iota + 1
	// NotFound: a Get found no such key.
	NotFound
	// Unswapped: a CAS found something else than it expected, and wrote
	// nothing; Found, Value and Revision say what it found.
	Unswapped
	// Invalid: the command was malformed or past the limits, and changed
	// nothing; Err says why. It is definite: retrying it cannot help.
	Invalid
)

func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case NotFound:
		return "not found"
	case Unswapped:
		return "not swapped"
	case Invalid:
		return "invalid"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Result is what a command returns.
type Result struct {
	Status Status
	// Revision: for a write that wrote, the revision it made; for a Get, a
	// CAS that did not swap, and a Delete that deleted, the revision of
	// the key it found; for a List and a Stat, the store's revision.
	Revision uint64
	// Found: a CAS that did not swap found the key present.
	Found bool
	// Value: what a Get read, or what a CAS that did not swap found.
	Value []byte
	// Existed: a Delete found the key (and deleted it).
	Existed bool
	// Items are what a List read, in key order; More says it stopped at
	// its limit (or MaxListBytes) and Items' last key is not the range's.
	Items []Item
	More  bool
	// Keys and Digest are what a Stat reads: how many keys the store
	// holds, and a digest of its keys, values and revisions (replicas
	// that applied the same commands have the same digest).
	Keys   int
	Digest uint64
	// Err says why a command is Invalid.
	Err string
}

// Item is one key a List read.
type Item struct {
	Key      string
	Value    []byte // nil with KeysOnly
	Revision uint64
}

const resultVersion = 1

// flags of a result.
const (
	resFound = 1 << iota
	resExisted
	resMore
)

// EncodeResult encodes r for the reply to a client.
func EncodeResult(r Result) []byte {
	size := 32 + len(r.Value) + len(r.Err)
	for _, it := range r.Items {
		size += 16 + len(it.Key) + len(it.Value)
	}
	b := make([]byte, 0, size)
	b = append(b, resultVersion, byte(r.Status))
	var f byte
	if r.Found {
		f |= resFound
	}
	if r.Existed {
		f |= resExisted
	}
	if r.More {
		f |= resMore
	}
	b = append(b, f)
	b = appendUvarint(b, r.Revision)
	b = appendBytes(b, r.Value)
	b = appendUvarint(b, uint64(len(r.Items)))
	for _, it := range r.Items {
		b = appendString(b, it.Key)
		b = appendBytes(b, it.Value)
		b = appendUvarint(b, it.Revision)
	}
	b = appendUvarint(b, uint64(r.Keys))
	b = appendUvarint(b, r.Digest)
	return appendString(b, r.Err)
}

// maxErr bounds the message of an Invalid result.
const maxErr = 4096

// DecodeResult decodes what EncodeResult wrote; it never panics.
func DecodeResult(data []byte) (Result, error) {
	rd := reader{b: data}
	if v := rd.byte(); rd.err == nil && v != resultVersion {
		return Result{}, fmt.Errorf("result encoding version %d, not %d", v, resultVersion)
	}
	r := Result{Status: Status(rd.byte())}
	if rd.err == nil && (r.Status < OK || r.Status > Invalid) {
		return Result{}, fmt.Errorf("unknown result status %d", uint8(r.Status))
	}
	f := rd.byte()
	if f&^(resFound|resExisted|resMore) != 0 {
		rd.fail("unknown result flags %#x", f)
	}
	r.Found, r.Existed, r.More = f&resFound != 0, f&resExisted != 0, f&resMore != 0
	r.Revision = rd.uvarint(1<<64 - 1)
	r.Value = rd.bytes(MaxValue)
	n := rd.uvarint(MaxListLimit)
	if n > 0 && rd.err == nil {
		r.Items = make([]Item, 0, n)
	}
	for range n {
		it := Item{Key: rd.string(MaxKey), Value: rd.bytes(MaxValue), Revision: rd.uvarint(1<<64 - 1)}
		if rd.err != nil {
			break
		}
		r.Items = append(r.Items, it)
	}
	r.Keys = int(rd.uvarint(1<<62 - 1))
	r.Digest = rd.uvarint(1<<64 - 1)
	r.Err = rd.string(maxErr)
	if err := rd.end(); err != nil {
		return Result{}, fmt.Errorf("malformed result: %w", err)
	}
	return r, nil
}

// invalid is the result of a command that is malformed or past the limits.
func invalid(err error) Result {
	msg := err.Error()
	if len(msg) > maxErr {
		msg = msg[:maxErr]
	}
	return Result{Status: Invalid, Err: msg}
}
