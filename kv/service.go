package kv

import (
	"errors"
	"sync"
	"time"

	"github.com/rondo-dev/rondo/core"
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
}

// Admin injects network faults into a running replica, for tests and
// demonstrations of convergence after a partition heals.
type Admin interface {
	// Partition cuts the links between the groups (nodes named in no group
	// form one more group) until Heal; it refuses unknown node ids.
	Partition(groups [][]core.NodeID) error
	Heal()
}

// Service is one replica of the lattice KV: it builds the replica's
// core.Process (for whichever runtime runs it) and serves the HTTP API
// against it.
type Service struct {
	id   core.NodeID
	opts Options

	mu      sync.Mutex
	clock   Clock         // the replica's session clock, as of its last change
	changed chan struct{} // closed and replaced at every change
	submit  func(any) bool
}

// NewService returns replica id's service. Attach the runtime's submit
// function (cluster.Node.Submit) before serving HTTP.
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
	return &Service{id: id, opts: opts, clock: Clock{}, changed: make(chan struct{})}
}

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
	}
}

// Process builds a fresh incarnation of the replica's process.
func (s *Service) Process() core.Process { return replica.New(s.ReplicaConfig()) }

// Attach connects the service to the running process: submit hands it a
// request (cluster.Node.Submit). Call it again after a restart.
func (s *Service) Attach(submit func(any) bool) {
	s.mu.Lock()
	s.submit = submit
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
	c := Clock{}
	c.Merge(st.Clock())
	s.mu.Lock()
	s.clock = c
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

var errStopped = errors.New("the replica is not running")

// do runs f on the replica's goroutine, after every request submitted
// before it, and waits for it.
func (s *Service) do(ops ...any) error {
	s.mu.Lock()
	submit := s.submit
	s.mu.Unlock()
	if submit == nil {
		return errStopped
	}
	done := make(chan struct{})
	for _, op := range ops {
		if !submit(op) {
			return errStopped
		}
	}
	if !submit(replica.Read[*Store](func(*Store) { close(done) })) {
		return errStopped
	}
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("the replica did not answer within 10s")
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

// read returns what key holds and the replica's clock.
func (s *Service) read(key string, ops ...any) (found, Clock, error) {
	var f found
	c := Clock{}
	err := s.do(append(ops, replica.Read[*Store](func(st *Store) {
		f = found{entry: st.Get(key), values: st.Values(key)} // entries are immutable: sharing is safe
		c.Merge(st.Clock())
	}))...)
	return f, c, err
}

// waitFor blocks until the replica's clock is ≥ token or the deadline
// passes; it reports whether the replica caught up.
func (s *Service) waitFor(token Clock, deadline <-chan time.Time) bool {
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
		}
	}
}
