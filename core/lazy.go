package core

import "fmt"

// LazyStorage is a Storage that also takes lazy writes: writes that need
// no durability of their own. A lazy write is visible to reads at once,
// like any other, but it becomes durable only together with the next
// ordinary (strict) write of the same node, or with a later one; a crash
// before that may lose it, and with it every lazy write made after it
// (never a lazy write made before one that survives: lazy writes are lost
// as a suffix, in the order they were made). A strict write makes every
// earlier write durable, lazy or not.
//
// This is the semantics of an ordered write-ahead log: the real runtime
// commits a batch that made only lazy writes without an fsync, and lets
// its messages and outputs leave at once; the next batch with a strict
// write is synced, which makes the earlier unsynced batches durable too.
// The simulator is stricter still: a crash loses every lazy write made
// after the node's last strict write (sim).
//
// A process writes lazily what it can afford to lose on a crash and
// recover from elsewhere, and which no message or output it sends depends
// on being durable: a replicated log's entry, whose value is durable at a
// majority's acceptor records until the log is truncated (strictly, and
// after the entries it covers). Use PutLazy and DeleteLazy (below), which
// fall back to Put and Delete on a Storage without lazy writes.
type LazyStorage interface {
	Storage
	// PutLazy stores a copy of value under key, lazily.
	PutLazy(key string, value []byte) error
	// DeleteLazy removes key, lazily; deleting a missing key is not an
	// error.
	DeleteLazy(key string) error
}

// PutLazy writes value under key lazily if s takes lazy writes, and with
// Put (durable before the handler's effects leave) otherwise.
func PutLazy(s Storage, key string, value []byte) error {
	if l, ok := s.(LazyStorage); ok {
		return l.PutLazy(key, value)
	}
	return s.Put(key, value)
}

// DeleteLazy deletes key lazily if s takes lazy writes, and with Delete
// otherwise.
func DeleteLazy(s Storage, key string) error {
	if l, ok := s.(LazyStorage); ok {
		return l.DeleteLazy(key)
	}
	return s.Delete(key)
}

// The fail-stop policy covers lazy writes too: the wrapper takes them,
// passing them on as lazy writes if the storage underneath takes them.

func (f failStop) PutLazy(key string, value []byte) error {
	err := PutLazy(f.Storage, key, value)
	if err != nil {
		f.fail(fmt.Errorf("storage write of %q failed: %w", key, err))
	}
	return err
}

func (f failStop) DeleteLazy(key string) error {
	err := DeleteLazy(f.Storage, key)
	if err != nil {
		f.fail(fmt.Errorf("storage delete of %q failed: %w", key, err))
	}
	return err
}
