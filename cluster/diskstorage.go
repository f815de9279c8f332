package cluster

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
)

// DiskStorage is the durable storage of a node on the real runtime: an
// embedded Pebble database (an LSM tree whose commits append to a
// write-ahead log) in one directory. It is a BatchStorage: writes are held
// in an indexed batch, read back by Get and Keys at once, and made durable
// together by Commit, which appends the batch to the log and fsyncs it once
// (fdatasync). A crash loses at most the batch not yet committed, whole.
// It is a core.LazyStorage too: a batch of lazy writes only is appended to
// the log without an fsync, and made durable by the next synced commit; a
// crash of the machine before that loses it, whole, and every later
// unsynced batch with it.
// docs/storage.md says why Pebble, with the figures that decided it.
//
// Beside the process's keys the store keeps a little metadata of its own
// (Meta): who owns it, and the incarnation counter. Keys never lists it.
//
// A read that fails (an I/O error, corruption the checksums catch) reads as
// absent and poisons the store: every later Commit fails with the cause, so
// the node fail-stops before anything done on the wrong answer leaves it.
// Pebble reports some failures only through its logger (Fatalf, which
// would exit the OS process by default); DiskStorage records them the same
// way.
//
// A DiskStorage belongs to one node at a time; its methods may be called
// from any goroutine, but the node's goroutine owns the open batch.
type DiskStorage struct {
	dir    string
	db     *pebble.DB
	fsyncs *atomic.Uint64
	noSync bool // DiskOptions.NoSync

	mu sync.Mutex
	b  *pebble.Batch // writes since the last Commit; nil when there are none
	// strict: b holds an ordinary write (not only lazy ones), so its
	// commit waits for an fsync.
	strict bool
	// failed is the first read or commit failure, or one Pebble reported
	// (h): the store refuses to commit anything after it.
	failed error
	h      *health
	closed bool
}

// DiskOptions configure OpenDiskStorage.
type DiskOptions struct {
	// Owner names what keeps its state in the store (for example "rondo
	// node broadcast"). A new store records it; an existing store with
	// another owner is refused, so that two programs never read each
	// other's keys as their own.
	Owner string
	// Logger receives Pebble's messages (Info at DEBUG level) and its
	// errors (default: discarded).
	Logger *slog.Logger
	// Create, if set, runs once, on a store that did not exist yet, before
	// its first Commit: what it writes is committed atomically with the
	// store's owner, so a crash leaves either an empty store, created
	// afresh at the next open, or a complete one. Importing the files of an
	// older rondo (ReadFileStorage) goes here.
	Create func(*DiskStorage) error
	// NoSync makes Commit write the batch to Pebble's write-ahead log
	// without waiting for an fsync: the writes reach the operating system
	// (a crash of the process keeps them) but not necessarily the disk (a
	// crash of the machine may lose the last commits, whole). It is for
	// benchmarks that measure a system with "fsync off", never for a
	// store whose votes must survive a power cut: a node that forgot a
	// vote could vote twice.
	NoSync bool
}

// Namespaces of the keys in the database: the process's and the store's
// own metadata.
const (
	procPrefix = "p"
	metaPrefix = "m"
	ownerMeta  = "owner"
	incMeta    = "incarnation"
)

// Dir is the directory the store lives in.
func (s *DiskStorage) Dir() string { return s.dir }

// Get returns a copy of the value under key, as of the writes so far
// (committed or not).
func (s *DiskStorage) Get(key string) ([]byte, bool) { return s.get(procPrefix + key) }

// Put stores value under key; it becomes durable at the next Commit.
func (s *DiskStorage) Put(key string, value []byte) error {
	return s.set(procPrefix+key, value, true)
}

// Delete removes key (at the next Commit); deleting a missing key is not
// an error.
func (s *DiskStorage) Delete(key string) error { return s.del(procPrefix+key, true) }

