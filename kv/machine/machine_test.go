package machine

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// run encodes c, applies it and decodes the result, as the log would.
func run(t testing.TB, m *Machine, c Command) Result {
	t.Helper()
	b, err := EncodeCommand(c)
	if err != nil {
		t.Fatalf("%v: %v", c, err)
	}
	r, err := DecodeResult(m.Apply(b))
	if err != nil {
		t.Fatalf("%v: result: %v", c, err)
	}
	return r
}

func TestAStoreAnswersPutGetDeleteAndCompareAndSet(t *testing.T) {
	m := New()
	if r := run(t, m, Command{Kind: Get, Key: "x"}); r.Status != NotFound {
		t.Fatalf("get of an absent key: %+v", r)
	}
	if r := run(t, m, Command{Kind: Put, Key: "x", Value: []byte("1")}); r.Status != OK || r.Revision != 1 {
		t.Fatalf("put: %+v", r)
	}
	if r := run(t, m, Command{Kind: Get, Key: "x"}); r.Status != OK || string(r.Value) != "1" || r.Revision != 1 {
		t.Fatalf("get: %+v", r)
	}
	// A CAS that expects the wrong value writes nothing and says what it found.
	r := run(t, m, Command{Kind: CAS, Key: "x", Expect: []byte("0"), Value: []byte("2")})
	if r.Status != Unswapped || !r.Found || string(r.Value) != "1" || r.Revision != 1 {
		t.Fatalf("cas on the wrong value: %+v", r)
	}
	if r := run(t, m, Command{Kind: CAS, Key: "x", ExpectAbsent: true, Value: []byte("2")}); r.Status != Unswapped || !r.Found {
		t.Fatalf("cas expecting absence on a present key: %+v", r)
	}
	if r := run(t, m, Command{Kind: CAS, Key: "x", Expect: []byte("1"), Value: []byte("2")}); r.Status != OK || r.Revision != 2 {
		t.Fatalf("cas on the right value: %+v", r)
	}
	if r := run(t, m, Command{Kind: Delete, Key: "x"}); r.Status != OK || !r.Existed || r.Revision != 2 {
		t.Fatalf("delete: %+v", r)
	}
	if r := run(t, m, Command{Kind: Delete, Key: "x"}); r.Status != OK || r.Existed {
		t.Fatalf("delete of an absent key: %+v", r)
	}
	if r := run(t, m, Command{Kind: CAS, Key: "x", Expect: []byte("2"), Value: []byte("3")}); r.Status != Unswapped || r.Found {
		t.Fatalf("cas on an absent key: %+v", r)
	}
	if r := run(t, m, Command{Kind: CAS, Key: "x", ExpectAbsent: true, Value: []byte("")}); r.Status != OK {
		t.Fatalf("cas expecting absence on an absent key: %+v", r)
	}
	// An empty value is a value: the key is present.
	if r := run(t, m, Command{Kind: Get, Key: "x"}); r.Status != OK || len(r.Value) != 0 {
		t.Fatalf("get of an empty value: %+v", r)
	}
	if r := run(t, m, Command{Kind: Stat}); r.Keys != 1 || r.Revision != 4 || r.Digest != m.Digest() {
		t.Fatalf("stat: %+v", r)
	}
}

func TestTheStoreKeepsItsOwnCopyOfWhatItIsGiven(t *testing.T) {
	m := New()
	v := []byte("value")
	m.Execute(Command{Kind: Put, Key: "k", Value: v})
	copy(v, "XXXXX")
	if r := m.Execute(Command{Kind: Get, Key: "k"}); string(r.Value) != "value" {
		t.Fatalf("the store shares the caller's bytes: %q", r.Value)
	}
}

// reference is the obvious sorted map the machine is compared with.
type reference map[string]string

func (ref reference) list(from, end string, limit int) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(ref)) {
		if k >= from && (end == "" || k < end) && len(out) < limit {
			out = append(out, k+"="+ref[k])
		}
	}
	return out
}

