package text

import "slices"

// leafMap records which leaf of the tree holds each of one agent's
// integrated items — seqs 0 … end-1, always a prefix (see deps) — so that
// an ID is found in O(log n). It stores spans, not one entry per item: a
// span runs from its seq to the next span's, and neighbouring spans name
// different leaves. Every item of a run lives in one leaf, so a run lies
// inside one span, and a map has about as many spans as the document has
// runs of that agent: 8 bytes per run instead of 4 bytes per character
// ever typed. Spans are kept in blocks so that the edits a leaf split
// makes cost O(block), not O(document).
type leafMap struct {
	blocks [][]span // in seq order; none empty
	end    uint32
	hb, hi int // the span find returned last: lookups cluster (origins of
	// consecutive remote keystrokes are neighbours), so it is tried first
}

type span struct {
	seq  uint32
	leaf int32
}

// maxSpans bounds a block: a split moves half of one.
const maxSpans = 64

// pos returns the block and index of the span holding seq < end. The
// searches are written out: this is the hot path of every remote edit.
func (m *leafMap) pos(seq uint32) (int, int) {
	lo, hi := 0, len(m.blocks) // the last block starting at or before seq is lo-1
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if m.blocks[mid][0].seq <= seq {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	b := lo - 1
	blk := m.blocks[b]
	lo, hi = 0, len(blk)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if blk[mid].seq <= seq {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return b, lo - 1
}

// find returns the leaf holding item seq < end.
func (m *leafMap) find(seq uint32) int32 {
	if b, i := m.hb, m.hi; b < len(m.blocks) && i < len(m.blocks[b]) {
		// The hint may be stale after edits, but a span that holds seq is
		// the one: spans do not overlap.
		if s := m.blocks[b][i]; s.seq <= seq && seq < m.spanEnd(b, i) {
			return s.leaf
		}
	}
	b, i := m.pos(seq)
	m.hb, m.hi = b, i
	return m.blocks[b][i].leaf
}

// push records items end … end+n-1, new, in leaf.
func (m *leafMap) push(n uint32, leaf int32) {
	if k := len(m.blocks) - 1; k >= 0 {
		if blk := m.blocks[k]; blk[len(blk)-1].leaf == leaf {
			m.end += n
			return
		}
		if len(m.blocks[k]) < maxSpans {
			m.blocks[k] = append(m.blocks[k], span{m.end, leaf})
			m.end += n
			return
		}
	}
	m.blocks = append(m.blocks, []span{{m.end, leaf}})
	m.end += n
}

// spanEnd returns one past the last seq of span i of block b.
func (m *leafMap) spanEnd(b, i int) uint32 {
	switch {
	case i+1 < len(m.blocks[b]):
		return m.blocks[b][i+1].seq
	case b+1 < len(m.blocks):
		return m.blocks[b+1][0].seq
	}
	return m.end
}

// assign records that items seq … seq+n-1, which share a leaf, moved to
// leaf.
func (m *leafMap) assign(seq, n uint32, leaf int32) {
	b, i := m.pos(seq)
	s := m.blocks[b][i]
	if s.leaf == leaf {
		return
	}
	end := m.spanEnd(b, i)
	var parts [3]span
	k := 0
	if s.seq < seq {
		parts[k] = s
		k++
	}
	mid := k
	parts[k] = span{seq, leaf}
	k++
	if seq+n < end {
		parts[k] = span{seq + n, s.leaf}
		k++
	}
	blk := slices.Replace(m.blocks[b], i, i+1, parts[:k]...)
	m.blocks[b] = blk
	i += mid
	if len(blk) > maxSpans {
		half := len(blk) / 2
		m.blocks = slices.Insert(m.blocks, b+1, slices.Clone(blk[half:]))
		m.blocks[b] = blk[:half:half]
		if i >= half {
			b, i = b+1, i-half
		}
	}
	// Keep neighbours distinct: the moved span may join the next one and
	// the previous one.
	if seq+n == end {
		if nb, ni, ok := m.next(b, i); ok && m.blocks[nb][ni].leaf == leaf {
			m.remove(nb, ni)
		}
	}
	if s.seq == seq {
		if pb, pi, ok := m.prev(b, i); ok && m.blocks[pb][pi].leaf == leaf {
			m.remove(b, i)
		}
	}
}

func (m *leafMap) next(b, i int) (int, int, bool) {
	if i+1 < len(m.blocks[b]) {
		return b, i + 1, true
	}
	return b + 1, 0, b+1 < len(m.blocks)
}

func (m *leafMap) prev(b, i int) (int, int, bool) {
	if i > 0 {
		return b, i - 1, true
	}
	if b == 0 {
		return 0, 0, false
	}
	return b - 1, len(m.blocks[b-1]) - 1, true
}

func (m *leafMap) remove(b, i int) {
	m.blocks[b] = slices.Delete(m.blocks[b], i, i+1)
	if len(m.blocks[b]) == 0 {
		m.blocks = slices.Delete(m.blocks, b, b+1)
	}
}
