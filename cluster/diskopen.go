package cluster

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Opening a DiskStorage: what a directory must hold to be taken for a
// store, what is refused and why, and how a store is created.

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
	s := &DiskStorage{dir: dir, fsyncs: new(atomic.Uint64), h: newHealth(), noSync: o.NoSync}
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
