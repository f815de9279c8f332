// Package client is the Go client of Rondo's linearizable key-value
// service (rondo kv, docs/kv.md), and the definition of its HTTP API: the
// header names and JSON bodies the service speaks are declared here, and
// the service imports them.
//
// A Client is given every replica's base URL. It sends a request to the
// replica it believes leads (learned from the Rondo-Node and Rondo-Leader
// headers of every response; any replica forwards to the leader anyway),
// and retries elsewhere with exponential backoff and jitter when a replica
// is down, has no leader, or cannot say what became of a write — until the
// request's context ends.
//
// Retries keep exactly-once semantics: every write carries a session (a
// client id, random per session) and a sequence number (Rondo-Client,
// Rondo-Seq), and a retry sends the same pair, which the replicated log
// applies at most once and answers with the first outcome. A session has
// one write in flight at a time; a Client keeps a pool of them, so it is
// safe for many goroutines.
//
// Errors say whether an operation may have taken effect. A definite
// failure — ErrNotTaken, or an *Error with a 4xx status — did not; an
// indefinite one — ErrUnknownOutcome — may have. ErrNotFound and a CAS
// that did not swap are answers, not failures.
package client
