// Package linearizable is Rondo's linearizable key-value service: the
// state machine of package kv/machine replicated by the log of package smr
// (Multi-Paxos on the rounds runtime), each replica a cluster.Node with
// the HTTP API in front of it. It is what rondo kv runs by default.
//
// Every write goes through the log: the replica that takes it hands it to
// smr (which forwards it to the leader), and answers once the write is
// applied here and this replica's own storage writes are durable (the
// node's group-commit barrier). Reads (GET, lists) are linearizable
// without a log entry: smr's read index. A write that carries a session
// (the Rondo-Client and Rondo-Seq headers, as package kv/client sends)
// is applied at most once however often it is retried.
//
// Failures say whether the operation may have taken effect: 503 with
// Rondo-Outcome: not-taken when it did not, 504 with Rondo-Outcome:
// unknown when it may have (retry with the same session to learn its
// result). docs/kv.md describes the API, the limits and the checks.
package linearizable
