package rounds

import (
	"iter"
	"math/bits"
	"strconv"
	"strings"

	"github.com/rondo-dev/rondo/core"
)

// Set is a set of process ids (0..63) as a bit mask: HO sets, quorums,
// crashed and Byzantine processes. It is comparable, so it may sit in a
// state.
type Set uint64

// SetOf returns the set of the given ids.
func SetOf(ids ...core.NodeID) Set {
	var s Set
	for _, id := range ids {
		s |= 1 << id
	}
	return s
}

// All returns {0, …, n-1}.
func All(n int) Set {
	if n >= 64 {
		return ^Set(0)
	}
	return Set(1)<<n - 1
}

// Has reports whether id is in s.
func (s Set) Has(id core.NodeID) bool { return s>>id&1 == 1 }

// Add returns s ∪ {id}.
func (s Set) Add(id core.NodeID) Set { return s | 1<<id }

// Remove returns s \ {id}.
func (s Set) Remove(id core.NodeID) Set { return s &^ (1 << id) }

// Len is |s|.
func (s Set) Len() int { return bits.OnesCount64(uint64(s)) }

// Empty reports whether s is empty.
func (s Set) Empty() bool { return s == 0 }

// IDs iterates over the ids in s in increasing order.
func (s Set) IDs() iter.Seq[core.NodeID] {
	return func(yield func(core.NodeID) bool) {
		for x := uint64(s); x != 0; x &= x - 1 {
			if !yield(core.NodeID(bits.TrailingZeros64(x))) {
				return
			}
		}
	}
}

// String prints s as {0,2,3}.
func (s Set) String() string {
	var b strings.Builder
	b.WriteByte('{')
	first := true
	for id := range s.IDs() {
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(strconv.Itoa(int(id)))
	}
	b.WriteByte('}')
	return b.String()
}
