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
// ⊔{D[l] | A[j] ≤ l < k}, tagged [A[j], k), for the largest k ≤ c whose
// deltas fit in one message (Config.Budget, at most MaxPiece: what
// core.MaxMessageSize leaves for the state); or, when D no longer holds A[j]
// (the peer fell behind the retained buffer, joined empty, or this replica
// restarted and lost D), its whole state X as of c, in pieces that each fit
// in one message. The peer joins what it gets and acknowledges k (or each
// piece; A[j] becomes c once it has them all), and the next round goes on
// from there: every round that reaches a peer moves it forward, however
// large the state. Deltas every peer acknowledged are garbage-collected. A
// delta-group for j leaves out the deltas that came from j (Enes, Almeida,
// Baquero, Leitão, "Efficient Synchronization of State-based CRDTs", ICDE
// 2019: no back-propagation).
//
// Large states. Every delta recorded fits in one message: a local operation
// whose delta does not is refused (ErrTooLarge), and a received one came in
// one message. So a prefix of at least one delta always fits. A whole state
// larger than one message is cut by the lattice itself (lattice.Splitter:
// parts below the state whose join is the state), again and again until
// every piece fits; a lattice that cannot split sends its state whole, and
// one too large for a message is not sent but logged at WARN with its size
// (rate-limited) — that peer cannot catch up until the lattice can split.
// Config.Window pieces are in flight to a peer at once; the last part of
// the lattice's split goes only after every other piece is acknowledged, so
// that a splitter can put there what claims the rest is present (the KV's
// session clock). An unacknowledged group or piece is sent again only once
// its acknowledgement is overdue (twice the measured round trip, at least
// one gossip interval).
//
// What it tolerates, and why. Join is associative, commutative and
// idempotent, so a duplicated, reordered or stale delta-group changes
// nothing that a later one would not: merging it twice is merging it once.
// A lost delta-group, piece or acknowledgement is repaired by a later round,
// which resends from the last acknowledged point (A[j] only grows on an
// acknowledgement, so nothing unacknowledged is ever skipped). Partitions
// are long losses. Crashes: every change is logged to Storage (its delta;
// the whole state every CompactEvery changes) before any acknowledgement
// leaves, so a restarted replica has every state it ever acknowledged; it
// lost D and A, which only makes it ship its whole state once to everyone.
// A replica whose Storage fails stops for good (core.Context.Fail) before
// it acknowledges, forwards or reports the change. Not tolerated: Byzantine
// replicas.
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
