package kv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/lattice"
	"github.com/rondo-dev/rondo/replica"
)

// write is the operation of a PUT or DELETE, handed to the replica's
// process as a core.Request body.
type write struct {
	Key    string
	Value  []byte
	Delete bool
}

// Options tune a Service; the zero value works.
type Options struct {
	// Now is the clock writes are stamped with, in nanoseconds (default:
	// wall time). A write is always stamped after the version it replaces,
	// so a replica with a slow clock still overwrites what it has seen.
	Now func() uint64
	// Interval is the anti-entropy gossip period (default 20ms).
	Interval time.Duration
	// SessionWait is how long a read carrying a session token waits for the
	// replica to catch up before it answers 503 (default 2s).
	SessionWait time.Duration
	// Causal makes every key a multi-value register instead of
	// last-writer-wins: concurrent writes (at replicas that had not seen
	// each other's) are all kept, and a read returns them all, until a
	// write that has seen them replaces them.
	Causal bool
	// Admin, if set, serves POST /admin/partition and /admin/heal.
	Admin Admin
	// Limits bound what clients can hold of the HTTP server.
	Limits HTTPLimits
	// budget, if set, lowers the replica's message budget (tests).
	budget int
}

// Admin injects network faults into a running replica, for tests and
// demonstrations of convergence after a partition heals.
type Admin interface {
	// Partition cuts the links between the groups (nodes named in no group
	// form one more group) until Heal; it refuses unknown node ids, a node
	// named twice and an empty group.
	Partition(groups [][]core.NodeID) error
	Heal()
}

// Runner is what runs a replica's process: a cluster.Node.
type Runner interface {
	// Submit hands the process a request; false if it has stopped.
	Submit(body any) bool
	// Barrier is closed once every request submitted before it has been
	// handled and what it stored is durable (cluster.Node.Barrier).
	Barrier() <-chan struct{}
	// Done is closed when the process has stopped; Err then says why
	// (nil after a clean stop).
	Done() <-chan struct{}
	Err() error
}

// Service is one replica of the lattice KV: it builds the replica's
// core.Process (for whichever runtime runs it) and serves the HTTP API
// against it.
type Service struct {
	id   core.NodeID
	opts Options

	mu      sync.Mutex
	clock   *lattice.VClock // the replica's session clock, as of its last change
	changed chan struct{}   // closed and replaced at every change
	run     Runner

	puts    chan struct{} // one token per PUT in progress (HTTPLimits.MaxPuts)
	waiting atomic.Int64  // reads waiting for their session
}

// NewService returns replica id's service. Attach the runtime that runs its
// process before serving HTTP.
func NewService(id core.NodeID, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = func() uint64 { return uint64(time.Now().UnixNano()) }
	}
	if opts.Interval <= 0 {
		opts.Interval = 20 * time.Millisecond
	}
	if opts.SessionWait <= 0 {
		opts.SessionWait = 2 * time.Second
	}
	opts.Limits.defaults()
	return &Service{id: id, opts: opts, clock: &lattice.VClock{}, changed: make(chan struct{}),
		puts: make(chan struct{}, opts.Limits.MaxPuts)}
}

// ID is the replica's node id.
func (s *Service) ID() core.NodeID { return s.id }

// Register adds the KV's message types (those of anti-entropy) to a codec.
func Register(r *core.Registry) { replica.Register(r) }

// ReplicaConfig is the anti-entropy configuration of the KV's Store.
func (s *Service) ReplicaConfig() replica.Config[*Store] {
	return replica.Config[*Store]{
		Bottom:   func(core.NodeID) *Store { return &Store{} },
		Codec:    replica.BinaryCodec(func() *Store { return &Store{} }),
		Apply:    s.apply,
		OnChange: s.publish,
		Interval: s.opts.Interval, MaxInterval: 500 * time.Millisecond,
		SkipFullStateStats: true,
		Budget:             s.opts.budget,
	}
}

// Process builds a fresh incarnation of the replica's process.
func (s *Service) Process() core.Process { return replica.New(s.ReplicaConfig()) }

