package cluster

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// DiskStorage is the durable storage of a node on the real runtime: an
// embedded Pebble database (an LSM tree whose commits append to a
// write-ahead log) in one directory. It is a BatchStorage: writes are held
// in an indexed batch, read back by Get and Keys at once, and made durable
// together by Commit, which appends the batch to the log and fsyncs it once
// (fdatasync). A crash loses at most the batch not yet committed, whole.
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

	mu sync.Mutex
	b  *pebble.Batch // writes since the last Commit; nil when there are none
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
}

// Namespaces of the keys in the database: the process's and the store's
// own metadata.
const (
	procPrefix = "p"
	metaPrefix = "m"
	ownerMeta  = "owner"
	incMeta    = "incarnation"
)

// OpenDiskStorage opens the store in dir, creating it (and dir) if needed.
// A directory that is neither empty nor a store, a store of another owner,
// a store another process holds open, or one that does not open (corrupt
// or unreadable files) is refused with an error that says which.
func OpenDiskStorage(dir string, o DiskOptions) (*DiskStorage, error) {
	if o.Owner == "" {
		return nil, errors.New("storage: OpenDiskStorage needs an Owner")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("storage: reading %s: %w: %w", dir, ErrStorageFailed, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("storage: creating %s: %w: %w", dir, ErrStorageFailed, err)
	}
	if ents, err = clearAbandoned(dir, ents); err != nil {
		return nil, err
	}
	existing := len(ents) > 0
	if existing && !slices.ContainsFunc(ents, isManifestMarker) {
		// Refused before Pebble sees it: Pebble would leave a LOCK file.
		return nil, notAStore(dir, ents)
	}
	s := &DiskStorage{dir: dir, fsyncs: new(atomic.Uint64), h: newHealth()}
	log := o.Logger.With("store", dir)
	opts := &pebble.Options{
		FS:                 countSyncs(vfs.Default, s.fsyncs, s.h),
		Logger:             pebbleLogger{log: log, h: s.h},
		EventListener:      listener(log, s.h),
		ErrorIfNotExists:   existing,
		FormatMajorVersion: pebble.FormatNewest,
	}
	db, err := openPebble(dir, opts, s.h)
	if err != nil {
		return nil, openError(dir, ents, err)
	}
	s.db = db
	if err := s.claim(o, !existing); err != nil {
		db.Close()
		if !existing {
			// This Open made every file there: leave the directory as
			// empty as it found it, so that the next start begins afresh.
			emptyDir(dir)
		}
		return nil, err
	}
	return s, nil
}

// openPebble opens the database, unless the store breaks first: Pebble
// flushes what its log holds before Open returns, and retries a flush that
// fails for ever, so on a full disk Open would never return. It is then
// left to finish in the background (and closed if it ever does).
func openPebble(dir string, opts *pebble.Options, h *health) (*pebble.DB, error) {
	type opened struct {
		db  *pebble.DB
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		db, err := pebble.Open(dir, opts)
		ch <- opened{db, err}
	}()
	select {
	case r := <-ch:
		if r.err == nil && h.failure() != nil {
			r.db.Close()
			return nil, fmt.Errorf("%w: %w", ErrStorageFailed, h.failure())
		}
		return r.db, r.err
	case <-h.down:
		go func() {
			if r := <-ch; r.err == nil {
				r.db.Close()
			}
		}()
		return nil, fmt.Errorf("%w: %w", ErrStorageFailed, h.failure())
	}
}

// ErrStorageFailed is wrapped by the errors of a store that failed (a full
// disk, an I/O error, corruption) rather than refused what it was given
// (a foreign directory, another owner, a store in use).
var ErrStorageFailed = errors.New("storage failed")

// openError explains why Pebble refused dir.
func openError(dir string, ents []os.DirEntry, err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, ErrStorageFailed):
		return fmt.Errorf("storage: opening %s: %w", dir, err)
	case strings.Contains(msg, "does not exist"):
		return notAStore(dir, ents)
	case strings.Contains(msg, "lock"), strings.Contains(msg, "resource temporarily unavailable"):
		return fmt.Errorf("storage: %s is in use by another process or node (%v): one node per data directory", dir, err)
	}
	return fmt.Errorf("storage: opening %s: %w: %w", dir, ErrStorageFailed, err)
}

// emptyDir removes what dir holds (best effort).
func emptyDir(dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// notAStore is the refusal of a directory that holds files but no store.
func notAStore(dir string, ents []os.DirEntry) error {
	var names []string
	for _, e := range ents[:min(len(ents), 3)] {
		names = append(names, e.Name())
	}
	more := ""
	if len(ents) > 3 {
		more = fmt.Sprintf(" and %d more", len(ents)-3)
	}
	return fmt.Errorf("storage: %s is not empty and holds no rondo store (it has %s%s): give a new or empty directory", dir, strings.Join(names, ", "), more)
}

// isManifestMarker reports whether e is the file by which Pebble finds a
// database's current manifest: a directory without one holds no database.
func isManifestMarker(e os.DirEntry) bool {
	return strings.HasPrefix(e.Name(), "marker.manifest.") || e.Name() == "CURRENT"
}

// clearAbandoned empties dir if it holds only the first files of a store
// whose creation was cut short (a crash, a full disk) before Pebble wrote
// the marker that makes it a database: nothing was ever committed there.
// It returns what dir holds afterwards.
func clearAbandoned(dir string, ents []os.DirEntry) ([]os.DirEntry, error) {
	if len(ents) == 0 {
		return ents, nil
	}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || isManifestMarker(e) || !pebbleFile(name) {
			return ents, nil // a database, or not Pebble's
		}
	}
	for _, e := range ents {
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return nil, fmt.Errorf("storage: clearing the store whose creation was cut short in %s: %w: %w", dir, ErrStorageFailed, err)
		}
	}
	return nil, nil
}

