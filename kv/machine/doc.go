// Package machine is the state machine of Rondo's linearizable key-value
// service: what the replicated log (package smr) applies, in log order, on
// every replica. It is a model in the house's sense: deterministic, no
// clock, no randomness, no I/O; the same commands in the same order leave
// every replica with the same state, byte for byte (Snapshot).
//
// A command is bytes (EncodeCommand / DecodeCommand): put, delete,
// compare-and-set, get, and list by prefix or key range. Apply executes any
// of them (a read applied through the log is linearizable too, at the cost
// of a log entry); Query executes reads only (the log's read index serves
// them without an entry). Every command yields a Result, encoded as bytes
// (EncodeResult / DecodeResult); a malformed or oversized command yields an
// error result and changes nothing. Nothing a client sends can make the
// machine panic.
//
// The state lives in memory: a map for point reads and an ordered index of
// the keys for lists. It is made durable by the log (its entries, fsynced
// in group commits) and by snapshots the log takes through Snapshot and
// hands back through Restore; docs/kv.md says why this, rather than an
// embedded store, is where the state lives.
//
// Every change counts in a revision (a counter of the mutations applied,
// the same at every replica), and every key carries the revision of its
// last write: what the HTTP API shows as a key's revision.
package machine