// Attach connects the service to the runtime running its process. Call it
// again after a restart.
func (s *Service) Attach(run Runner) {
	s.mu.Lock()
	s.run = run
	s.mu.Unlock()
}

// apply is the δ-mutator of a PUT or DELETE: it stamps the write past the
// key's current version and returns the write's delta.
func (s *Service) apply(ctx core.Context, st *Store, op any) (*Store, error) {
	w, ok := op.(write)
	if !ok {
		return nil, errors.New("kv: not a write")
	}
	if s.opts.Causal {
		return st.WriteCausal(ctx.ID(), w.Key, w.Value, w.Delete), nil
	}
	v := Version{Time: s.opts.Now(), Node: ctx.ID()}
	if cur := st.Get(w.Key); cur != nil && !cur.Version.Less(v) {
		v.Time = cur.Version.Time + 1
	}
	return st.Write(ctx.ID(), w.Key, &Entry{Version: v, Value: w.Value, Deleted: w.Delete}), nil
}

// publish runs on the replica's goroutine after every change: it records
// the session clock and wakes the reads waiting for it.
func (s *Service) publish(st *Store) {
	c := st.Clock().Clone()
	s.mu.Lock()
	s.clock = c
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// errStopped is why a request finds no replica to serve it.
type errStopped struct {
	id  core.NodeID
	err error
}

func (e errStopped) Error() string {
	if e.err == nil {
		return fmt.Sprintf("replica %d is not running", e.id)
	}
	return fmt.Sprintf("replica %d stopped: %v", e.id, e.err)
}

// replicaTimeout bounds how long a request waits for the replica's
// goroutine, which answers in microseconds unless it is wedged.
const replicaTimeout = 10 * time.Second

// do runs ops on the replica's goroutine, then waits until the replica has
// handled them all and made what they stored durable — or the client went
// away (ctx), or the replica stopped. The callbacks of ops run inside the
// replica's handlers, before their batch is committed: what they learn is
// not for the client's eyes until the barrier says it is durable, since a
// crash before the commit would take it back.
func (s *Service) do(ctx context.Context, ops ...any) error {
	s.mu.Lock()
	run := s.run
	s.mu.Unlock()
	if run == nil {
		return errStopped{id: s.id}
	}
	for _, op := range ops {
		if !run.Submit(op) {
			<-run.Done()
			return errStopped{s.id, run.Err()}
		}
	}
	durable := run.Barrier()
	timer := time.NewTimer(replicaTimeout)
	defer timer.Stop()
	select {
	case <-durable:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-run.Done():
		return errStopped{s.id, run.Err()}
	case <-timer.C:
		return fmt.Errorf("replica %d did not answer within %v", s.id, replicaTimeout)
	}
}

// found is what a read finds under a key.
type found struct {
	entry  *Entry   // last-writer-wins mode
	values []string // causal mode
}

func (f found) absent() bool {
	return (f.entry == nil || f.entry.Deleted) && len(f.values) == 0
}

// read returns what key holds and the replica's clock, after ops.
func (s *Service) read(ctx context.Context, key string, ops ...any) (found, *lattice.VClock, error) {
	var f found
	var c *lattice.VClock
	err := s.do(ctx, append(ops, replica.Read[*Store](func(st *Store) {
		f = found{entry: st.Get(key), values: st.Values(key)} // entries are immutable: sharing is safe
		c = st.Clock().Clone()
	}))...)
	return f, c, err
}

// waitFor blocks until the replica's clock is ≥ token, the deadline passes
// or the client goes away; it reports whether the replica caught up.
func (s *Service) waitFor(ctx context.Context, token *lattice.VClock, deadline <-chan time.Time) bool {
	s.waiting.Add(1)
	defer s.waiting.Add(-1)
	for {
		s.mu.Lock()
		ok, ch := token.LessEq(s.clock), s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

func (s *Service) snapshotClock() *lattice.VClock {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock.Clone()
}
