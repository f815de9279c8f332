package kv_test

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/kv"
	"github.com/rondo-dev/rondo/lattice"
	"github.com/rondo-dev/rondo/lattice/latticetest"
)

// genStore draws stores over a few keys and nodes. A version names one
// write, so the value and tombstone are a function of the version.
func genStore() *rapid.Generator[*kv.Store] {
	writers := core.NodeID(10)
	return rapid.Custom(func(t *rapid.T) *kv.Store {
		s := &kv.Store{}
		for range rapid.IntRange(0, 6).Draw(t, "writes") {
			node := core.NodeID(rapid.IntRange(0, 2).Draw(t, "node"))
			v := kv.Version{Time: rapid.Uint64Range(1, 5).Draw(t, "time"), Node: node}
			key := rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, "key")
			if rapid.Bool().Draw(t, "causal") {
				// Causal writes draw dots from s's own context: stores drawn
				// separately are different histories, so each causal write
				// gets a writer of its own (a dot must name one write).
				writers++
				s.WriteCausal(writers, key, []byte("v"), v.Time == 3)
				continue
			}
			e := &kv.Entry{Version: v, Value: []byte(fmt.Sprint(v)), Deleted: v.Time == 3}
			s.Write(node, key, e)
		}
		return s
	})
}

func TestStoreIsALattice(t *testing.T) { latticetest.Check(t, genStore()) }

func TestStoreEncodingRoundTrips(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genStore().Draw(t, "s")
		b, _ := s.AppendBinary(nil)
		var back kv.Store
		if err := back.UnmarshalBinary(b); err != nil {
			t.Fatalf("%v", err)
		}
		if !lattice.Equal(s, &back) {
			t.Fatalf("round trip changed the store")
		}
	})
}

func FuzzStoreDecode(f *testing.F) {
	s := &kv.Store{}
	s.Write(1, "k", &kv.Entry{Version: kv.Version{Time: 9, Node: 1}, Value: []byte("v")})
	b, _ := s.AppendBinary(nil)
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var st kv.Store
		if st.UnmarshalBinary(data) != nil {
			return
		}
		if _, err := st.AppendBinary(nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSessionTokensParseBack(t *testing.T) {
	c := lattice.VClockOf(map[core.NodeID]uint64{0: 5, 1: 0, 2: 3})
	if tok := kv.FormatSession(c); tok != "0.5-2.3" {
		t.Fatalf("token %q", tok)
	}
	back, err := kv.ParseSession(kv.FormatSession(c))
	if err != nil || !lattice.Equal(back, c) {
		t.Fatalf("%v %v", back, err)
	}
	for _, bad := range []string{"x", "1.", ".1", "1.2-", "1.2.3", "99999999999.1"} {
		if _, err := kv.ParseSession(bad); err == nil {
			t.Errorf("ParseSession(%q) accepted it", bad)
		}
	}
}