// pebbleFile reports whether name is one of the files Pebble makes.
func pebbleFile(name string) bool {
	for _, p := range []string{"MANIFEST-", "OPTIONS-", "marker.", "CURRENT", "LOCK", "temporary."} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	for _, suf := range []string{".log", ".sst", ".blob", ".dbtmp"} {
		if strings.HasSuffix(name, suf) {
			return true
		}
	}
	return false
}

// claim checks the store's owner, or makes it o.Owner's when this Open
// created the database. A database that existed before without an owner
// is refused, even an empty one: it is either another program's, or one
// whose creation was cut short after Pebble's first files, or one whose
// log lost its first record (a Pebble log is replayed up to its first bad
// record); reading it as a new store could make a node forget what it had
// promised.
func (s *DiskStorage) claim(o DiskOptions, created bool) error {
	owner, ok := s.Meta(ownerMeta)
	if ok {
		if string(owner) != o.Owner {
			return fmt.Errorf("storage: %s belongs to %q, not to %q: give each its own data directory", s.dir, owner, o.Owner)
		}
		return s.readFailure()
	}
	if err := s.readFailure(); err != nil {
		return err
	}
	if !created {
		if s.any() {
			return fmt.Errorf("storage: %s holds a Pebble database that rondo did not write (no owner record): give a new or empty directory", s.dir)
		}
		return fmt.Errorf("storage: %s holds an empty store with no owner record: its creation was cut short, or its log lost its first record; remove the directory to start afresh", s.dir)
	}
	s.PutMeta(ownerMeta, []byte(o.Owner))
	if o.Create != nil {
		if err := o.Create(s); err != nil {
			s.Rollback()
			return err
		}
	}
	return s.Commit()
}

// any reports whether the database holds any key at all.
func (s *DiskStorage) any() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.db.NewIter(nil)
	if err != nil {
		s.readFailed(err)
		return false
	}
	found := it.First()
	s.readFailed(it.Close())
	return found
}

func (s *DiskStorage) readFailure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failure()
}

// Dir is the directory the store lives in.
func (s *DiskStorage) Dir() string { return s.dir }

// Get returns a copy of the value under key, as of the writes so far
// (committed or not).
func (s *DiskStorage) Get(key string) ([]byte, bool) { return s.get(procPrefix + key) }

// Put stores value under key; it becomes durable at the next Commit.
func (s *DiskStorage) Put(key string, value []byte) error { return s.set(procPrefix+key, value) }

// Delete removes key (at the next Commit); deleting a missing key is not
// an error.
func (s *DiskStorage) Delete(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	return s.batch().Delete([]byte(procPrefix+key), nil)
}

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
func (s *DiskStorage) PutMeta(name string, value []byte) error { return s.set(metaPrefix+name, value) }

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

func (s *DiskStorage) set(key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	return s.batch().Set([]byte(key), value, nil)
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
// of Pebble's write-ahead log. After a failure the store is broken: this
// and every later Commit returns the error, and the writes of the failed
// batch may or may not be there after a restart (whole or not at all).
func (s *DiskStorage) Commit() (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("storage: %s is closed", s.dir)
	}
	if err := s.failure(); err != nil {
		return err
	}
	b := s.b
	if b == nil {
		return nil
	}
	s.b = nil
	if b.Empty() {
		return b.Close()
	}
	defer func() {
		// Pebble panics when its write-ahead log is broken; the node stops
		// on the error instead of taking the OS process down.
		if r := recover(); r != nil {
			err = fmt.Errorf("storage: committing to %s: %w: %v", s.dir, ErrStorageFailed, r)
			s.failed = err
		}
	}()
	// ApplyNoSyncWait then SyncWait, rather than Apply: Apply reports a
	// failed fsync through Logger.Fatalf instead of returning it.
	err = s.db.ApplyNoSyncWait(b, pebble.Sync)
	if err == nil {
		if f := s.h.failure(); f != nil {
			err = f // the commit may never have reached the log: do not wait for it
		} else {
			err = b.SyncWait()
		}
	}
	if err != nil {
		s.failed = fmt.Errorf("storage: committing to %s: %w: %w", s.dir, ErrStorageFailed, err)
		return s.failed
	}
	return b.Close()
}

// Rollback forgets every write since the last Commit.
func (s *DiskStorage) Rollback() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b != nil {
		s.b.Close()
		s.b = nil
	}
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