func listed(r Result) []string {
	var out []string
	for _, it := range r.Items {
		out = append(out, it.Key+"="+string(it.Value))
	}
	return out
}

func TestListsByPrefixAndRangeMatchASortedMapThroughThousandsOfWritesAndDeletes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m, ref := New(), reference{}
	key := func() string { return fmt.Sprintf("k%02d/%04d", rng.IntN(40), rng.IntN(300)) }
	for i := range 30000 {
		k := key()
		if rng.IntN(3) == 0 {
			m.Execute(Command{Kind: Delete, Key: k})
			delete(ref, k)
		} else {
			v := fmt.Sprint(i)
			m.Execute(Command{Kind: Put, Key: k, Value: []byte(v)})
			ref[k] = v
		}
		if i%997 != 0 {
			continue
		}
		if m.Len() != len(ref) {
			t.Fatalf("after %d writes: %d keys, want %d", i, m.Len(), len(ref))
		}
		p := fmt.Sprintf("k%02d/", rng.IntN(40))
		got := listed(m.Execute(Command{Kind: List, Key: p, End: PrefixEnd(p), Limit: MaxListLimit}))
		if want := ref.list(p, PrefixEnd(p), MaxListLimit); !slices.Equal(got, want) {
			t.Fatalf("after %d writes, prefix %q: %d items, want %d", i, p, len(got), len(want))
		}
		from, end := key(), key()
		if end <= from {
			from, end = end, from+"\x00"
		}
		got = listed(m.Execute(Command{Kind: List, Key: from, End: end, Limit: 50}))
		if want := ref.list(from, end, 50); !slices.Equal(got, want) {
			t.Fatalf("after %d writes, range [%q, %q): %v, want %v", i, from, end, got, want)
		}
	}
	if len(ref) < 5000 {
		t.Fatalf("only %d keys: the test does not exercise block splits", len(ref))
	}
	// The whole store, page by page.
	var all []string
	for from := ""; ; {
		r := m.Execute(Command{Kind: List, Key: from, Limit: 777})
		all = append(all, listed(r)...)
		if !r.More {
			break
		}
		from = r.Items[len(r.Items)-1].Key + "\x00"
	}
	if want := ref.list("", "", len(ref)); !slices.Equal(all, want) {
		t.Fatalf("paging through the store: %d items, want %d", len(all), len(want))
	}
}

func TestAListStopsBeforeItsRepliesOutgrowAMessage(t *testing.T) {
	m := New()
	big := bytes.Repeat([]byte("v"), 700<<10) // three of them pass MaxListBytes
	for i := range 5 {
		m.Execute(Command{Kind: Put, Key: fmt.Sprint(i), Value: big})
	}
	r := m.Execute(Command{Kind: List})
	if len(r.Items) != 2 || !r.More {
		t.Fatalf("a list of five 700 KiB values returned %d items (more %v), want 2 and more", len(r.Items), r.More)
	}
	if r := m.Execute(Command{Kind: List, KeysOnly: true}); len(r.Items) != 5 || r.More || r.Items[0].Value != nil {
		t.Fatalf("keys only: %d items, more %v", len(r.Items), r.More)
	}
	b := EncodeResult(r)
	if _, err := DecodeResult(b); err != nil || len(b) > 3<<20 {
		t.Fatalf("the reply is %d bytes: %v", len(b), err)
	}
}

func TestPrefixEndBoundsExactlyTheKeysWithThePrefix(t *testing.T) {
	for _, c := range []struct{ p, end string }{
		{"a", "b"}, {"a/", "a0"}, {"a\xff", "b"}, {"\xff\xff", ""}, {"", ""},
	} {
		if got := PrefixEnd(c.p); got != c.end {
			t.Errorf("PrefixEnd(%q) = %q, want %q", c.p, got, c.end)
		}
	}
}

