// Package history records what clients did against a replicated service and
// checks the record for linearizability (Herlihy & Wing 1990): every
// operation appears to take effect at one instant between its call and its
// return, in an order consistent with a sequential key-value store.
//
// The checking is done by Porcupine (github.com/anishathalye/porcupine,
// after Lowe's refinement of the Wing & Gong algorithm), on a model
// partitioned by key: a key-value history is linearizable if and only if the
// history of every key is, which keeps each search small.
//
// Clients report what they know and no more. An operation whose outcome is
// known has a return time; one whose outcome is unknown (a timeout, a lost
// connection: it may or may not have taken effect) has none, and the checker
// lets it take effect at any instant after its call, or never. An operation
// known not to have taken effect (refused before it reached the service) is
// left out of the record.
package history
