package cluster

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/rondo-dev/rondo/core"
)

// FileStorage is a core.Storage kept in a directory, one file per key. A
// Put is durable when it returns: the value is written to a temporary file,
// fsynced, renamed over the key's file, and the directory is fsynced so the
// rename itself survives a power cut. A crash mid-Put leaves the old value
// or the new one, never a torn one. Values are also cached in memory, so
// Get and Keys never touch the disk.
type FileStorage struct {
	dir   string
	mu    sync.Mutex // serialises writes to the directory
	cache core.MemStorage
}

// MaxKeyLen bounds a FileStorage key: keys are hex-encoded into file names,
// which file systems limit to 255 bytes.
const MaxKeyLen = 120

const (
	keyPrefix = "k-"
	tmpSuffix = ".tmp"
)

// OpenFileStorage opens (creating it if needed) the storage in dir and loads
// what an earlier incarnation stored there.
func OpenFileStorage(dir string) (*FileStorage, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("storage: creating data dir: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: reading data dir: %w", err)
	}
	s := &FileStorage{dir: dir}
	for _, e := range ents {
		name := e.Name()
		if strings.HasSuffix(name, tmpSuffix) {
			// A Put that crashed before its rename: the old value stands.
			os.Remove(filepath.Join(dir, name))
			continue
		}
		h, ok := strings.CutPrefix(name, keyPrefix)
		if !ok || e.IsDir() {
			continue
		}
		key, err := hex.DecodeString(h)
		if err != nil {
			return nil, fmt.Errorf("storage: %s in %s is not a storage file (remove it or use another --data dir)", name, dir)
		}
		v, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
		s.cache.Put(string(key), v)
	}
	return s, nil
}

func (s *FileStorage) path(key string) string {
	return filepath.Join(s.dir, keyPrefix+hex.EncodeToString([]byte(key)))
}

// Get returns a copy of the value stored under key, from memory.
func (s *FileStorage) Get(key string) ([]byte, bool) { return s.cache.Get(key) }

// Put stores value under key durably.
func (s *FileStorage) Put(key string, value []byte) error {
	if len(key) > MaxKeyLen {
		return fmt.Errorf("storage: key of %d bytes is longer than %d", len(key), MaxKeyLen)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	final := s.path(key)
	tmp := final + tmpSuffix
	if err := writeSynced(tmp, value); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("storage: writing %q: %w", key, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("storage: writing %q: %w", key, err)
	}
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("storage: writing %q: %w", key, err)
	}
	return s.cache.Put(key, value)
}

// Delete removes key durably; deleting a missing key is not an error.
func (s *FileStorage) Delete(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cache.Get(key); !ok {
		return nil
	}
	if err := os.Remove(s.path(key)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("storage: deleting %q: %w", key, err)
	}
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("storage: deleting %q: %w", key, err)
	}
	return s.cache.Delete(key)
}

// Keys lists the stored keys that start with prefix, sorted, from memory.
func (s *FileStorage) Keys(prefix string) []string { return s.cache.Keys(prefix) }

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
