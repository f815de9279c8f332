// Package rounds is Rondo's round-based programming model: PSync (Drăgoi,
// Henzinger, Zufferey, POPL 2016) over the Heard-Of model (Charron-Bost and
// Schiper, Distributed Computing 22(1), 2009).
//
// Processes run in lockstep rounds. In every round each process first sends
// (to chosen peers, or to all), then updates its state from the mailbox it
// received. Which messages a process hears in a round — its heard-of (HO)
// set — is the environment's choice: asynchrony, loss and crashes are all just
// missing messages. An algorithm is therefore a small deterministic value that
// can be run two ways without change:
//
//   - by the rounds runtime (a core.Process, see runtime*.go), which turns a
//     real or simulated network into rounds by ending each round on a
//     timeout or once the expected messages have arrived (partial synchrony);
//   - by the Heard-Of checker (package check), which enumerates every HO
//     assignment the fault model allows, round by round, and checks the
//     algorithm's Spec at every global state it reaches.
//
// An Algorithm is a plain struct of functions, so a user package writes one
// exactly as package rounds/algos does:
//
//	alg := &rounds.Algorithm[state, msg]{
//		Name: "minflood",
//		Init: func(id core.NodeID, n int, in rounds.Value) state { return state{X: in} },
//		Rounds: []rounds.Round[state, msg]{{
//			Send:   func(s state, r rounds.View, out *rounds.Outbox[msg]) { out.Broadcast(msg{s.X}) },
//			Update: func(s *state, mb rounds.Mailbox[msg], r *rounds.Ctx) { ... r.Decide(s.X) },
//		}},
//		Spec: rounds.Spec[state, msg]{...},
//	}
//
// Round r (counted from 0) runs Rounds[r mod len(Rounds)]: a phase of
// len(Rounds) rounds repeats until every process has decided or exited.
package rounds

import (
	"errors"
	"fmt"

	"github.com/rondo-dev/rondo/core"
)

// Value is the type of inputs and decisions of the library's algorithms and
// of the checker. Consensus-like algorithms take one Value per process as
// input and decide one Value; the checker draws the inputs from the domain
// 0..V-1. Algorithms over richer data (sets, reals) encode them in a Value (a
// bit set, a fixed-point number).
//
// An algorithm may instead be generic over its value type (AlgorithmOf with
// a type parameter V): a replicated log decides batches of commands as
// strings of up to MaxValueSize bytes, while the checker instantiates the
// same code with V = Value over a small domain. Every generic type has an
// int64 name for the common case: Algorithm is AlgorithmOf[S, M, Value],
// Ctx is CtxOf[Value], and so on (see docs/rounds.md, "Values").
type Value = int64

// MaxN is the largest number of processes a round-based instance may have:
// process sets are 64-bit masks (Set).
const MaxN = 64

// CheckSize refuses a system of n processes that the model cannot hold: a
// 65th process would alias the first in every Set (HO sets, quorums), and
// the runtime would silently never hear or address it.
func CheckSize(n int) error {
	if n < 1 || n > MaxN {
		return fmt.Errorf("round-based algorithms run on 1..%d nodes (process sets are 64-bit masks), got %d", MaxN, n)
	}
	return nil
}

// Algorithm is a round-based algorithm over int64 values (Value): the
// library's algorithms, and what the checker explores.
type Algorithm[S, M comparable] = AlgorithmOf[S, M, Value]

// AlgorithmOf is a round-based algorithm: a deterministic value, the same
// for the runtime and for the checker.
//
// S is a process's local state, M the type of its messages and V the type of
// its inputs and decisions.
//
// S must be comparable, and == on S must mean "the same state": no pointers,
// maps or slices whose contents matter (use fixed-size arrays, Set, and
// scalar fields). This is what lets the checker intern every distinct local
// state once and represent a global state as n small integers, which is
// where most of its speed comes from; a canonical encoder (AppendState) would
// cost an allocation and a hash of the whole encoding per state instead.
//
// M must be a comparable concrete (non-interface) type, encodable by
// core.Registry: exported fields for the JSON fallback, or
// encoding.BinaryAppender + BinaryUnmarshaler for the compact path. Messages
// cross the network on the runtime, and the checker interns them too. A
// multi-round algorithm usually uses one struct with the fields of all its
// rounds (the round number disambiguates).
//
// V must be comparable, and == on V must mean "the same value" (decisions
// are compared with it). A string is the natural type of a large value: it
// is immutable, so a state or a message that holds one copies a pointer and
// a length, never the bytes.
type AlgorithmOf[S, M, V comparable] struct {
	// Name is what the CLI calls it: "otr", "lastvoting", …
	Name string
	// Summary is one line saying what it does.
	Summary string
	// Paper cites where the algorithm comes from.
	Paper string
	// Init builds process id's initial state in a system of n processes
	// (ids 0..n-1) from its input.
	Init func(id core.NodeID, n int, input V) S
	// Rounds is one phase: round r runs Rounds[r mod len(Rounds)].
	Rounds []RoundOf[S, M, V]
	// Spec states the fault assumptions, safety properties and
	// communication predicate the algorithm is checked against.
	Spec SpecOf[S, M, V]
	// Format prints states, messages and decided values for people
	// (optional; see Format).
	Format FormatOf[S, M, V]
	// Durable, when set, says which part of a process's state survives a
	// crash: the runtime persists it before sending anything that depends
	// on it, and a restarted node rejoins its instances from it (see
	// Durable). Without it a restarted node only asks its peers for the
	// decisions of the instances it may have taken part in.
	Durable *Durable[S]
	// Lease, when set, lets a stable leader skip the first round of a
	// ballot for new instances (Multi-Paxos; see Lease). The checker
	// ignores it: the round it skips is explored like any other.
	Lease *Lease[M]
}

