package crdt_test

import (
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt"
	"github.com/rondo-dev/rondo/crdt/mutants"
	"github.com/rondo-dev/rondo/lattice"
	"github.com/rondo-dev/rondo/lattice/latticetest"
)

const (
	alice core.NodeID = 1
	bob   core.NodeID = 2
	carol core.NodeID = 3
)

func elems[T interface{ ~int | ~string }](s *crdt.AWSet[T]) []T { return slices.Sorted(s.Elements()) }

// The transcript: alice adds x and tells bob; bob removes x and tells
// everyone; carol hears bob's remove before alice's add. With values and no
// causal context, carol's late "add x" resurrects x for good.
func TestNaiveORSetDiverges(t *testing.T) {
	var a, b, c mutants.NaiveORSet[string]
	addX := a.Add("x")
	b.Merge(addX)
	rmX := b.Remove("x")
	a.Merge(rmX)
	c.Merge(rmX) // reordered: the remove overtakes the add
	c.Merge(addX)
	if a.Contains("x") || b.Contains("x") || !c.Contains("x") {
		t.Fatalf("expected alice and bob without x and carol with x; got %v %v %v",
			a.Contains("x"), b.Contains("x"), c.Contains("x"))
	}
	t.Log("naive set diverged: alice {}, bob {}, carol {x} after the same two deltas")
}

// The same transcript with the add-wins set converges: bob's remove carries
// the dot of the add it observed, so carol drops the add when it arrives.
func TestAWSetConvergesOnTheSameTranscript(t *testing.T) {
	var a, b, c crdt.AWSet[string]
	addX := a.Add(alice, "x")
	b.Merge(addX)
	rmX := b.Remove("x")
	a.Merge(rmX)
	c.Merge(rmX)
	c.Merge(addX)
	if a.Contains("x") || b.Contains("x") || c.Contains("x") {
		t.Fatalf("x resurrected: alice %v bob %v carol %v", a.Contains("x"), b.Contains("x"), c.Contains("x"))
	}
}

func TestNaiveORSetFailsTheLatticeLaws(t *testing.T) {
	gen := rapid.Custom(func(t *rapid.T) *mutants.NaiveORSet[int] {
		s := &mutants.NaiveORSet[int]{}
		for range rapid.IntRange(0, 3).Draw(t, "ops") {
			if x := rapid.IntRange(0, 2).Draw(t, "x"); rapid.Bool().Draw(t, "add") {
				s.Add(x)
			} else {
				s.Remove(x)
			}
		}
		return s
	})
	out := expectCheckFails(t, func(tb rapid.TB) { latticetest.Check(tb, gen) })
	t.Logf("law checker on the naive set:\n%s", out)
}

func TestAWSetAddWinsOverConcurrentRemove(t *testing.T) {
	var a, b crdt.AWSet[string]
	b.Merge(a.Add(alice, "x"))
	rm := b.Remove("x")        // bob removes the x he saw…
	readd := a.Add(alice, "x") // …while alice adds x again
	a.Merge(rm)
	b.Merge(readd)
	if !a.Contains("x") || !b.Contains("x") {
		t.Fatalf("concurrent add lost: alice %v bob %v", elems(&a), elems(&b))
	}
}

func TestEWFlagEnableWins(t *testing.T) {
	var a, b crdt.EWFlag
	b.Merge(a.Enable(alice))
	off := b.Disable()
	on := a.Enable(alice)
	a.Merge(off)
	b.Merge(on)
	if !a.Value() || !b.Value() {
		t.Fatalf("enable lost: alice %v bob %v", a.Value(), b.Value())
	}
	b.Merge(b.Disable())
	a.Merge(b.Clone())
	if a.Value() || b.Value() {
		t.Fatalf("a disable that saw every enable must win")
	}
}

