package sim

import "github.com/rondo-dev/rondo/core"

// lazyStore is a node's storage as the simulator hands it out: durable at
// once for ordinary (strict) writes, and for lazy writes (core.LazyStorage)
// as strict as the real runtime can be. A lazy write is durable only once
// a later strict write of the node is; a crash before that loses it. So
// the store journals what each lazy write replaced, forgets the journal at
// every strict write (which makes every earlier write durable, as a synced
// write-ahead log does), and on a crash puts the replaced values back,
// newest first: the node loses every lazy write made after its last strict
// one. That is the worst a write-ahead log allows (it may also keep some
// of them, as a prefix), so a process that survives it survives the wire.
// The journal is a pure function of the writes: determinism holds.
type lazyStore struct {
	core.Storage // what survives crashes
	// undo lists what the lazy writes since the last strict write
	// replaced, oldest first.
	undo []replaced
}

// replaced is a key's value before a lazy write (had: it existed).
type replaced struct {
	key   string
	value []byte
	had   bool
}

// Put is a strict write: it makes every earlier lazy write durable.
func (s *lazyStore) Put(key string, value []byte) error {
	err := s.Storage.Put(key, value)
	if err == nil {
		s.undo = nil
	}
	return err
}

// Delete is a strict delete: it makes every earlier lazy write durable.
func (s *lazyStore) Delete(key string) error {
	err := s.Storage.Delete(key)
	if err == nil {
		s.undo = nil
	}
	return err
}

// PutLazy writes value under key, to be lost in a crash before the next
// strict write.
func (s *lazyStore) PutLazy(key string, value []byte) error {
	s.remember(key)
	return s.Storage.Put(key, value)
}

// DeleteLazy deletes key, to come back in a crash before the next strict
// write.
func (s *lazyStore) DeleteLazy(key string) error {
	s.remember(key)
	return s.Storage.Delete(key)
}

func (s *lazyStore) remember(key string) {
	old, had := s.Storage.Get(key)
	s.undo = append(s.undo, replaced{key: key, value: old, had: had})
}

// crash loses the lazy writes since the last strict one and reports how
// many there were. The restoring writes go to the storage underneath as
// the world's doing, not the process's: a storage a test made to fail is
// not asked to fail them (its errors are the process's faults, not the
// crash's), so they are not checked.
func (s *lazyStore) crash() int {
	lost := len(s.undo)
	for i := len(s.undo) - 1; i >= 0; i-- {
		r := s.undo[i]
		if r.had {
			_ = s.Storage.Put(r.key, r.value)
		} else {
			_ = s.Storage.Delete(r.key)
		}
	}
	s.undo = nil
	return lost
}