func TestMalformedCommandsYieldErrorResultsAndChangeNothing(t *testing.T) {
	m := New()
	m.Execute(Command{Kind: Put, Key: "x", Value: []byte("1")})
	snap, _ := m.Snapshot()
	good, _ := EncodeCommand(Command{Kind: Put, Key: "y", Value: []byte("22")})
	bad := map[string][]byte{
		"empty":            nil,
		"version only":     {commandVersion},
		"unknown version":  append([]byte{9}, good[1:]...),
		"unknown kind":     {commandVersion, 99},
		"truncated":        good[:len(good)-1],
		"trailing bytes":   append(slices.Clone(good), 0),
		"empty key":        {commandVersion, byte(Put), 0, 0},
		"huge length":      {commandVersion, byte(Put), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"key too long":     append(appendUvarint([]byte{commandVersion, byte(Get)}, MaxKey+1), strings.Repeat("k", MaxKey+1)...),
		"value too long":   appendUvarint(appendString([]byte{commandVersion, byte(Put)}, "k"), MaxValue+1),
		"bad cas flags":    append(appendString([]byte{commandVersion, byte(CAS)}, "k"), 7),
		"list limit":       append(appendUvarint(appendString(appendString([]byte{commandVersion, byte(List)}, ""), ""), MaxListLimit+1), 0),
		"list empty range": append(appendUvarint(appendString(appendString([]byte{commandVersion, byte(List)}, "b"), "a"), 0), 0),
	}
	for name, cmd := range bad {
		r, err := DecodeResult(m.Apply(cmd))
		if err != nil || r.Status != Invalid || r.Err == "" {
			t.Errorf("%s: %+v, %v; want an invalid result saying why", name, r, err)
		}
		if after, _ := m.Snapshot(); !bytes.Equal(after, snap) {
			t.Fatalf("%s changed the store", name)
		}
	}
	// Writes are not reads: Query refuses them.
	if r, _ := DecodeResult(m.Query(good)); r.Status != Invalid || !strings.Contains(r.Err, "write") {
		t.Errorf("a put as a query: %+v", r)
	}
	if r := m.Execute(Command{Kind: Put, Key: strings.Repeat("k", MaxKey+1)}); r.Status != Invalid {
		t.Errorf("Execute took a key past the limit: %+v", r)
	}
	if _, err := EncodeCommand(Command{Kind: Put, Key: "k", Value: make([]byte, MaxValue+1)}); err == nil {
		t.Error("EncodeCommand took a value past the limit")
	}
}

func TestEveryCommandRoundTripsThroughItsEncoding(t *testing.T) {
	for _, c := range []Command{
		{Kind: Put, Key: "k", Value: []byte("v")},
		{Kind: Put, Key: strings.Repeat("k", MaxKey), Value: bytes.Repeat([]byte{0xff}, MaxValue)},
		{Kind: Delete, Key: "k"},
		{Kind: CAS, Key: "k", Expect: []byte("a"), Value: []byte("b")},
		{Kind: CAS, Key: "k", ExpectAbsent: true, Value: []byte("b")},
		{Kind: Get, Key: "\x00binary\xff"},
		{Kind: List, Key: "a", End: "b", Limit: 5, KeysOnly: true},
		{Kind: List},
		{Kind: Stat},
	} {
		b, err := EncodeCommand(c)
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		back, err := DecodeCommand(b)
		if err != nil || back.String() != c.String() || !bytes.Equal(back.Value, c.Value) ||
			!bytes.Equal(back.Expect, c.Expect) || back.End != c.End || back.KeysOnly != c.KeysOnly {
			t.Fatalf("%v came back as %v (%v)", c, back, err)
		}
	}
	r := Result{Status: Unswapped, Revision: 7, Found: true, Value: []byte("x"), Existed: true, More: true,
		Items: []Item{{Key: "a", Value: []byte("1"), Revision: 3}, {Key: "b", Revision: 4}}, Keys: 9, Digest: 1 << 63, Err: "e"}
	back, err := DecodeResult(EncodeResult(r))
	if err != nil || fmt.Sprint(back) != fmt.Sprint(r) {
		t.Fatalf("%+v came back as %+v (%v)", r, back, err)
	}
}