func TestMVRegisterKeepsConcurrentWrites(t *testing.T) {
	var a, b crdt.MVRegister[string]
	da := a.Write(alice, "red")
	db := b.Write(bob, "blue")
	a.Merge(db)
	b.Merge(da)
	if got := a.Values(); !slices.Equal(got, []string{"red", "blue"}) || !slices.Equal(b.Values(), got) {
		t.Fatalf("siblings: alice %v bob %v", a.Values(), b.Values())
	}
	b.Merge(b.Write(bob, "green")) // a write that saw both replaces both
	a.Merge(b.Clone())
	if got := a.Values(); !slices.Equal(got, []string{"green"}) {
		t.Fatalf("after resolving write: %v", got)
	}
}

func TestLWWBreaksTiesByNode(t *testing.T) {
	var a, b crdt.LWW[string]
	da := a.Set(alice, 5, "alice")
	db := b.Set(bob, 5, "bob")
	a.Merge(db)
	b.Merge(da)
	va, _ := a.Get()
	vb, _ := b.Get()
	if va != "bob" || vb != "bob" {
		t.Fatalf("tie: alice sees %q, bob sees %q; want bob (larger node id)", va, vb)
	}
	a.Set(alice, 1, "late clock") // a stale clock still moves past what it saw
	if v, _ := a.Get(); v != "late clock" {
		t.Fatalf("local write lost to a stale clock: %q", v)
	}
}

func TestCountersCountEveryNodeOnce(t *testing.T) {
	var a, b crdt.PNCounter
	d1 := a.Add(alice, 5)
	d2 := b.Add(bob, -2)
	a.Merge(d2)
	a.Merge(d2) // duplicated delivery
	b.Merge(d1)
	if a.Value() != 3 || b.Value() != 3 {
		t.Fatalf("alice %d bob %d, want 3", a.Value(), b.Value())
	}
}

func TestORMapUpdateWinsOverConcurrentKeyRemove(t *testing.T) {
	var a, b setMap
	add := func(n core.NodeID, x int) func(*crdt.AWSet[int]) *crdt.AWSet[int] {
		return func(s *crdt.AWSet[int]) *crdt.AWSet[int] { return s.Add(n, x) }
	}
	b.Merge(a.Update("cart", add(alice, 1)))
	rm := b.Remove("cart")
	up := a.Update("cart", add(alice, 2))
	a.Merge(rm)
	b.Merge(up)
	for name, m := range map[string]*setMap{"alice": &a, "bob": &b} {
		s := m.Get("cart")
		if s == nil || !slices.Equal(elems(s), []int{2}) {
			t.Fatalf("%s: cart = %v, want [2] (the removed 1 stays removed, the concurrent 2 survives)", name, s)
		}
	}
	if !lattice.Equal(&a, &b) {
		t.Fatal("replicas differ")
	}
}

func TestContextCompactsOutOfOrderDots(t *testing.T) {
	var c crdt.Context
	c.Add(crdt.Dot{Node: alice, Seq: 2})
	c.Add(crdt.Dot{Node: alice, Seq: 3})
	if nodes, cloud := c.Size(); nodes != 0 || cloud != 2 {
		t.Fatalf("before the gap fills: %d nodes, %d cloud dots", nodes, cloud)
	}
	c.Add(crdt.Dot{Node: alice, Seq: 1})
	if nodes, cloud := c.Size(); nodes != 1 || cloud != 0 || c.Next(alice).Seq != 4 {
		t.Fatalf("after: %d nodes, %d cloud dots", nodes, cloud)
	}
}

func TestContextIsALattice(t *testing.T) {
	latticetest.Check(t, rapid.Custom(func(t *rapid.T) *crdt.Context {
		c := &crdt.Context{}
		for range rapid.IntRange(0, 6).Draw(t, "dots") {
			c.Add(crdt.Dot{Node: core.NodeID(rapid.IntRange(0, 1).Draw(t, "node")), Seq: uint64(rapid.IntRange(1, 4).Draw(t, "seq"))})
		}
		return c
	}))
}
