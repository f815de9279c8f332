package broadcast_test

import (
	"context"
	"fmt"

	"github.com/rondo-dev/rondo/broadcast"
	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/sim"
)

// Simulate eager reliable broadcast on five nodes with lossy links and one
// node crashing and restarting at a time, then check its properties.
func Example() {
	spec, err := fault.Parse("drop=0.3,crashes=1")
	if err != nil {
		panic(err)
	}
	setup := sim.Setup{Scenario: broadcast.Scenario(), N: 5, Faults: spec, RoundTrip: true}
	out, err := setup.RunOne(context.Background(), 42, nil)
	if err != nil {
		panic(err)
	}
	correct := 0
	for id := range 5 {
		if !out.Result.History.Crashed[id] {
			correct++
		}
	}
	fmt.Printf("correct nodes: %d, violations: %d, quiescent: %v\n",
		correct, len(out.Violations), out.Result.Quiescent)
	// Output: correct nodes: 1, violations: 0, quiescent: true
}
