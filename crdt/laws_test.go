package crdt_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt"
	"github.com/rondo-dev/rondo/lattice/latticetest"
)

// The generators below run a small random history on three replicas — local
// mutations, deltas shipped and merged, full-state merges — and return one
// replica's state or one delta. The payload of node n's k-th event is a fixed
// function of (n, k), so a dot means the same thing in every draw and
// independently drawn states are states of one and the same system, which is
// what the lattice laws speak about.

type history[S any] struct {
	reps   [3]S
	deltas []S
	events [3]int
}

func (h *history[S]) pick(t *rapid.T, merge func(S, S) bool) S {
	steps := rapid.IntRange(0, 3).Draw(t, "merges")
	for range steps {
		i, j := rapid.IntRange(0, 2).Draw(t, "into"), rapid.IntRange(0, 2).Draw(t, "from")
		merge(h.reps[i], h.reps[j])
	}
	if len(h.deltas) > 0 && rapid.Bool().Draw(t, "delta") {
		return h.deltas[rapid.IntRange(0, len(h.deltas)-1).Draw(t, "which")]
	}
	return h.reps[rapid.IntRange(0, 2).Draw(t, "replica")]
}

func genAWSet() *rapid.Generator[*crdt.AWSet[int]] {
	return rapid.Custom(func(t *rapid.T) *crdt.AWSet[int] {
		h := &history[*crdt.AWSet[int]]{reps: [3]*crdt.AWSet[int]{{}, {}, {}}}
		for range rapid.IntRange(0, 8).Draw(t, "steps") {
			i := rapid.IntRange(0, 2).Draw(t, "node")
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0, 1:
				h.events[i]++
				h.deltas = append(h.deltas, h.reps[i].Add(core.NodeID(i), (i+h.events[i])%4))
			case 2:
				h.deltas = append(h.deltas, h.reps[i].Remove(rapid.IntRange(0, 3).Draw(t, "elem")))
			case 3:
				if len(h.deltas) > 0 {
					h.reps[i].Merge(h.deltas[rapid.IntRange(0, len(h.deltas)-1).Draw(t, "d")])
				}
			}
		}
		return h.pick(t, (*crdt.AWSet[int]).Merge)
	})
}

func genEWFlag() *rapid.Generator[*crdt.EWFlag] {
	return rapid.Custom(func(t *rapid.T) *crdt.EWFlag {
		h := &history[*crdt.EWFlag]{reps: [3]*crdt.EWFlag{{}, {}, {}}}
		for range rapid.IntRange(0, 8).Draw(t, "steps") {
			i := rapid.IntRange(0, 2).Draw(t, "node")
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0:
				h.deltas = append(h.deltas, h.reps[i].Enable(core.NodeID(i)))
			case 1:
				h.deltas = append(h.deltas, h.reps[i].Disable())
			case 2:
				if len(h.deltas) > 0 {
					h.reps[i].Merge(h.deltas[rapid.IntRange(0, len(h.deltas)-1).Draw(t, "d")])
				}
			}
		}
		return h.pick(t, (*crdt.EWFlag).Merge)
	})
}

func genMVRegister() *rapid.Generator[*crdt.MVRegister[int]] {
	return rapid.Custom(func(t *rapid.T) *crdt.MVRegister[int] {
		h := &history[*crdt.MVRegister[int]]{reps: [3]*crdt.MVRegister[int]{{}, {}, {}}}
		for range rapid.IntRange(0, 8).Draw(t, "steps") {
			i := rapid.IntRange(0, 2).Draw(t, "node")
			if rapid.Bool().Draw(t, "write") {
				h.events[i]++
				h.deltas = append(h.deltas, h.reps[i].Write(core.NodeID(i), 10*i+h.events[i]))
			} else if len(h.deltas) > 0 {
				h.reps[i].Merge(h.deltas[rapid.IntRange(0, len(h.deltas)-1).Draw(t, "d")])
			}
		}
		return h.pick(t, (*crdt.MVRegister[int]).Merge)
	})
}