// Round is a round of an algorithm over int64 values.
type Round[S, M any] = RoundOf[S, M, Value]

// RoundOf is one round of a phase. Send is required; exactly one of Update
// (a lockstep round: the whole mailbox at once) and Event (a round that
// reacts to one message at a time) is set.
type RoundOf[S, M any, V comparable] struct {
	// Name labels the round in traces and counterexamples ("vote",
	// "commit", …); empty is fine.
	Name string

	// Send fills out with the messages this process sends in this round:
	// out.Broadcast(m) to every process (itself included), out.To(p, m) to
	// one. Sending nothing is allowed.
	//
	// Send gets a copy of the state and a read-only View: it cannot change
	// the state, decide or exit. That is what makes the checked algorithm
	// the running one: the checker computes what a state sends once and
	// reuses it, the runtime sends from the live state, and a Send that
	// acted on the state would make the two diverge. (S must hold no
	// pointers, maps or slices, see Algorithm, so the copy is a real one.)
	Send func(s S, r ViewOf[V], out *Outbox[M])

	// Update computes the next state from the messages heard this round.
	// It must be deterministic, depend only on s, mb and r, and not keep mb
	// (its storage is reused). Decisions are made with r.Decide, an instance
	// ends with r.Exit.
	Update func(s *S, mb Mailbox[M], r *CtxOf[V])

	// Event, instead of Update, handles the round one message at a time
	// (PSync's later EventRound).
	Event *EventRoundOf[S, M, V]

	// Expect is how many messages the round waits for before it may end
	// early (nil: all n). The runtime ends a lockstep round at the first of
	// Expect messages received or the timeout given by Progress. The checker
	// ignores it: every HO set is explored anyway; which is why, like Send,
	// it sees a copy of the state and cannot act on it.
	Expect func(s S, r ViewOf[V]) int

	// Progress is how a lockstep round waits (zero value: Timeout(0), the
	// runtime's default, adaptive timeout, with catch-up allowed).
	Progress Progress
}

// EventRound is an event round of an algorithm over int64 values.
type EventRound[S, M any] = EventRoundOf[S, M, Value]

// EventRoundOf is a round that handles messages as they arrive. The runtime
// calls Start after Send, Receive for each message of this round as it
// arrives, and Finish once the last returned Progress says the round is over
// (GoAhead) or its timeout expired (timedOut). The checker, which treats
// rounds as lockstep, delivers the messages of the chosen HO set in
// increasing sender order, stops delivering after a GoAhead, and then calls
// Finish(timedOut = no GoAhead was returned).
type EventRoundOf[S, M any, V comparable] struct {
	// Start returns the round's initial progress (nil: Timeout(0)).
	Start func(s *S, r *CtxOf[V]) Progress
	// Receive handles one message and says how the round goes on.
	Receive func(s *S, from core.NodeID, m M, r *CtxOf[V]) Progress
	// Finish ends the round.
	Finish func(s *S, timedOut bool, r *CtxOf[V])
}

// Status is the status of a process deciding int64 values.
type Status = StatusOf[Value]

// StatusOf is the part of a process's state the model itself owns: whether
// and what it decided, and whether it exited. Algorithms change it only
// through Ctx.Decide and Ctx.Exit.
type StatusOf[V comparable] struct {
	Decided  bool
	Decision V
	// Exited: the process left the instance; it sends and updates no more.
	Exited bool
	// Revoked: the process called Decide a second time with a different
	// value, Other. Irrevocability (a Property) fails on it. Decision keeps
	// the first value.
	Revoked bool
	Other   V
}

// Ctx is the round context of an algorithm over int64 values.
type Ctx = CtxOf[Value]

// CtxOf is what an algorithm sees of the world in a round: its id, the number
// of processes, the round number, and the built-ins Decide and Exit. The
// runtime keeps one Ctx per instance across rounds (Status carries over) and
// sets Round before each round; the checker rebuilds it for every step.
type CtxOf[V comparable] struct {
	// ID is this process's id, in 0..N-1.
	ID core.NodeID
	// N is the number of processes.
	N int
	// Round is the current round, counted from 0.
	Round int
	// Status is this process's decision and exit status.
	Status StatusOf[V]
	// Flip, when set, is the source of random coins (Coin). The runtime
	// sets it from core.Context.Rand; the checker sets it to explore every
	// outcome of every coin an update flips.
	Flip func() bool

	// ask: the processes AskDecision named in this round.
	ask Set
}

