package crdt_test

import (
	"fmt"
	"slices"

	"github.com/rondo-dev/rondo/crdt"
)

// Two replicas of an add-wins set exchange deltas, not states; a remove
// only removes the adds it has seen.
func ExampleAWSet() {
	var a, b crdt.AWSet[string]
	b.Merge(a.Add(1, "milk"))
	b.Merge(b.Add(2, "eggs"))
	rm := b.Remove("milk")    // bob removes the milk he saw
	again := a.Add(1, "milk") // while alice adds it again
	a.Merge(rm)
	b.Merge(again)
	a.Merge(b.Clone())
	fmt.Println(slices.Sorted(a.Elements()), slices.Sorted(b.Elements()))
	// Output: [eggs milk] [eggs milk]
}

// A PN-counter's delta is one node's entry; duplicates are harmless.
func ExamplePNCounter() {
	var a, b crdt.PNCounter
	d := a.Add(1, 10)
	b.Merge(d)
	b.Merge(d)
	b.Merge(b.Add(2, -3))
	fmt.Println(a.Value(), b.Value())
	// Output: 10 7
}
