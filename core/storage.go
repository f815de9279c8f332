package core

import (
	"fmt"
	"sort"
	"sync"
)

// Storage is the state of a node that survives a crash.
//
// The contract, in every world: a write (Put or Delete) is durable before
// any effect of the handler that made it leaves the node — before any
// message it sent reaches the network, any output it made is seen, and
// any later handler's effect too. A crash loses only writes none of whose
// effects (and no later handler's) ever left. Reads (Get, Keys) see every
// write made so far, durable or not yet.
//
// The simulator's Storage (MemStorage) is durable at once: the map is kept
// across a crash and a restart. The real runtime (package cluster) commits
// in groups: a node handles a batch of events, writes all their changes
// with one fsync, and only then lets their messages and outputs leave, so
// a write may become durable only when its handler's batch ends — which no
// process can tell from the outside, since nothing it did has left before.
// A process therefore writes what a message or reply depends on before it
// sends it, in the same handler or an earlier one, and needs nothing else.
// Effects that bypass Context — a callback a request carries, run inside
// the handler — are not held back; a service answering through one waits
// for the write to be durable first (cluster.Node.Barrier).
//
// A write that fails (a full disk, an I/O error) stops the node: the
// Storage a world hands a process calls Context.Fail with the error before
// returning it, so whatever the process does next in the same handler
// stays inside it. One policy for every model: a node never acts on state
// it could not make durable. The error is still returned, so the process
// can stop its own work early.
//
// A write that needs no durability of its own (it may be lost in a crash,
// as a suffix, until a later strict write is durable) is a lazy write:
// see LazyStorage.
type Storage interface {
	Get(key string) (value []byte, ok bool)
	Put(key string, value []byte) error
	Delete(key string) error
	// Keys lists the stored keys with the given prefix, sorted.
	Keys(prefix string) []string
}

// MemStorage is a Storage held in memory. It is what the simulator gives each
// node, and a convenient Storage for unit tests. The zero value is ready.
type MemStorage struct {
	mu sync.Mutex
	m  map[string][]byte
}

// Get returns a copy of the value stored under key.
func (s *MemStorage) Get(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return nil, false
	}
	return append([]byte(nil), v...), true
}

// Put stores a copy of value under key.
func (s *MemStorage) Put(key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string][]byte)
	}
	s.m[key] = append([]byte(nil), value...)
	return nil
}

// Delete removes key; deleting a missing key is not an error.
func (s *MemStorage) Delete(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// Keys lists the stored keys that start with prefix, sorted.
func (s *MemStorage) Keys(prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ks []string
	for k := range s.m {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	return ks
}

// FailStop returns s with the policy every world applies: a Put or Delete
// that fails calls fail with the error (which stops the node) before the
// error is returned to the process.
func FailStop(s Storage, fail func(error)) Storage { return failStop{s, fail} }

type failStop struct {
	Storage
	fail func(error)
}

func (f failStop) Put(key string, value []byte) error {
	err := f.Storage.Put(key, value)
	if err != nil {
		f.fail(fmt.Errorf("storage write of %q failed: %w", key, err))
	}
	return err
}

func (f failStop) Delete(key string) error {
	err := f.Storage.Delete(key)
	if err != nil {
		f.fail(fmt.Errorf("storage delete of %q failed: %w", key, err))
	}
	return err
}
