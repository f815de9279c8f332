package crdt_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt"
	"github.com/rondo-dev/rondo/lattice"
	"github.com/rondo-dev/rondo/lattice/latticetest"
)

// A map of maps of multi-value registers: nesting two levels deep under one
// shared causal context.
type regMap = crdt.ORMap[string, *crdt.MVRegister[int]]
type docMap = crdt.ORMap[string, *regMap]

func genDocMap() *rapid.Generator[*docMap] {
	keys := []string{"a", "b"}
	return rapid.Custom(func(t *rapid.T) *docMap {
		h := &history[*docMap]{reps: [3]*docMap{{}, {}, {}}}
		for range rapid.IntRange(0, 8).Draw(t, "steps") {
			i := rapid.IntRange(0, 2).Draw(t, "node")
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0:
				h.events[i]++
				outer, inner, v := keys[(i+h.events[i])%2], keys[h.events[i]%2], 10*i+h.events[i]
				h.deltas = append(h.deltas, h.reps[i].Update(outer, func(m *regMap) *regMap {
					return m.Update(inner, func(r *crdt.MVRegister[int]) *crdt.MVRegister[int] {
						return r.Write(core.NodeID(i), v)
					})
				}))
			case 1:
				inner := rapid.SampledFrom(keys).Draw(t, "inner")
				h.deltas = append(h.deltas, h.reps[i].Update(rapid.SampledFrom(keys).Draw(t, "outer"),
					func(m *regMap) *regMap { return m.Remove(inner) }))
			case 2:
				h.deltas = append(h.deltas, h.reps[i].Remove(rapid.SampledFrom(keys).Draw(t, "outer")))
			case 3:
				if len(h.deltas) > 0 {
					h.reps[i].Merge(h.deltas[rapid.IntRange(0, len(h.deltas)-1).Draw(t, "d")])
				}
			}
		}
		return h.pick(t, (*docMap).Merge)
	})
}

func TestNestedORMapIsALattice(t *testing.T) { latticetest.Check(t, genDocMap()) }

func TestNestedORMapRoundTrips(t *testing.T) {
	roundTrip(t, genDocMap(), func(x *docMap) ([]byte, error) { return x.AppendBinary(nil) })
}

func TestORMapOfFlags(t *testing.T) {
	type flags = crdt.ORMap[string, *crdt.EWFlag]
	var a, b flags
	on := func(n core.NodeID) func(*crdt.EWFlag) *crdt.EWFlag {
		return func(f *crdt.EWFlag) *crdt.EWFlag { return f.Enable(n) }
	}
	b.Merge(a.Update("dark-mode", on(alice)))
	off := b.Update("dark-mode", func(f *crdt.EWFlag) *crdt.EWFlag { return f.Disable() })
	again := a.Update("dark-mode", on(alice))
	a.Merge(off)
	b.Merge(again)
	if f := a.Get("dark-mode"); f == nil || !f.Value() || !lattice.Equal(&a, &b) {
		t.Fatalf("concurrent enable lost or replicas differ")
	}
}
