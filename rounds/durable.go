package rounds

// Durable says which part of a process's state survives a crash, for an
// algorithm whose processes rejoin their instances after a restart (a
// Paxos acceptor keeps its vote; a replicated log cannot lose what a
// majority accepted). Algorithm.Durable is optional: without it a restarted
// node does not rejoin the instances it may have taken part in, it only
// asks its peers for their decisions.
//
// What the runtime does with it, in every world alike:
//
//   - Before it sends the messages of a round, the runtime compares the
//     durable part of the state (Part) with the part it last persisted for
//     the instance (at first, the part of the initial state) and, if they
//     differ, writes the new part to Storage under
//     "rounds/<alg>/i/<instance>" with the round. So every message a node
//     sends was computed from a state whose durable part is on disk — on a
//     group-committed Storage the write and the message leave together,
//     after the batch's one fsync. A Paxos acceptor's vote is durable before
//     its acknowledgement leaves.
//   - After a restart, an instance with a record is rebuilt from it (Load)
//     and rejoins at the first round of the phase after the persisted round
//     (never again in a phase it sent messages in, from a state it may have
//     lost); an instance without a record rejoins as a process that has
//     taken part in nothing, its durable part being the initial one.
//   - Records stay until the node forgets the instances (RuntimeOf.Truncate).
//
// What the algorithm must guarantee, so that a restart is an execution the
// checker explores (a process that heard nothing for the rest of its phase):
//
//   - Part(Init(id, n, x)) is the same for every input x (a fresh process
//     has nothing durable, whatever it proposes), and every field that
//     Part drops is, at the end of each phase, what it is in a fresh state
//     or irrelevant to what the process sends and decides later;
//   - Send depends only on the durable part, the View and the fields
//     computed earlier in the same phase.
//
// Multi-Paxos (rounds/algos/multipaxos.go) keeps (X, TS) durable: its
// accepted value and ballot.
type Durable[S any] struct {
	// Part is the durable part of s: s with every other field at its zero
	// value. == on parts says whether anything durable changed, so it must
	// be cheap (a string field compares its pointer first).
	Part func(s S) S
	// Append appends the encoding of a durable part to b.
	Append func(b []byte, part S) ([]byte, error)
	// Load decodes what Append wrote. It must never panic: an error means
	// the record is corrupt, and the node stops (fail-stop) rather than
	// rejoin from a state it cannot trust.
	Load func(b []byte) (S, error)
}
