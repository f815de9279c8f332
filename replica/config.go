package replica

import (
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/lattice"
)

// Default timing and bounds.
const (
	DefaultInterval    = 50 * time.Millisecond
	DefaultMaxInterval = time.Second
	DefaultMaxDeltas   = 1024
	DefaultMaxBytes    = 64 << 20
	DefaultStatsEvery  = 16
	DefaultWindow      = 2
)

// Config describes what a replica replicates and how it gossips. Bottom,
// Codec and Apply are required; everything else has a working zero value.
type Config[L lattice.Lattice[L]] struct {
	// Bottom returns a fresh ⊥ for replica self (some CRDTs, like text,
	// need to know which replica edits them).
	Bottom func(self core.NodeID) L
	// Codec encodes states and deltas for the wire and for Storage.
	Codec Codec[L]
	// Apply performs one client operation on state — a δ-mutator: it may
	// change state in place and returns the delta, a lattice value with
	// state ⊔ delta = the new state. The replica joins the delta into the
	// state afterwards as well, so a mutator that leaves state untouched
	// is fine. A ⊥ (or nil) delta means the operation changed nothing; an
	// error means it was refused and must leave state untouched. When the
	// replica refuses the delta itself (it does not encode, or is larger
	// than Budget) it reloads the state from Storage, undoing whatever the
	// mutator changed in place. Deltas are kept (and joined into delta-groups) after Apply returns,
	// so the lattice's Merge must never modify its argument nor let a later
	// merge write through memory it shares with it.
	Apply func(ctx core.Context, state L, op any) (delta L, err error)
	// Value renders a state as the user sees it, for Snapshot outputs;
	// two equal states must render equally (nil: Snapshot.Value is empty).
	Value func(L) string
	// OutputState says which Snapshots carry the encoded state, for
	// checkers (default: none).
	OutputState StateOutput
	// Interval is the gossip period while some peer lacks something; it
	// doubles, up to MaxInterval, while no peer acknowledges anything new.
	Interval, MaxInterval time.Duration
	// Fanout is how many peers (drawn with ctx.Rand among those that lack
	// something) get a delta-group each round; 0 means all of them.
	Fanout int
	// MaxDeltas bounds the delta buffer; when it overflows the oldest
	// deltas go, and a peer that still needed them gets the whole state.
	MaxDeltas int
	// MaxDeltaBytes bounds the encoded size of the delta buffer the same
	// way (default 64 MiB).
	MaxDeltaBytes int
	// Budget is the most encoded state one message carries (default and
	// maximum MaxPiece, what fits in core.MaxMessageSize). A delta-group
	// goes out as the longest prefix of the interval that fits, and a whole
	// state in pieces that fit, when the lattice is a lattice.Splitter; a
	// local operation whose delta is larger is refused. Tests lower it to
	// exercise splitting on small states.
	Budget int
	// Window is how many pieces of a whole-state transfer may be in flight
	// to one peer, unacknowledged (default 2).
	Window int
	// StatsEvery is how many rounds apart a replica that is not quiet
	// outputs Stats (it always does when it falls quiet).
	StatsEvery int
	// OnChange, if set, is called with the state after every change, on
	// the replica's goroutine; it must not keep or modify the state.
	OnChange func(state L)
	// SkipFullStateStats leaves Stats.BytesFull at 0 instead of encoding
	// the state after each change just to count what full-state shipping
	// would cost (services with large states set it).
	SkipFullStateStats bool
	// StorageKey prefixes what the replica persists (default "replica/").
	StorageKey string

	// broken selects deliberately wrong variants, for tests that show the
	// campaign catches them.
	broken brokenMode
}

// StateOutput says which Snapshot outputs carry the encoded state.
type StateOutput uint8

const (
	// StateNever leaves Snapshot.State empty.
	StateNever StateOutput = iota
	// StateOnChange puts the state in the Snapshot of every change.
	StateOnChange
	// StateWhenQuiet puts it only in a Snapshot output when the replica
	// falls quiet (every peer acknowledged everything): a checker still
	// sees the final state of a run that ends quiescent, without a copy of
	// a state of megabytes at every change.
	StateWhenQuiet
)

// brokenMode names a deliberately incorrect anti-entropy.
type brokenMode uint8

const (
	correct brokenMode = iota
	// fireAndForget ships each local delta once to every peer and never
	// again: no acknowledgements, no intervals, no full-state fallback.
	fireAndForget
	// oneMessage is the anti-entropy before frame budgets: the whole
	// interval, or the whole state, in one message however large, which
	// the transport refuses past core.MaxMessageSize — for ever.
	oneMessage
)

func (c *Config[L]) defaults() {
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.MaxInterval < c.Interval {
		c.MaxInterval = max(DefaultMaxInterval, c.Interval)
	}
	if c.MaxDeltas <= 0 {
		c.MaxDeltas = DefaultMaxDeltas
	}
	if c.MaxDeltaBytes <= 0 {
		c.MaxDeltaBytes = DefaultMaxBytes
	}
	if c.StatsEvery <= 0 {
		c.StatsEvery = DefaultStatsEvery
	}
	if c.Budget <= 0 || c.Budget > MaxPiece {
		c.Budget = MaxPiece
	}
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	if c.StorageKey == "" {
		c.StorageKey = "replica/"
	}
}
