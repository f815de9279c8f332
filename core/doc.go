// Package core holds the few types every Rondo model, world and tool shares:
// node identities, the sans-IO Process and the Context it is driven through,
// the events a process handles, the Codec that turns messages into bytes, and
// the Storage that survives a crash.
//
// A Process owns no goroutine, reads no clock and draws no randomness except
// through its Context. That is what lets the same value run in the
// deterministic simulator (package sim) and on a real network (package
// cluster) without a change.
package core