// PutLazy stores value under key lazily (core.LazyStorage): a Commit whose
// writes are all lazy appends them to Pebble's write-ahead log without an
// fsync, and the next Commit with an ordinary write syncs them with its
// own (the log is synced in order). A crash of the machine before that may
// lose them, as a suffix of the log.
func (s *DiskStorage) PutLazy(key string, value []byte) error {
	return s.set(procPrefix+key, value, false)
}

// DeleteLazy removes key lazily (PutLazy).
func (s *DiskStorage) DeleteLazy(key string) error { return s.del(procPrefix+key, false) }

// Keys lists the keys that start with prefix, sorted, as of the writes so
// far (committed or not).
func (s *DiskStorage) Keys(prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	lo := []byte(procPrefix + prefix)
	o := &pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)}
	var it *pebble.Iterator
	var err error
	if s.b != nil {
		it, err = s.b.NewIter(o)
	} else {
		it, err = s.db.NewIter(o)
	}
	if err != nil {
		s.readFailed(err)
		return nil
	}
	var keys []string
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, string(it.Key()[len(procPrefix):]))
	}
	s.readFailed(it.Close())
	return keys
}

// prefixEnd is the least key greater than every key starting with p (nil:
// no bound, when p is all 0xff).
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// Meta returns the store's own metadata under name (outside the process's
// keys).
func (s *DiskStorage) Meta(name string) ([]byte, bool) { return s.get(metaPrefix + name) }

// PutMeta writes the store's own metadata under name; it becomes durable
// at the next Commit.
func (s *DiskStorage) PutMeta(name string, value []byte) error {
	return s.set(metaPrefix+name, value, true)
}

// NextIncarnation reads the incarnation counter, bumps it and commits it:
// 0 on a new store, then 1, 2, … at every call. A node started on this
// store runs as that incarnation, so that it knows when it is recovering.
func (s *DiskStorage) NextIncarnation() (int, error) {
	inc := 0
	if v, ok := s.Meta(incMeta); ok {
		n, err := strconv.Atoi(string(v))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("storage: %s holds a corrupt incarnation count %q", s.dir, v)
		}
		inc = n + 1
	}
	if err := s.PutMeta(incMeta, []byte(strconv.Itoa(inc))); err != nil {
		return 0, err
	}
	if err := s.Commit(); err != nil {
		return 0, err
	}
	return inc, nil
}

// SetIncarnation records n as the incarnation that ran last: the next
// NextIncarnation returns n+1. A store made from an older one's files
// carries its count over this way.
func (s *DiskStorage) SetIncarnation(n int) error {
	return s.PutMeta(incMeta, []byte(strconv.Itoa(n)))
}

func (s *DiskStorage) get(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false
	}
	var v []byte
	var closer io.Closer
	var err error
	if s.b != nil {
		v, closer, err = s.b.Get([]byte(key))
	} else {
		v, closer, err = s.db.Get([]byte(key))
	}
	if err != nil {
		if !errors.Is(err, pebble.ErrNotFound) {
			s.readFailed(err)
		}
		return nil, false
	}
	out := append([]byte{}, v...)
	closer.Close()
	return out, true
}

// set writes key into the open batch; strict: an ordinary write, which
// the batch's commit syncs.
func (s *DiskStorage) set(key string, value []byte, strict bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	s.strict = s.strict || strict
	return s.batch().Set([]byte(key), value, nil)
}

// del deletes key in the open batch (strict as in set).
func (s *DiskStorage) del(key string, strict bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	s.strict = s.strict || strict
	return s.batch().Delete([]byte(key), nil)
}

// batch returns the open batch, opening one if needed.
func (s *DiskStorage) batch() *pebble.Batch {
	if s.b == nil {
		s.b = s.db.NewIndexedBatch()
	}
	return s.b
}

// writable refuses writes to a closed or failed store.
func (s *DiskStorage) writable() error {
	if s.closed {
		return fmt.Errorf("storage: %s is closed", s.dir)
	}
	return s.failure()
}

// readFailed records a failed read; the next Commit fails with it.
func (s *DiskStorage) readFailed(err error) {
	if err != nil && s.failed == nil {
		s.failed = fmt.Errorf("storage: reading %s: %w: %w", s.dir, ErrStorageFailed, err)
	}
}

