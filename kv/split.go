package kv

import (
	"maps"
	"slices"
)

// entryOverhead approximates what an entry's encoding adds to its key and
// value: the version, the flags and the length prefixes.
const entryOverhead = 24

// Split parts s for a transfer in several messages (lattice.Splitter): the
// last-writer-wins keys in about n ranges of similar encoded size, in key
// order; then the causal map whole, if there is one (its causal context
// covers all its keys at once, so it cannot be parted key by key: a causal
// store larger than one message cannot be transferred whole, and package
// replica says so in its log); then the session clock alone, last. Package
// replica delivers the last part only after every other part was merged, so
// a replica that holds a session's clock entries holds that session's
// writes, mid-transfer too. The parts share s's entries, which are
// immutable.
func (s *Store) Split(n int) []*Store {
	keys := slices.Sorted(maps.Keys(s.keys))
	total := 0
	for _, k := range keys {
		total += len(k) + len(s.keys[k].Value) + entryOverhead
	}
	var parts []*Store
	target := (total + n - 1) / max(n, 1)
	cur, size := &Store{}, 0
	for _, k := range keys {
		e := s.keys[k]
		if cur.keys == nil {
			cur.keys = make(map[string]*Entry)
		}
		cur.keys[k] = e
		if size += len(k) + len(e.Value) + entryOverhead; size >= target {
			parts = append(parts, cur)
			cur, size = &Store{}, 0
		}
	}
	if size > 0 {
		parts = append(parts, cur)
	}
	if s.mv != nil {
		parts = append(parts, &Store{mv: s.mv})
	}
	if !s.clock.IsBot() {
		parts = append(parts, &Store{clock: s.clock})
	}
	if len(parts) <= 1 {
		return []*Store{s}
	}
	return parts
}
