package lattice_test

import (
	"fmt"

	"github.com/rondo-dev/rondo/lattice"
)

// Two replicas grow a set independently; merging in either order converges.
func ExampleSet() {
	a, b := lattice.SetOf("x"), lattice.SetOf("y")
	a.Merge(b)
	changed := a.Merge(b) // a second delivery teaches nothing
	fmt.Println(lattice.Sorted(a), changed)
	// Output: [x y] false
}

// A morphism can be applied to a delta alone: the output of the delta,
// merged into the previous output, equals the output of the new state.
func ExampleFunc() {
	s := lattice.SetOf(1, 2, 3)
	evens := lattice.Filter("even", func(x int) bool { return x%2 == 0 })
	out := evens.Apply(s)
	delta := s.Add(6)
	out.Merge(evens.Apply(delta))
	fmt.Println(evens, lattice.Sorted(out))
	big := lattice.Then(lattice.Size[int](), lattice.GreaterThan(3))
	fmt.Println(big, big.Apply(s).Value())
	// Output:
	// filter(even) (morphism) [2 6]
	// size|gt(3) (monotone) true
}

// Conflict makes disagreement visible instead of resolving it.
func ExampleConflict() {
	c := lattice.ConflictOf("red")
	c.Merge(lattice.ConflictOf("red"))
	fmt.Println(c.Value())
	c.Merge(lattice.ConflictOf("blue"))
	fmt.Println(c.IsTop())
	// Output:
	// red true
	// true
}

// A DomPair keyed by a version replaces the value when the version grows.
func ExampleDomPair() {
	v1 := lattice.DomPairOf(lattice.MaxOf(1), lattice.SetOf("draft"))
	v2 := lattice.DomPairOf(lattice.MaxOf(2), lattice.SetOf("final"))
	v1.Merge(v2)
	fmt.Println(lattice.Sorted(v1.Val))
	// Output: [final]
}

// Vector clocks order events by causality.
func ExampleVClock() {
	var a, b lattice.VClock
	a.Tick(1)
	b.Merge(&a)
	b.Tick(2)
	fmt.Println(a.LessEq(&b), b.LessEq(&a))
	a.Tick(1)
	fmt.Println(a.Concurrent(&b))
	// Output:
	// true false
	// true
}
