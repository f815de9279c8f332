package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// health is what a store knows of its own failures. Pebble reports some
// only on its own goroutines: through its logger's Fatalf (a write-ahead
// log or manifest it cannot write, corruption), where it expects the OS
// process to exit, and through its event listener's BackgroundError (a
// flush or compaction that failed, which it retries for ever). Either
// breaks the store here: every later commit fails with the cause, which
// stops the node (fail-stop) and, for rondo node and rondo kv, the OS
// process with status 4.
type health struct {
	err  atomic.Pointer[error]
	down chan struct{} // closed at the first failure
}

func newHealth() *health { return &health{down: make(chan struct{})} }

func (h *health) fail(err error) {
	if h.err.CompareAndSwap(nil, &err) {
		close(h.down)
	}
}

// failure is the first failure, or nil.
func (h *health) failure() error {
	if p := h.err.Load(); p != nil {
		return *p
	}
	return nil
}

// pebbleLogger sends Pebble's messages to slog; Fatalf breaks the store
// instead of exiting.
type pebbleLogger struct {
	log *slog.Logger
	h   *health
}

func (l pebbleLogger) Infof(format string, args ...any) {
	l.log.Debug("pebble: " + fmt.Sprintf(format, args...))
}

func (l pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error("pebble: " + fmt.Sprintf(format, args...))
}

func (l pebbleLogger) Fatalf(format string, args ...any) {
	err := errors.New(fmt.Sprintf(format, args...))
	l.log.Error("pebble: the store cannot go on; it refuses every commit from now on", "reason", err.Error())
	l.h.fail(err)
}

// listener breaks the store on a background error.
func listener(log *slog.Logger, h *health) *pebble.EventListener {
	return &pebble.EventListener{BackgroundError: func(err error) {
		if h.failure() == nil {
			log.Error("pebble: writing the store failed; it refuses every commit from now on", "reason", err.Error())
		}
		h.fail(err)
	}}
}

// syncCountingFS counts the fsyncs Pebble makes, so that the figure a
// node reports (rondo_storage_fsyncs_total) is what reached the disk, not
// what the node meant to do.
//
// Once the store is broken it also slows down the creation of files: Pebble
// retries a failed flush at once and for ever, which on a full disk would
// spin a core until the store is closed (or, when it happens while the
// store opens, for good).
type syncCountingFS struct {
	vfs.FS
	n *atomic.Uint64
	h *health
}

// brokenRetry is how often a broken store lets Pebble try again.
const brokenRetry = time.Second

func countSyncs(fs vfs.FS, n *atomic.Uint64, h *health) vfs.FS { return syncCountingFS{fs, n, h} }

func (fs syncCountingFS) throttle() {
	if fs.h.failure() != nil {
		time.Sleep(brokenRetry)
	}
}

func (fs syncCountingFS) wrap(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return syncCountingFile{f, fs.n}, nil
}

func (fs syncCountingFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	fs.throttle()
	return fs.wrap(fs.FS.Create(name, c))
}

func (fs syncCountingFS) Open(name string, opts ...vfs.OpenOption) (vfs.File, error) {
	return fs.wrap(fs.FS.Open(name, opts...))
}

func (fs syncCountingFS) OpenReadWrite(name string, c vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	return fs.wrap(fs.FS.OpenReadWrite(name, c, opts...))
}

func (fs syncCountingFS) OpenDir(name string) (vfs.File, error) {
	return fs.wrap(fs.FS.OpenDir(name))
}

func (fs syncCountingFS) ReuseForWrite(old, name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	fs.throttle()
	return fs.wrap(fs.FS.ReuseForWrite(old, name, c))
}

func (fs syncCountingFS) Unwrap() vfs.FS { return fs.FS }

type syncCountingFile struct {
	vfs.File
	n *atomic.Uint64
}

func (f syncCountingFile) Sync() error {
	f.n.Add(1)
	return f.File.Sync()
}

func (f syncCountingFile) SyncData() error {
	f.n.Add(1)
	return f.File.SyncData()
}

// SyncTo counts only when it synced the whole file; otherwise it only
// started writeback (sync_file_range), which guarantees nothing.
func (f syncCountingFile) SyncTo(length int64) (bool, error) {
	full, err := f.File.SyncTo(length)
	if full {
		f.n.Add(1)
	}
	return full, err
}
