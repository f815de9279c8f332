package rounds

import "github.com/rondo-dev/rondo/core"

// Lease lets an algorithm run as Multi-Paxos on the runtime: a stable leader
// skips the first round of its ballot (the prepare, or collect, round) in
// every new instance, and runs only the rounds after it. It is for
// coordinator-based algorithms whose phases are ballots: rounds
// [b·k, (b+1)·k) of every instance form ballot b, k = len(Rounds), and
// Leader(b, n) coordinates it. Multi-Paxos (rounds/algos/multipaxos.go) is
// the algorithm written for it.
//
// Why skipping is safe, in the terms of the Heard-Of model. In the first
// round of ballot b every process tells the leader what it has accepted in
// the instance; a process that has accepted nothing sends Fresh(b), the same
// whatever its input. The leader needs a majority of these messages. A
// process that has not yet touched an instance knows, ahead of time, that
// its message in ballot b will be Fresh(b) — provided it never starts the
// instance in an earlier ballot. So a node that adopts ballot b (its epoch,
// kept in Storage) promises to start every new instance at ballot b or
// later, and sends the leader a Grant{b, horizon}: "for every instance above
// horizon, my first-round message of ballot b is Fresh(b)". A leader holding
// grants from a majority for its ballot (the lease) starts each new instance
// above the highest horizon with that round's mailbox already filled with
// their Fresh messages, so the round ends at once: an execution in which the
// leader heard exactly those messages, which the checker explores like any
// other. Instances at or below the horizon (possibly in flight under an
// earlier leader) run the round for real.
//
// The lease is not a timer: it lasts until a higher ballot is adopted, and
// a node that adopted one starts its instances there, so a deposed leader's
// messages in new instances arrive in rounds its peers have left. Leadership
// moves when a node decides an instance as the coordinator of a ballot above
// the epoch (the stable leader failed to decide it), or when asked
// (RuntimeOf.Campaign); the candidate adopts the ballot and solicits grants
// (Solicit).
type Lease[M any] struct {
	// Leader is the coordinator of ballot b among n processes.
	Leader func(ballot, n int) core.NodeID
	// Fresh is the message that a process that has accepted nothing in an
	// instance sends in the first round of ballot b (to Leader(b)). It must
	// be exactly what Send sends from a fresh state, whatever the input.
	Fresh func(ballot int) M
}