// Phase returns the current phase number for a phase of k rounds.
func (c *CtxOf[V]) Phase(k int) int { return c.Round / k }

// View returns the read-only part of c: what Send, Expect and Spec.Forge
// see.
func (c *CtxOf[V]) View() ViewOf[V] {
	return ViewOf[V]{ID: c.ID, N: c.N, Round: c.Round, Status: c.Status}
}

// View is the view of a process deciding int64 values.
type View = ViewOf[Value]

// ViewOf is what a process sees of itself while it sends: its id, the number
// of processes, the round and its status, as a value. It has no Decide and
// no Exit: a process acts (changes its state, decides, exits) only in
// Update or an EventRound's handlers, which the checker and the runtime
// both run on the state they keep.
type ViewOf[V comparable] struct {
	ID     core.NodeID
	N      int
	Round  int
	Status StatusOf[V]
}

// Phase returns the current phase number for a phase of k rounds.
func (v ViewOf[V]) Phase(k int) int { return v.Round / k }

// Decided returns the decision, if any.
func (v ViewOf[V]) Decided() (V, bool) { return v.Status.Decision, v.Status.Decided }

// Decide decides v. Deciding again with the same value is a no-op; with a
// different value it marks the status Revoked and records the value in
// Other (the first such value), which Irrevocability reports.
func (c *CtxOf[V]) Decide(v V) {
	if c.Status.Decided {
		if c.Status.Decision != v && !c.Status.Revoked {
			c.Status.Revoked, c.Status.Other = true, v
		}
		return
	}
	c.Status.Decided, c.Status.Decision = true, v
}

// Decided returns the decision, if any.
func (c *CtxOf[V]) Decided() (V, bool) { return c.Status.Decision, c.Status.Decided }

// AskDecision says that process p is known to have decided the instance
// (its decision message arrived) while this process lacks the value, which
// the algorithm kept out of that message to keep it small: Multi-Paxos's
// decide round carries a ballot, and a process that missed the ballot's
// value cannot decide from it. The runtime asks p for its decision after
// the round (an Ask, answered with the value from p's decision log) and
// decides it on the answer. The checker ignores it: the process just has
// not decided yet.
func (c *CtxOf[V]) AskDecision(p core.NodeID) { c.ask = c.ask.Add(p) }

// Exit ends this process's part in the instance after this round: it sends
// nothing and updates no more.
func (c *CtxOf[V]) Exit() { c.Status.Exited = true }

// Coin returns a random bit (false when no coin source is set).
func (c *CtxOf[V]) Coin() bool {
	if c.Flip == nil {
		return false
	}
	return c.Flip()
}

// Phase returns the round that round r runs.
func (a *AlgorithmOf[S, M, V]) Phase(r int) *RoundOf[S, M, V] {
	return &a.Rounds[r%len(a.Rounds)]
}

// RegisterMessages registers M with a codec registry under the name
// "rounds/<Name>", so that the runtime can send it over the network.
func (a *AlgorithmOf[S, M, V]) RegisterMessages(r *core.Registry) {
	core.Register[M](r, "rounds/"+a.Name)
}

// Info describes the algorithm for listings (rondo list).
func (a *AlgorithmOf[S, M, V]) Info() Info {
	return Info{Name: a.Name, Summary: a.Summary, Paper: a.Paper,
		Model: a.Spec.Model, Threshold: a.Spec.Threshold, Rounds: len(a.Rounds)}
}

// Info is an algorithm's description, independent of its type parameters, so
// that algorithms of different types can be listed together.
type Info struct {
	Name, Summary, Paper string
	Model                Model
	Threshold            string
	// Rounds is the phase length.
	Rounds int
}

// Validate reports a malformed algorithm: missing functions, an empty
// phase, or a round with both or neither of Update and Event.
func (a *AlgorithmOf[S, M, V]) Validate() error {
	if a.Name == "" {
		return errors.New("rounds: algorithm has no Name")
	}
	if a.Init == nil {
		return fmt.Errorf("rounds: %s: Init is nil", a.Name)
	}
	if len(a.Rounds) == 0 {
		return fmt.Errorf("rounds: %s: no rounds", a.Name)
	}
	for i, r := range a.Rounds {
		if r.Send == nil {
			return fmt.Errorf("rounds: %s: round %d has no Send", a.Name, i)
		}
		if (r.Update == nil) == (r.Event == nil) {
			return fmt.Errorf("rounds: %s: round %d needs exactly one of Update and Event", a.Name, i)
		}
		if r.Event != nil && (r.Event.Receive == nil || r.Event.Finish == nil) {
			return fmt.Errorf("rounds: %s: round %d: Event needs Receive and Finish", a.Name, i)
		}
	}
	if d := a.Durable; d != nil && (d.Part == nil || d.Append == nil || d.Load == nil) {
		return fmt.Errorf("rounds: %s: Durable needs Part, Append and Load", a.Name)
	}
	if l := a.Lease; l != nil && (l.Leader == nil || l.Fresh == nil) {
		return fmt.Errorf("rounds: %s: Lease needs Leader and Fresh", a.Name)
	}
	return nil
}
