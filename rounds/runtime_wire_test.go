package rounds

import (
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/core"
)

// jsonMsg has a field encoding/binary cannot size (int), so its body
// travels as JSON.
type jsonMsg struct {
	A int
	B bool
}

func wireRegistry() *core.Registry {
	r := &core.Registry{}
	RegisterRuntime(minFlood(), r)
	core.Register[Msg[jsonMsg]](r, "rounds/jsonmsg/msg")
	core.Register[DecidedOf[string]](r, "rounds.Decided[string]")
	return r
}

// Every wire type survives the codec, with the payload encoded compactly
// (fixed-size fields) or as JSON (anything else).
func TestWireMessagesRoundTripThroughTheCodec(t *testing.T) {
	r := wireRegistry()
	for _, m := range []any{
		Msg[minMsg]{Instance: 1 << 63, Round: 12345, Body: minMsg{X: -7}},
		Msg[jsonMsg]{Instance: 3, Round: 0, Body: jsonMsg{A: 42, B: true}},
		Decided{Instance: 99, Value: -1},
		Ask{Instance: 1<<64 - 1},
		Ahead{Instance: 5, Round: 77},
		Grant{Ballot: 1 << 20, Horizon: 1<<64 - 1},
		Solicit{Ballot: 3},
		DecidedOf[string]{Instance: 7, Value: strings.Repeat("v", 70000)},
	} {
		b, err := r.Append(nil, m)
		if err != nil {
			t.Fatalf("%v: %v", m, err)
		}
		back, err := r.Decode(b)
		if err != nil {
			t.Fatalf("%v: %v", m, err)
		}
		if back != m {
			t.Fatalf("%v came back as %v", m, back)
		}
	}
	b, _ := r.Append(nil, Msg[minMsg]{Instance: 1, Round: 2, Body: minMsg{X: 3}})
	if len(b) > 32 {
		t.Fatalf("a one-value round message takes %d bytes", len(b))
	}
}

// Truncated, padded or out-of-range encodings are refused, never a panic.
func TestMalformedWireMessagesAreRefused(t *testing.T) {
	r := wireRegistry()
	good, _ := r.Append(nil, Msg[minMsg]{Instance: 1, Round: 2, Body: minMsg{X: 3}})
	for i := range good {
		if _, err := r.Decode(good[:i]); err == nil {
			t.Fatalf("a %d-byte prefix decoded", i)
		}
	}
	if _, err := r.Decode(append(good, 0)); err == nil {
		t.Fatal("a trailing byte was accepted")
	}
	huge, _ := r.Append(nil, Ahead{Instance: 1, Round: MaxWireRound})
	huge[len(huge)-1]++ // past MaxWireRound
	if _, err := r.Decode(huge); err == nil {
		t.Fatal("a round beyond MaxWireRound was accepted")
	}
	for _, m := range []any{Grant{Ballot: MaxWireRound + 1}, Solicit{Ballot: MaxWireRound + 1}} {
		b, _ := r.Append(nil, m)
		if _, err := r.Decode(b); err == nil {
			t.Fatalf("%v: a ballot beyond MaxWireRound was accepted", m)
		}
	}
	// A string value whose length says more than the message holds.
	long, _ := r.Append(nil, DecidedOf[string]{Instance: 1, Value: "abc"})
	if _, err := r.Decode(long[:len(long)-1]); err == nil {
		t.Fatal("a truncated value was accepted")
	}
}

func FuzzDecodeWire(f *testing.F) {
	r := wireRegistry()
	for _, m := range []any{Msg[minMsg]{Instance: 1, Round: 2, Body: minMsg{X: 3}},
		Msg[jsonMsg]{Body: jsonMsg{A: 1}}, Decided{Instance: 1}, Ask{Instance: 2}, Ahead{Instance: 3, Round: 4},
		Grant{Ballot: 1, Horizon: 9}, Solicit{Ballot: 2}, DecidedOf[string]{Instance: 3, Value: "x"}} {
		b, _ := r.Append(nil, m)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := r.Decode(data)
		if err != nil {
			return
		}
		b, err := r.Append(nil, m)
		if err != nil {
			t.Fatalf("decoded %v does not encode: %v", m, err)
		}
		if _, err := r.Decode(b); err != nil {
			t.Fatalf("re-encoding of %v does not decode: %v", m, err)
		}
	})
}
