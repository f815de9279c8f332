// Package smr is a replicated log: total-order broadcast of client
// commands, applied in log order, exactly once per (client, sequence
// number), to a deterministic StateMachine on every replica.
//
// It is built on the rounds runtime running Multi-Paxos in the Heard-Of
// model (rounds.RuntimeOf[string] of algos.MultiPaxos): every log index
// is a consensus instance, every decided value an encoded batch of
// commands. A Node is a core.Process, so the same code runs in the
// simulator under every fault spec and on the real runtime (package
// cluster), whose group commit makes one fsync cover a batch of events.
//
// What a Node adds to the runtime:
//
//   - batching at the leader (a batch is bounded in bytes, well under a
//     message) and a pipeline of instances, bounded in instances and bytes;
//   - a session table that makes every (client, seq) take effect at most
//     once, across retries and leader changes, kept in snapshots;
//   - a durable log of the decided batches, snapshots of the state machine
//     and truncation of both the log and the runtime's records;
//   - catch-up for late or restarted replicas: entries from a peer's log,
//     or a snapshot installed in pieces that fit a message;
//   - linearizable reads without a log entry (a read index);
//   - forwarding: any replica takes requests; followers forward writes to
//     the leader and answer them when they apply them themselves;
//   - leader failure detection: a replica with requests waiting on a
//     silent leader campaigns for the next ballot.
//
// docs/smr.md is the full description: the API contract, the read index
// and why it is built as it is, the storage layout, and the figures.
//
// Package smr is a model: it imports core and rounds, never sim, cluster
// or transport.
package smr
