package machine

import (
	"slices"
	"strings"
)

// blockSize is the most keys one block of the index holds before it
// splits in two: inserting a key moves at most this many strings, and
// finding its block is a binary search over len(keys)/blockSize blocks.
const blockSize = 512

// index keeps the keys in byte order, for lists by prefix and range: a
// sorted sequence cut into blocks of at most blockSize keys, every block
// non-empty. A plain sorted slice would move half the keys on every insert
// (a million keys: megabytes per write); a tree would be more code for the
// same bounds at the sizes a replica holds in memory.
type index struct {
	blocks [][]string
	n      int
}

// locate returns the block that holds k or where k goes, and k's position
// in it; found says whether k is there.
func (x *index) locate(k string) (b, i int, found bool) {
	// The first block whose last key is ≥ k; past the end, the last block.
	b, _ = slices.BinarySearchFunc(x.blocks, k, func(blk []string, k string) int {
		return strings.Compare(blk[len(blk)-1], k)
	})
	if b == len(x.blocks) {
		if b == 0 {
			return 0, 0, false
		}
		b--
	}
	i, found = slices.BinarySearch(x.blocks[b], k)
	return b, i, found
}

// insert adds k (nothing if it is there).
func (x *index) insert(k string) {
	if len(x.blocks) == 0 {
		x.blocks = [][]string{{k}}
		x.n = 1
		return
	}
	b, i, found := x.locate(k)
	if found {
		return
	}
	x.blocks[b] = slices.Insert(x.blocks[b], i, k)
	x.n++
	if blk := x.blocks[b]; len(blk) > blockSize {
		half := len(blk) / 2
		// Copy the upper half out: the two blocks must not share an array,
		// or an insert into the lower one would overwrite the upper one.
		upper := append(make([]string, 0, blockSize), blk[half:]...)
		clear(blk[half:])
		x.blocks[b] = blk[:half]
		x.blocks = slices.Insert(x.blocks, b+1, upper)
	}
}

// remove deletes k (nothing if it is absent).
func (x *index) remove(k string) {
	if len(x.blocks) == 0 {
		return
	}
	b, i, found := x.locate(k)
	if !found {
		return
	}
	x.blocks[b] = slices.Delete(x.blocks[b], i, i+1)
	x.n--
	if len(x.blocks[b]) == 0 {
		x.blocks = slices.Delete(x.blocks, b, b+1)
	}
}

// ascend calls fn on every key ≥ from, in order, until fn returns false.
func (x *index) ascend(from string, fn func(k string) bool) {
	if len(x.blocks) == 0 {
		return
	}
	b, i, _ := x.locate(from)
	for ; b < len(x.blocks); b, i = b+1, 0 {
		for _, k := range x.blocks[b][i:] {
			if !fn(k) {
				return
			}
		}
	}
}

// len is the number of keys.
func (x *index) len() int { return x.n }
