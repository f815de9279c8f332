package lattice_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/lattice"
	"github.com/rondo-dev/rondo/lattice/latticetest"
)

// Small domains make collisions (equal values, overlapping sets) common,
// which is where merges go wrong.

func genMax() *rapid.Generator[*lattice.Max[int]] {
	return rapid.Custom(func(t *rapid.T) *lattice.Max[int] {
		if rapid.IntRange(0, 4).Draw(t, "bot") == 0 {
			return &lattice.Max[int]{}
		}
		return lattice.MaxOf(rapid.IntRange(-3, 3).Draw(t, "v"))
	})
}

func genMin() *rapid.Generator[*lattice.Min[int]] {
	return rapid.Custom(func(t *rapid.T) *lattice.Min[int] {
		if rapid.IntRange(0, 4).Draw(t, "bot") == 0 {
			return &lattice.Min[int]{}
		}
		return lattice.MinOf(rapid.IntRange(-3, 3).Draw(t, "v"))
	})
}

func genBool() *rapid.Generator[*lattice.Bool] {
	return rapid.Custom(func(t *rapid.T) *lattice.Bool { return lattice.BoolOf(rapid.Bool().Draw(t, "v")) })
}

func genSet() *rapid.Generator[*lattice.Set[int]] {
	return rapid.Custom(func(t *rapid.T) *lattice.Set[int] {
		return lattice.SetOf(rapid.SliceOfN(rapid.IntRange(0, 6), 0, 5).Draw(t, "elems")...)
	})
}

func genMap() *rapid.Generator[*lattice.Map[string, *lattice.Max[int]]] {
	return rapid.Custom(func(t *rapid.T) *lattice.Map[string, *lattice.Max[int]] {
		m := &lattice.Map[string, *lattice.Max[int]]{}
		n := rapid.IntRange(0, 4).Draw(t, "n")
		for range n {
			m.MergeAt(rapid.SampledFrom([]string{"x", "y", "z"}).Draw(t, "k"), genMax().Draw(t, "v"))
		}
		return m
	})
}

func genVClock() *rapid.Generator[*lattice.VClock] {
	return rapid.Custom(func(t *rapid.T) *lattice.VClock {
		v := &lattice.VClock{}
		for range rapid.IntRange(0, 6).Draw(t, "ticks") {
			v.Tick(core.NodeID(rapid.IntRange(0, 2).Draw(t, "node")))
		}
		return v
	})
}

func genConflict() *rapid.Generator[*lattice.Conflict[int]] {
	return rapid.Custom(func(t *rapid.T) *lattice.Conflict[int] {
		c := &lattice.Conflict[int]{}
		for range rapid.IntRange(0, 2).Draw(t, "writes") {
			c.Merge(lattice.ConflictOf(rapid.IntRange(0, 2).Draw(t, "v")))
		}
		return c
	})
}

func TestMaxIsALattice(t *testing.T)      { latticetest.Check(t, genMax()) }
func TestMinIsALattice(t *testing.T)      { latticetest.Check(t, genMin()) }
func TestBoolIsALattice(t *testing.T)     { latticetest.Check(t, genBool()) }
func TestSetIsALattice(t *testing.T)      { latticetest.Check(t, genSet()) }
func TestMapIsALattice(t *testing.T)      { latticetest.Check(t, genMap()) }
func TestVClockIsALattice(t *testing.T)   { latticetest.Check(t, genVClock()) }
func TestConflictIsALattice(t *testing.T) { latticetest.Check(t, genConflict()) }

func TestPairIsALattice(t *testing.T) {
	latticetest.Check(t, rapid.Custom(func(t *rapid.T) *lattice.Pair[*lattice.Max[int], *lattice.Set[int]] {
		p := &lattice.Pair[*lattice.Max[int], *lattice.Set[int]]{}
		if rapid.Bool().Draw(t, "hasA") {
			p.A = genMax().Draw(t, "a")
		}
		if rapid.Bool().Draw(t, "hasB") {
			p.B = genSet().Draw(t, "b")
		}
		return p
	}))
}

func TestDomPairWithTotalKeyIsALattice(t *testing.T) {
	latticetest.Check(t, rapid.Custom(func(t *rapid.T) *lattice.DomPair[*lattice.Max[int], *lattice.Set[int]] {
		return lattice.DomPairOf(genMax().Draw(t, "key"), genSet().Draw(t, "val"))
	}))
}

func TestWithBotIsALattice(t *testing.T) {
	latticetest.Check(t, rapid.Custom(func(t *rapid.T) *lattice.WithBot[*lattice.Set[int]] {
		if rapid.Bool().Draw(t, "none") {
			return &lattice.WithBot[*lattice.Set[int]]{}
		}
		return lattice.Some(genSet().Draw(t, "v"))
	}))
}

func TestWithTopIsALattice(t *testing.T) {
	latticetest.Check(t, rapid.Custom(func(t *rapid.T) *lattice.WithTop[*lattice.Set[int]] {
		if rapid.IntRange(0, 4).Draw(t, "top") == 0 {
			return lattice.Top[*lattice.Set[int]]()
		}
		return lattice.Below(genSet().Draw(t, "v"))
	}))
}

func TestFunctionsKeepTheirPromises(t *testing.T) {
	t.Run("gt", func(t *testing.T) { latticetest.CheckFunc(t, genMax(), lattice.GreaterThan(1)) })
	t.Run("gt_eq", func(t *testing.T) { latticetest.CheckFunc(t, genMax(), lattice.AtLeast(1)) })
	t.Run("size", func(t *testing.T) { latticetest.CheckFunc(t, genSet(), lattice.Size[int]()) })
	t.Run("contains", func(t *testing.T) { latticetest.CheckFunc(t, genSet(), lattice.Contains(3)) })
	t.Run("intersect", func(t *testing.T) { latticetest.CheckFunc(t, genSet(), lattice.Intersect(lattice.SetOf(1, 2, 3))) })
	t.Run("filter", func(t *testing.T) {
		latticetest.CheckFunc(t, genSet(), lattice.Filter("even", func(x int) bool { return x%2 == 0 }))
	})
	t.Run("image", func(t *testing.T) {
		latticetest.CheckFunc(t, genSet(), lattice.Image("half", func(x int) int { return x / 2 }))
	})
	t.Run("at", func(t *testing.T) { latticetest.CheckFunc(t, genMap(), lattice.At[string, *lattice.Max[int]]("x")) })
	t.Run("key_set", func(t *testing.T) { latticetest.CheckFunc(t, genMap(), lattice.KeySet[string, *lattice.Max[int]]()) })
	t.Run("size|gt", func(t *testing.T) {
		latticetest.CheckFunc(t, genSet(), lattice.Then(lattice.Size[int](), lattice.GreaterThan(2)))
	})
}

func TestAMorphismAppliedToADeltaUpdatesItsOutput(t *testing.T) {
	s := lattice.SetOf(1, 2)
	evens := lattice.Filter("even", func(x int) bool { return x%2 == 0 })
	out := evens.Apply(s)
	delta := s.Add(4)
	if !out.Merge(evens.Apply(delta)) || !lattice.Equal(out, evens.Apply(s)) {
		t.Fatalf("filter(delta) merged into filter(old) = %v, want filter(new) = %v", lattice.Sorted(out), lattice.Sorted(evens.Apply(s)))
	}
}
