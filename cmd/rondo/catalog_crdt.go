package main

import "github.com/rondo-dev/rondo/replica"

// The CRDT convergence campaigns (rondo sim crdt-KIND): random concurrent
// operations on every replica, delta-interval anti-entropy, and the check
// that every correct replica converges to the join of every operation.
func init() {
	catalogEntries = append(catalogEntries, replica.Scenarios)
}
