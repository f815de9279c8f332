package history

import (
	"fmt"
	"strconv"
	"time"
)

// Kind is what an operation does.
type Kind uint8

// The operations of the key-value model.
const (
	Get    Kind = iota + 1 // read a key
	Put                    // write a key
	Delete                 // remove a key
	CAS                    // compare-and-set: write Value if the key holds Expect (or is absent, with ExpectAbsent)
)

// MarshalText writes a kind as its name, so that a history file reads as
// "get", "put", "delete", "cas".
func (k Kind) MarshalText() ([]byte, error) {
	if k < Get || k > CAS {
		return nil, fmt.Errorf("history: unknown operation kind %d", k)
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	for c := Get; c <= CAS; c++ {
		if string(b) == c.String() {
			*k = c
			return nil
		}
	}
	return fmt.Errorf("unknown operation kind %q (get, put, delete, cas)", b)
}

func (k Kind) String() string {
	switch k {
	case Get:
		return "get"
	case Put:
		return "put"
	case Delete:
		return "delete"
	case CAS:
		return "cas"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Op is one client operation and what the client learned of it.
type Op struct {
	// Client names the client that issued it; one client issues one
	// operation at a time.
	Client int    `json:"client"`
	Kind   Kind   `json:"kind"`
	Key    string `json:"key"`
	// Value is what Put and CAS write.
	Value string `json:"value,omitempty"`
	// Expect is what CAS compares with; ExpectAbsent makes it compare with
	// an absent key instead.
	Expect       string `json:"expect,omitempty"`
	ExpectAbsent bool   `json:"expect_absent,omitempty"`

	// Call and Return are when the client sent the request and when it got
	// the answer, on one clock shared by every client of the record.
	Call   time.Duration `json:"call"`
	Return time.Duration `json:"return"`
	// Unknown marks an operation whose outcome the client never learned:
	// it may or may not have taken effect. Return is then meaningless.
	Unknown bool `json:"unknown,omitempty"`

	// Found and Got are what a Get read (Found false: the key was absent).
	Found bool   `json:"found,omitempty"`
	Got   string `json:"got,omitempty"`
	// Swapped is whether a CAS wrote.
	Swapped bool `json:"swapped,omitempty"`
}

func (o Op) String() string {
	var s string
	switch o.Kind {
	case Get:
		s = fmt.Sprintf("get(%q)", o.Key)
		if !o.Unknown {
			if o.Found {
				s += fmt.Sprintf(" → %q", short(o.Got))
			} else {
				s += " → absent"
			}
		}
	case Put:
		s = fmt.Sprintf("put(%q, %q)", o.Key, short(o.Value))
	case Delete:
		s = fmt.Sprintf("delete(%q)", o.Key)
	case CAS:
		exp := strconv.Quote(short(o.Expect))
		if o.ExpectAbsent {
			exp = "absent"
		}
		s = fmt.Sprintf("cas(%q, %s → %q)", o.Key, exp, short(o.Value))
		if !o.Unknown {
			s += map[bool]string{true: " swapped", false: " not swapped"}[o.Swapped]
		}
	default:
		s = o.Kind.String()
	}
	if o.Unknown {
		s += " (outcome unknown)"
	}
	return s
}

// short keeps long values readable in reports.
func short(v string) string {
	if len(v) <= 24 {
		return v
	}
	return fmt.Sprintf("%s…(%d bytes)", v[:16], len(v))
}
