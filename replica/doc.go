// Package replica replicates any join-semilattice by delta-state
// anti-entropy, as a core.Process: the same value runs in the simulator and
// on the real runtime.
//
// The algorithm is Algorithm 2 ("δ-interval-based anti-entropy ensuring
// causal consistency") of Almeida, Shoker and Baquero, "Delta State
// Replicated Data Types", J. Parallel Distrib. Comput. 111 (2018),
// arXiv:1603.01529. Each replica i keeps
//
//   - its state X, a lattice value;
//   - a counter c and a delta buffer D mapping sequence numbers below c to
//     deltas: every change of X — a local operation's delta, or a received
//     delta-group that was not already ⊑ X — is joined into X and recorded
//     as D[c], c++;
//   - for each peer j, A[j]: the highest c that j acknowledged.
//
// Every gossip round it sends each peer j with A[j] < c the delta-interval
// ⊔{D[l] | A[j] ≤ l < c}, tagged [A[j], c), or its whole state X when D no
// longer holds A[j] (the peer fell behind the retained buffer, or this
// replica restarted and lost D). The peer joins it and acknowledges c.
// Deltas every peer acknowledged are garbage-collected. A delta-group for j
// leaves out the deltas that came from j (Enes, Almeida, Baquero, Leitão,
// "Efficient Synchronization of State-based CRDTs", ICDE 2019: no
// back-propagation).
//
// What it tolerates, and why. Join is associative, commutative and
// idempotent, so a duplicated, reordered or stale delta-group changes
// nothing that a later one would not: merging it twice is merging it once.
// A lost delta-group or a lost acknowledgement is repaired by the next round,
// which resends the interval from the last acknowledged point (A[j] only
// grows on an acknowledgement, so nothing unacknowledged is ever skipped).
// Partitions are long losses. Crashes: every change is logged to Storage
// (its delta; the whole state every CompactEvery changes) before any
// acknowledgement leaves, so a restarted replica has every state it ever
// acknowledged; it lost D and A, which only makes it ship its whole state
// once to everyone. Not tolerated: Byzantine replicas.
//
// Causal consistency: j acknowledges c only after merging an interval that
// ends at c, and that interval starts at or below what j acknowledged
// before, so after it X_j ⊒ X_i as it was at c. Every delta-group j merges
// therefore lands on a state that already holds its causal past: this is
// the paper's δ-interval causal delivery, with no per-origin reorder buffer.
// CRDTs whose deltas are only correct on a causally complete state (an
// add-wins set whose causal context is compressed into a version vector,
// for instance) are safe under it. The add-wins set of package crdt ships
// its dots and causal context together and is safe under any order anyway.
//
// The replica outputs a Snapshot after every change of its state (so a
// checker can compare replicas), an Applied for every local operation (the
// delta it produced, so a checker can rebuild "the join of all
// operations"), and Stats when it falls quiet (every peer acknowledged
// everything) and every StatsEvery rounds otherwise.
package replica
