package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rondo-dev/rondo/cluster"
)

// A --data directory holds one store, DIR/store (a cluster.DiskStorage).
// Before it, rondo kept one file per key: rondo node in DIR/storage, with
// its incarnation count in DIR/meta; rondo kv in DIR/kv, with the count
// under the key kv-incarnation. Such a directory is imported into a new
// store the first time a newer rondo opens it — atomically, in the commit
// that creates the store — and the old files are removed once the store
// holds them (see docs/storage.md).

// legacyLayout is where an older rondo kept a --data directory's files.
type legacyLayout struct {
	keys   string // subdirectory of the process's keys
	meta   string // subdirectory of the incarnation count ("" if in keys)
	incKey string // the key the count is kept under
	decode func([]byte) (int, error)
}

var (
	nodeLegacy = legacyLayout{keys: "storage", meta: "meta", incKey: "incarnation", decode: decimalCount}
	kvLegacy   = legacyLayout{keys: "kv", incKey: "kv-incarnation", decode: uvarintCount}
)

func decimalCount(b []byte) (int, error) {
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("incarnation count %q is not a count", b)
	}
	return n, nil
}

func uvarintCount(b []byte) (int, error) {
	n, k := binary.Uvarint(b)
	if k != len(b) || n > 1<<31 {
		return 0, fmt.Errorf("incarnation count %x is not a count", b)
	}
	return int(n), nil
}

// importedMeta records, in the store, which old directories it was made
// from: a crash after the import and before their removal is finished at
// the next start.
const importedMeta = "imported-from"

// dirs lists the layout's subdirectories.
func (l legacyLayout) dirs() []string {
	if l.meta == "" {
		return []string{l.keys}
	}
	return []string{l.keys, l.meta}
}

// openData opens the store of a --data directory for owner (creating it,
// or importing an older rondo's files into it) and counts this start: it
// returns the store and the incarnation to run as. A storage failure (a
// full disk, an I/O error) wraps cluster.ErrStorageFailed; anything else is
// the user's to fix (a directory that is not rondo's, another owner's).
func openData(dir, owner string, legacy legacyLayout, log *slog.Logger) (*cluster.DiskStorage, int, error) {
	var old []string
	for _, d := range legacy.dirs() {
		if _, err := os.Stat(filepath.Join(dir, d)); err == nil {
			old = append(old, d)
		}
	}
	imported := 0
	st, err := cluster.OpenDiskStorage(filepath.Join(dir, "store"), cluster.DiskOptions{
		Owner: owner, Logger: log,
		Create: func(s *cluster.DiskStorage) error {
			if len(old) == 0 {
				return nil
			}
			n, err := legacy.importInto(s, dir)
			imported = n
			return err
		},
	})
	if err != nil {
		return nil, 0, err
	}
	if len(old) > 0 {
		if _, ok := st.Meta(importedMeta); !ok {
			st.Close()
			return nil, 0, fmt.Errorf("%s holds both a store (store/) and the files of an older rondo (%s/): move one of them away", dir, strings.Join(old, "/, "))
		}
		for _, d := range old {
			if err := os.RemoveAll(filepath.Join(dir, d)); err != nil {
				st.Close()
				return nil, 0, fmt.Errorf("removing %s, imported into %s: %w", d, filepath.Join(dir, "store"), err)
			}
		}
		if imported > 0 {
			log.Warn("imported the files of an older rondo into the store and removed them", "data", dir, "keys", imported, "from", strings.Join(old, ", "))
		}
	}
	inc, err := st.NextIncarnation()
	if err != nil {
		st.Close()
		return nil, 0, err
	}
	return st, inc, nil
}

// importInto writes what an older rondo kept in dir into s (uncommitted:
// it is committed with the store's creation) and returns how many keys.
func (l legacyLayout) importInto(s *cluster.DiskStorage, dir string) (int, error) {
	keys := map[string][]byte{}
	if _, err := os.Stat(filepath.Join(dir, l.keys)); err == nil {
		var err error
		if keys, err = cluster.ReadFileStorage(filepath.Join(dir, l.keys)); err != nil {
			return 0, err
		}
	}
	meta := keys
	if l.meta != "" {
		meta = map[string][]byte{}
		if _, err := os.Stat(filepath.Join(dir, l.meta)); err == nil {
			var err error
			if meta, err = cluster.ReadFileStorage(filepath.Join(dir, l.meta)); err != nil {
				return 0, err
			}
		}
	}
	// The count is that of the last start: the store's NextIncarnation
	// then continues from it, so the node knows it is recovering.
	last := 0
	if b, ok := meta[l.incKey]; ok {
		var err error
		if last, err = l.decode(b); err != nil {
			return 0, fmt.Errorf("importing %s: %w", dir, err)
		}
	}
	if l.meta == "" {
		delete(keys, l.incKey)
	}
	for k, v := range keys {
		if err := s.Put(k, v); err != nil {
			return 0, err
		}
	}
	if err := s.SetIncarnation(last); err != nil {
		return 0, err
	}
	if err := s.PutMeta(importedMeta, []byte(strings.Join(l.dirs(), ","))); err != nil {
		return 0, err
	}
	return len(keys), nil
}

// storageError classifies a failure to open a --data directory: a failed
// disk stops the node (exit 4, restart it once fixed); anything else is
// the user's to fix (exit 2).
func storageError(err error) error {
	if errors.Is(err, cluster.ErrStorageFailed) {
		return nodeFailedError{fmt.Errorf("%w; fix the cause (free disk space) and start it again on the same --data", err)}
	}
	return usageError{err}
}
