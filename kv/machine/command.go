package machine

import (
	"errors"
	"fmt"
	"strings"
)

// Limits on what a command may carry. A command travels in one batch of
// the log, and a batch in one message (core.MaxMessageSize, 4 MiB): a
// value of MaxValue leaves room for a batch's other commands and the
// message's framing, and a list's reply (MaxListBytes) fits a message
// that carries it back from the leader.
const (
	// MaxKey bounds a key, in bytes.
	MaxKey = 256
	// MaxValue bounds a value, in bytes (1 MiB).
	MaxValue = 1 << 20
	// MaxListLimit bounds the items one list returns; DefaultListLimit is
	// what a list without a limit returns at most.
	MaxListLimit     = 10000
	DefaultListLimit = 1000
	// MaxListBytes bounds a list's keys and values together: a list stops
	// before the item that would pass it (it returns at least one item).
	MaxListBytes = 2 << 20
)

// Kind is what a command does.
type Kind uint8

// The commands.
const (
	Put    Kind = iota + 1 // write Value under Key
	Delete                 // remove Key
	CAS                    // write Value under Key if it holds Expect (or is absent, with ExpectAbsent)
	Get                    // read Key
	List                   // read the keys in [Key, End), in order
	Stat                   // read the store's size, revision and digest
)

func (k Kind) String() string {
	switch k {
	case Put:
		return "put"
	case Delete:
		return "delete"
	case CAS:
		return "cas"
	case Get:
		return "get"
	case List:
		return "list"
	case Stat:
		return "stat"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// reads reports whether k leaves the state alone (what Query serves).
func (k Kind) reads() bool { return k == Get || k == List || k == Stat }

// Command is one operation on the store.
type Command struct {
	Kind Kind
	// Key is the key of Put, Delete, CAS and Get, and the first key of a
	// List (inclusive; "" lists from the first key). A List's bounds may
	// be one byte longer than a key, so that K+"\x00", the first key
	// after K, is one.
	Key string
	// Value is what Put and CAS write.
	Value []byte
	// Expect is what CAS compares the key's value with; ExpectAbsent makes
	// it compare with an absent key instead.
	Expect       []byte
	ExpectAbsent bool
	// End bounds a List (exclusive; "" for no bound). Limit is the most
	// items it returns (0: DefaultListLimit); KeysOnly leaves the values
	// out.
	End      string
	Limit    int
	KeysOnly bool
}

// PrefixEnd is the first key after every key that starts with prefix: a
// List from prefix to PrefixEnd(prefix) lists the keys with that prefix.
// It is "" (no bound) when no key is past them (an empty prefix, or one of
// 0xff bytes only).
func PrefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

// Validate checks a command against the limits; DecodeCommand applies it
// to every command it decodes.
func (c Command) Validate() error {
	switch c.Kind {
	case Put, Delete, CAS, Get:
		if err := checkKey(c.Key); err != nil {
			return err
		}
	case List:
		if len(c.Key) > MaxKey+1 || len(c.End) > MaxKey+1 {
			return fmt.Errorf("a list's bounds have at most %d bytes", MaxKey+1)
		}
		if c.End != "" && c.End <= c.Key {
			return fmt.Errorf("empty range: the end %q is not after the start %q", c.End, c.Key)
		}
		if c.Limit < 0 || c.Limit > MaxListLimit {
			return fmt.Errorf("a list's limit is 0 (the default, %d) to %d, not %d", DefaultListLimit, MaxListLimit, c.Limit)
		}
	case Stat:
	default:
		return fmt.Errorf("unknown command kind %d", uint8(c.Kind))
	}
	if len(c.Value) > MaxValue || len(c.Expect) > MaxValue {
		return fmt.Errorf("value of %d bytes; values have at most %d", max(len(c.Value), len(c.Expect)), MaxValue)
	}
	return nil
}

func checkKey(k string) error {
	switch {
	case k == "":
		return errors.New("empty key")
	case len(k) > MaxKey:
		return fmt.Errorf("key of %d bytes; keys have at most %d", len(k), MaxKey)
	}
	return nil
}

func (c Command) String() string {
	switch c.Kind {
	case Put:
		return fmt.Sprintf("put(%q, %d bytes)", c.Key, len(c.Value))
	case CAS:
		exp := fmt.Sprintf("%d bytes", len(c.Expect))
		if c.ExpectAbsent {
			exp = "absent"
		}
		return fmt.Sprintf("cas(%q, %s → %d bytes)", c.Key, exp, len(c.Value))
	case List:
		var b strings.Builder
		fmt.Fprintf(&b, "list[%q, %q) limit %d", c.Key, c.End, c.Limit)
		if c.KeysOnly {
			b.WriteString(" keys only")
		}
		return b.String()
	case Stat:
		return "stat"
	}
	return fmt.Sprintf("%v(%q)", c.Kind, c.Key)
}

// commandVersion is the first byte of every encoded command, so that a
// later encoding can be told apart from this one.
const commandVersion = 1

// flags of a CAS and a List.
const (
	flagExpectAbsent = 1 << iota
	flagKeysOnly
)

// EncodeCommand encodes c for the log. It refuses a command Validate
// refuses: what the leader proposes decodes everywhere.
func EncodeCommand(c Command) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 16+len(c.Key)+len(c.Value)+len(c.Expect)+len(c.End))
	b = append(b, commandVersion, byte(c.Kind))
	switch c.Kind {
	case Put:
		b = appendBytes(appendString(b, c.Key), c.Value)
	case Delete, Get:
		b = appendString(b, c.Key)
	case CAS:
		b = appendString(b, c.Key)
		if c.ExpectAbsent {
			b = append(b, flagExpectAbsent)
		} else {
			b = appendBytes(append(b, 0), c.Expect)
		}
		b = appendBytes(b, c.Value)
	case List:
		b = appendString(appendString(b, c.Key), c.End)
		b = appendUvarint(b, uint64(c.Limit))
		var f byte
		if c.KeysOnly {
			f = flagKeysOnly
		}
		b = append(b, f)
	}
	return b, nil
}

// DecodeCommand decodes what EncodeCommand wrote. It never panics: bad
// bytes, trailing bytes and commands past the limits are errors.
func DecodeCommand(data []byte) (Command, error) {
	r := reader{b: data}
	if v := r.byte(); r.err == nil && v != commandVersion {
		return Command{}, fmt.Errorf("command encoding version %d, not %d", v, commandVersion)
	}
	c := Command{Kind: Kind(r.byte())}
	switch c.Kind {
	case Put:
		c.Key, c.Value = r.string(MaxKey), r.bytes(MaxValue)
	case Delete, Get:
		c.Key = r.string(MaxKey)
	case CAS:
		c.Key = r.string(MaxKey)
		switch r.byte() {
		case flagExpectAbsent:
			c.ExpectAbsent = true
		case 0:
			c.Expect = r.bytes(MaxValue)
		default:
			r.fail("unknown CAS flags")
		}
		c.Value = r.bytes(MaxValue)
	case List:
		c.Key, c.End = r.string(MaxKey+1), r.string(MaxKey+1)
		c.Limit = int(r.uvarint(MaxListLimit))
		switch r.byte() {
		case 0:
		case flagKeysOnly:
			c.KeysOnly = true
		default:
			r.fail("unknown list flags")
		}
	case Stat:
	default:
		if r.err == nil {
			return Command{}, fmt.Errorf("unknown command kind %d", uint8(c.Kind))
		}
	}
	if err := r.end(); err != nil {
		return Command{}, fmt.Errorf("malformed command: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Command{}, err
	}
	return c, nil
}
