package check

import "slices"

// layer holds the distinct global states reached after one number of
// rounds: a flat array of fixed-width vectors (n interned local states plus
// the liveness-window position), their parents in the previous layer, and
// an open-addressing table of indices used while the layer is being built.
type layer struct {
	w int // words per state
	// vec holds the states in chunks of chunkStates (so that growing never
	// copies): state i is chunks[i>>chunkBits][(i&chunkMask)*w:].
	chunks [][]uint32
	parent []uint32 // index of each state's parent in the previous layer
	table  []uint64 // hash<<32 | index+1, 0 = empty; len is a power of two
	count  int
}

const (
	chunkBits   = 14
	chunkStates = 1 << chunkBits
	chunkMask   = chunkStates - 1
)

func newLayer(w, hint int) *layer {
	size := 1024
	for size < 2*hint {
		size <<= 1
	}
	return &layer{w: w, table: make([]uint64, size)}
}

func (l *layer) state(i int) []uint32 {
	c := l.chunks[i>>chunkBits]
	j := (i & chunkMask) * l.w
	return c[j : j+l.w : j+l.w]
}

// hashKey returns a 32-bit hash of key: it is both the slot (its low bits)
// and the fingerprint kept in the table, so that most probes and every
// rehash avoid touching the states themselves.
func hashKey(key []uint32) uint32 {
	h := uint64(0x9E3779B97F4A7C15)
	i := 0
	for ; i+1 < len(key); i += 2 {
		h ^= uint64(key[i])<<32 | uint64(key[i+1])
		h *= 0xBF58476D1CE4E5B9
		h ^= h >> 29
	}
	if i < len(key) {
		h ^= uint64(key[i])
		h *= 0xBF58476D1CE4E5B9
	}
	h ^= h >> 31
	h *= 0x94D049BB133111EB
	return uint32(h >> 32)
}

// insert adds key unless present and reports its index and whether it is new.
func (l *layer) insert(key []uint32, parent uint32) (int, bool) {
	if 2*(l.count+1) > len(l.table) {
		l.grow()
	}
	return l.insertHashed(key, hashKey(key), parent)
}

// reserve grows the table so that k more states fit without growing.
func (l *layer) reserve(k int) {
	for 2*(l.count+k) > len(l.table) {
		l.grow()
	}
}

// touch reads the slot key's hash h starts probing at, to bring it into
// the cache ahead of insertHashed.
func (l *layer) touch(h uint32) uint64 {
	return l.table[uint64(h)&uint64(len(l.table)-1)]
}

// insertHashed is insert with the hash already computed; the table must
// have room (reserve).
func (l *layer) insertHashed(key []uint32, h uint32, parent uint32) (int, bool) {
	mask := uint64(len(l.table) - 1)
	for i := uint64(h) & mask; ; i = (i + 1) & mask {
		slot := l.table[i]
		if slot == 0 {
			l.table[i] = uint64(h)<<32 | uint64(l.count+1)
			if l.count&chunkMask == 0 {
				l.chunks = append(l.chunks, make([]uint32, 0, chunkStates*l.w))
			}
			c := &l.chunks[len(l.chunks)-1]
			*c = append(*c, key...)
			l.parent = append(l.parent, parent)
			l.count++
			return l.count - 1, true
		}
		if uint32(slot>>32) == h {
			if idx := int(uint32(slot) - 1); slices.Equal(l.state(idx), key) {
				return idx, false
			}
		}
	}
}

// has reports whether key is stored (while the table exists).
func (l *layer) has(key []uint32) bool {
	h := hashKey(key)
	mask := uint64(len(l.table) - 1)
	for i := uint64(h) & mask; ; i = (i + 1) & mask {
		slot := l.table[i]
		if slot == 0 {
			return false
		}
		if uint32(slot>>32) == h && slices.Equal(l.state(int(uint32(slot)-1)), key) {
			return true
		}
	}
}

func (l *layer) grow() {
	t := make([]uint64, 2*len(l.table))
	mask := uint64(len(t) - 1)
	for _, slot := range l.table {
		if slot == 0 {
			continue
		}
		i := slot >> 32 & mask
		for t[i] != 0 {
			i = (i + 1) & mask
		}
		t[i] = slot
	}
	l.table = t
}

// done drops the lookup table once the layer is complete.
func (l *layer) done() { l.table = nil }

func (l *layer) bytes() uint64 {
	return uint64(len(l.chunks)*chunkStates*l.w+cap(l.parent)+2*len(l.table)) * 4
}

// batchSize is how many successors are hashed before they are inserted.
const batchSize = 32

// batch holds successors waiting to be inserted into a layer (explorer.emit
// fills it, explorer.flushBatch empties it), so that their table slots are
// touched (brought into the cache) together before any is inserted: the
// processor overlaps the cache misses that dominate insertion.
type batch struct {
	keys, hash, parent []uint32
	changed            []bool
	sink               uint64 // keeps the touches from being optimised away
}

// touch grows l so that the batch fits and reads the table slots where
// the batch's successors start probing, to bring them into the cache
// together before any is inserted.
func (b *batch) touch(l *layer) {
	l.reserve(len(b.hash))
	var sink uint64
	for _, h := range b.hash {
		sink += l.touch(h)
	}
	b.sink += sink
}

// reset empties the batch.
func (b *batch) reset() {
	b.keys, b.hash, b.parent, b.changed = b.keys[:0], b.hash[:0], b.parent[:0], b.changed[:0]
}

func (b *batch) bytes() uint64 {
	return uint64(cap(b.keys)+cap(b.hash)+cap(b.parent))*4 + uint64(cap(b.changed))
}

// canonical returns the stored form of a successor: next (sorted under
// symmetry), then pos, in buf.
func canonical(buf, next []uint32, pos uint32, sym bool) []uint32 {
	buf = append(append(buf[:0], next...), pos)
	if sym {
		sortIDs(buf[:len(next)])
	}
	return buf
}

// sortIDs sorts a short vector of local-state ids (insertion sort).
func sortIDs(ks []uint32) {
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
}
