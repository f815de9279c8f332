package smr

import (
	"errors"
	"fmt"
	"time"

	"github.com/rondo-dev/rondo/rounds"
)

// Config configures a Node. Only New is required; every other field has a
// default (the zero value takes it).
type Config struct {
	// New builds the state machine, once per incarnation: a restarted
	// node restores it from its latest durable snapshot, then applies the
	// log entries after it.
	New func() StateMachine

	// MaxBatchBytes bounds an encoded batch of commands, the value of one
	// consensus instance (default DefaultMaxBatchBytes, 2 MiB: half a
	// message). A command larger than MaxCommandBytes is refused with
	// ErrTooLarge.
	MaxBatchBytes int
	// Window bounds the instances the leader has proposed and not yet
	// applied (default 64), WindowBytes their encoded size (default
	// 8 MiB): values in flight must cross the network within a round
	// timeout or two. While the window is full, commands queue up and
	// leave in larger batches.
	Window      int
	WindowBytes int
	// Pipeline bounds the batches the leader keeps in flight (default 2,
	// at most Window). A batch closes when it is proposed, so this is what
	// makes batches: with one or two in flight, the commands that arrive
	// meanwhile wait and leave together in the next, where a wider
	// pipeline would send each in an instance of its own and pay the
	// instance's messages and writes per command. Two keep the network
	// and the disks busy while one batch is being decided.
	Pipeline int

	// SnapshotEvery and SnapshotBytes: a snapshot is taken once this many
	// log entries (default 10000), or this many bytes of them (default
	// 64 MiB), were applied since the last one; the log up to it is then
	// deleted.
	SnapshotEvery int
	SnapshotBytes int

	// SessionWindow is how many of a client's most recent commands keep
	// their result in the session table (default 64): a client may have
	// that many outstanding at once, and a retry of an older one gets
	// ErrSessionExpired. MaxSessions bounds the clients remembered
	// (default 65536); beyond it the least recently active are evicted.
	SessionWindow int
	MaxSessions   int

	// Tick is the period of the node's timer while it has work (default
	// 10ms): the leader's heartbeats, retries, catch-up, suspicion.
	Tick time.Duration
	// RetryAfter is how long a forwarded command, a read-index round or a
	// fetch waits before it is sent again (default 100ms).
	RetryAfter time.Duration
	// ElectionTimeout: a node with requests waiting that has not heard
	// from the leader for a random time in [ElectionTimeout,
	// 2·ElectionTimeout) campaigns (default 300ms).
	ElectionTimeout time.Duration
	// RequestTimeout bounds how long a request waits at the node that
	// took it before it is answered ErrUnknownOutcome or ErrUnavailable
	// (default 10s).
	RequestTimeout time.Duration

	// Runtime tunes the Multi-Paxos runtime underneath (timeouts, …).
	// Ordered, Window, First and Input are the log's to set and are
	// overridden.
	Runtime rounds.ConfigOf[string]

	// Observe makes every replica output Executed for every command it
	// applies (simulation checks).
	Observe bool
}

// Defaults.
const (
	DefaultMaxBatchBytes = 2 << 20
	// batchHeadroom is what a batch of one command adds to it: the count,
	// the client, the sequence number and the length.
	batchHeadroom = 4 * 10
	// chunkBytes is the size of a snapshot piece, in storage and on the
	// wire; fetchBytes bounds the log entries of one Entries message
	// beyond the first.
	chunkBytes = 1 << 20
	fetchBytes = 2 << 20
)

// MaxCommandBytes is the largest command a node with this configuration
// takes.
func (c Config) MaxCommandBytes() int {
	return c.withDefaults().MaxBatchBytes - batchHeadroom
}

// Validate says what is wrong with a configuration.
func (c Config) Validate() error {
	if c.New == nil {
		return errors.New("smr: Config.New is required")
	}
	if c.MaxBatchBytes < 0 || c.Window < 0 || c.Pipeline < 0 || c.WindowBytes < 0 || c.SnapshotEvery < 0 ||
		c.SnapshotBytes < 0 || c.SessionWindow < 0 || c.MaxSessions < 0 || c.Tick < 0 ||
		c.RetryAfter < 0 || c.ElectionTimeout < 0 || c.RequestTimeout < 0 {
		return errors.New("smr: Config fields must not be negative")
	}
	d := c.withDefaults()
	if limit := rounds.MaxValueSize - fetchBytes/2; d.MaxBatchBytes > limit {
		return fmt.Errorf("smr: MaxBatchBytes %d is above %d (a batch must fit in a message with room to spare)", d.MaxBatchBytes, limit)
	}
	if d.MaxBatchBytes <= batchHeadroom {
		return fmt.Errorf("smr: MaxBatchBytes %d leaves no room for a command", d.MaxBatchBytes)
	}
	if d.Pipeline > d.Window {
		return fmt.Errorf("smr: Pipeline %d is above Window %d", d.Pipeline, d.Window)
	}
	if d.WindowBytes < d.MaxBatchBytes {
		return fmt.Errorf("smr: WindowBytes %d is below MaxBatchBytes %d: a full batch could never be in flight", d.WindowBytes, d.MaxBatchBytes)
	}
	return nil
}

func (c Config) withDefaults() Config {
	defi := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	defd := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	defi(&c.MaxBatchBytes, DefaultMaxBatchBytes)
	defi(&c.Window, 64)
	defi(&c.WindowBytes, 8<<20)
	defi(&c.Pipeline, min(2, c.Window))
	defi(&c.SnapshotEvery, 10000)
	defi(&c.SnapshotBytes, 64<<20)
	defi(&c.SessionWindow, 64)
	defi(&c.MaxSessions, 1<<16)
	defd(&c.Tick, 10*time.Millisecond)
	defd(&c.RetryAfter, 100*time.Millisecond)
	defd(&c.ElectionTimeout, 300*time.Millisecond)
	defd(&c.RequestTimeout, 10*time.Second)
	return c
}