func (s *DiskStorage) failure() error {
	if s.failed != nil {
		return s.failed
	}
	if err := s.h.failure(); err != nil {
		s.failed = fmt.Errorf("storage: %s: %w: %w", s.dir, ErrStorageFailed, err)
		return s.failed
	}
	return nil
}

// Commit makes every write since the last Commit durable, with one fsync
// of Pebble's write-ahead log — unless every one of them was lazy
// (PutLazy, DeleteLazy): then it appends them to the log without an fsync,
// and they become durable with the next Commit that syncs. After a failure the store is broken: this
// and every later Commit returns the error, and the writes of the failed
// batch may or may not be there after a restart (whole or not at all).
func (s *DiskStorage) Commit() error {
	wait, err := s.CommitAsync()
	if err != nil || wait == nil {
		return err
	}
	return wait()
}

// CommitAsync is Commit in two steps, so that a node can go on handling
// events while the disk syncs: it appends every write since the last
// commit to Pebble's log and makes them visible to every later read (the
// next batch's too) at once, and returns wait, which returns once they are
// durable (nil: nothing to wait for, as for a commit of lazy writes only,
// which is not synced). Commits become durable in the order they were
// made, so a wait that returned covers every earlier commit, synced or
// not. A
// failure, here or in wait, breaks the store as a failed Commit does. Every
// wait must be called, before Close.
func (s *DiskStorage) CommitAsync() (wait func() error, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("storage: %s is closed", s.dir)
	}
	if err := s.failure(); err != nil {
		return nil, err
	}
	b, strict := s.b, s.strict
	if b == nil {
		return nil, nil
	}
	s.b, s.strict = nil, false
	if b.Empty() {
		return nil, b.Close()
	}
	if s.noSync || !strict {
		// Only lazy writes (or fsync off): appended to the log, and
		// durable with the next synced commit, which syncs the log up to
		// its own record and so past this one.
		// No fsync to fail, so Apply reports every failure it can have.
		if err := s.guard(func() error { return s.db.Apply(b, pebble.NoSync) }); err != nil {
			return nil, s.broke(err)
		}
		return nil, b.Close()
	}
	// ApplyNoSyncWait then SyncWait, rather than Apply: Apply reports a
	// failed fsync through Logger.Fatalf instead of returning it.
	if err := s.guard(func() error { return s.db.ApplyNoSyncWait(b, pebble.Sync) }); err != nil {
		return nil, s.broke(err)
	}
	return func() error { return s.syncWait(b) }, nil
}

// syncWait waits for b's fsync (CommitAsync).
func (s *DiskStorage) syncWait(b *pebble.Batch) error {
	if f := s.h.failure(); f != nil {
		// The commit may never have reached the log: do not wait for it.
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.broke(f)
	}
	if err := s.guard(b.SyncWait); err != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.broke(err)
	}
	return b.Close()
}

// guard runs a step of a commit. Pebble panics when its write-ahead log is
// broken; the node stops on the error instead of taking the OS process
// down.
func (s *DiskStorage) guard(step func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return step()
}

// broke records a failed commit (s.mu held): this and every later commit
// fails with it.
func (s *DiskStorage) broke(err error) error {
	if s.failed == nil {
		s.failed = fmt.Errorf("storage: committing to %s: %w: %w", s.dir, ErrStorageFailed, err)
	}
	return s.failed
}

// Rollback forgets every write since the last Commit.
func (s *DiskStorage) Rollback() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b != nil {
		s.b.Close()
		s.b = nil
	}
	s.strict = false
}

// Fsyncs counts the fsyncs (and fdatasyncs) the store has made since it
// was opened: one per Commit that wrote something, plus those of Pebble's
// own housekeeping (flushes and compactions, new log files).
func (s *DiskStorage) Fsyncs() uint64 { return s.fsyncs.Load() }

// Close forgets uncommitted writes and closes the database. A node must
// have stopped first.
func (s *DiskStorage) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.b != nil {
		s.b.Close()
		s.b = nil
	}
	return s.db.Close()
}
