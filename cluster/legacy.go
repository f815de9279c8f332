package cluster

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ReadFileStorage reads a directory written by the FileStorage of rondo
// before its storage became a DiskStorage: one file per key, named "k-"
// and the key in hex, each written to a ".tmp" file, fsynced and renamed
// over. It is what rondo node and rondo kv import, once, from a --data
// directory of an older rondo. A leftover ".tmp" file is a write cut short
// by a crash (the old value stands) and is skipped; any other file, or a
// name that does not decode, is an error that names it.
func ReadFileStorage(dir string) (map[string][]byte, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: reading %s: %w", dir, err)
	}
	kv := make(map[string][]byte, len(ents))
	for _, e := range ents {
		name := e.Name()
		if strings.HasSuffix(name, ".tmp") && !e.IsDir() {
			continue
		}
		h, ok := strings.CutPrefix(name, "k-")
		key, err := hex.DecodeString(h)
		if !ok || err != nil || e.IsDir() {
			return nil, fmt.Errorf("storage: %s is not a file of rondo's old file storage (k-<hex key>): move it out of %s", name, dir)
		}
		v, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
		kv[string(key)] = v
	}
	return kv, nil
}