type setMap = crdt.ORMap[string, *crdt.AWSet[int]]

func genORMap() *rapid.Generator[*setMap] {
	keys := []string{"k0", "k1"}
	return rapid.Custom(func(t *rapid.T) *setMap {
		h := &history[*setMap]{reps: [3]*setMap{{}, {}, {}}}
		for range rapid.IntRange(0, 8).Draw(t, "steps") {
			i := rapid.IntRange(0, 2).Draw(t, "node")
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0:
				h.events[i]++
				k, x := keys[(i+h.events[i])%2], h.events[i]%3
				h.deltas = append(h.deltas, h.reps[i].Update(k, func(s *crdt.AWSet[int]) *crdt.AWSet[int] {
					return s.Add(core.NodeID(i), x)
				}))
			case 1:
				x := rapid.IntRange(0, 2).Draw(t, "elem")
				h.deltas = append(h.deltas, h.reps[i].Update(rapid.SampledFrom(keys).Draw(t, "key"),
					func(s *crdt.AWSet[int]) *crdt.AWSet[int] { return s.Remove(x) }))
			case 2:
				h.deltas = append(h.deltas, h.reps[i].Remove(rapid.SampledFrom(keys).Draw(t, "key")))
			case 3:
				if len(h.deltas) > 0 {
					h.reps[i].Merge(h.deltas[rapid.IntRange(0, len(h.deltas)-1).Draw(t, "d")])
				}
			}
		}
		return h.pick(t, (*setMap).Merge)
	})
}

func genGCounter() *rapid.Generator[*crdt.GCounter] {
	return rapid.Custom(func(t *rapid.T) *crdt.GCounter {
		g := &crdt.GCounter{}
		for range rapid.IntRange(0, 4).Draw(t, "incs") {
			g.Inc(core.NodeID(rapid.IntRange(0, 2).Draw(t, "node")), uint64(rapid.IntRange(0, 3).Draw(t, "by")))
		}
		return g
	})
}

func genPNCounter() *rapid.Generator[*crdt.PNCounter] {
	return rapid.Custom(func(t *rapid.T) *crdt.PNCounter {
		c := &crdt.PNCounter{}
		for range rapid.IntRange(0, 4).Draw(t, "adds") {
			c.Add(core.NodeID(rapid.IntRange(0, 2).Draw(t, "node")), int64(rapid.IntRange(-3, 3).Draw(t, "by")))
		}
		return c
	})
}

func genLWW() *rapid.Generator[*crdt.LWW[string]] {
	return rapid.Custom(func(t *rapid.T) *crdt.LWW[string] {
		r := &crdt.LWW[string]{}
		if rapid.Bool().Draw(t, "written") {
			ts, n := uint64(rapid.IntRange(0, 3).Draw(t, "ts")), core.NodeID(rapid.IntRange(0, 2).Draw(t, "node"))
			// One (ts, node) names one write, as Set guarantees in a real system.
			r.Set(n, ts, string(rune('a'+int(ts)*3+int(n))))
		}
		return r
	})
}

func TestGCounterIsALattice(t *testing.T)   { latticetest.Check(t, genGCounter()) }
func TestPNCounterIsALattice(t *testing.T)  { latticetest.Check(t, genPNCounter()) }
func TestLWWIsALattice(t *testing.T)        { latticetest.Check(t, genLWW()) }
func TestMVRegisterIsALattice(t *testing.T) { latticetest.Check(t, genMVRegister()) }
func TestEWFlagIsALattice(t *testing.T)     { latticetest.Check(t, genEWFlag()) }
func TestAWSetIsALattice(t *testing.T)      { latticetest.Check(t, genAWSet()) }
func TestORMapIsALattice(t *testing.T)      { latticetest.Check(t, genORMap()) }
