package main

import (
	"compress/gzip"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// writeDeleteHeavy writes, under dir, a sequential trace that deletes far
// more than it keeps — the pattern where tombstones dominate a text CRDT's
// footprint (text pasted and cut, drafts rewritten, code refactored) — and
// returns its path. It is made here, from a fixed seed, because the
// editing-traces collection beside the repository has no such trace: 400
// rounds of pasting 1–4 kB of prose at a random place, typing a few words
// key by key, and cutting a random stretch a little shorter than what was
// added.
func writeDeleteHeavy(dir string) (string, error) {
	rng := rand.New(rand.NewPCG(12, 34))
	words := []string{"the", "replica", "merges", "a", "delta", "text", "of", "and", "tombstone", "cut", "paste", "draft"}
	prose := func(n int) string {
		var b []byte
		for len(b) < n {
			b = append(b, words[rng.IntN(len(words))]...)
			b = append(b, ' ')
		}
		return string(b[:n])
	}
	type txn struct {
		Patches [][3]any `json:"patches"`
	}
	var txns []txn
	doc := []byte{}
	splice := func(pos, del int, ins string) {
		txns = append(txns, txn{Patches: [][3]any{{pos, del, ins}}})
		doc = append(doc[:pos:pos], append([]byte(ins), doc[pos+del:]...)...)
	}
	for range 400 {
		paste := prose(1000 + rng.IntN(3000))
		splice(rng.IntN(len(doc)+1), 0, paste)
		pos := rng.IntN(len(doc) + 1)
		for _, c := range []byte(prose(20 + rng.IntN(40))) {
			splice(pos, 0, string(c))
			pos++
		}
		cut := len(paste) * (85 + rng.IntN(10)) / 100
		start := rng.IntN(len(doc) - cut + 1)
		splice(start, cut, "")
	}
	path := filepath.Join(dir, "synthetic-delete-heavy.json.gz")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	if err := json.NewEncoder(zw).Encode(map[string]any{"startContent": "", "endContent": string(doc), "txns": txns}); err != nil {
		return "", err
	}
	return path, zw.Close()
}
