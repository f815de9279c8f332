package core

import (
	"sort"
	"sync"
)

// Storage is the state of a node that survives a crash. Put and Delete are
// durable when they return: the real runtime writes through to disk with
// fsync; the simulator keeps the map across a crash and a restart.
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
