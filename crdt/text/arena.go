package text

// arena holds the content of one agent's visible items, indexed by seq, in
// fixed-size chunks. A deleted item's byte is never read again (tombstones
// need no text), so a chunk whose items are all deleted is freed: on
// delete-heavy editing — text pasted and cut, paragraphs rewritten — the
// content a replica keeps follows the visible text, not everything ever
// typed. Chunks, not one slice, so that freeing needs no copying and runs
// never move their text.
type arena struct {
	chunks []*[chunkSize]byte // chunk k holds seqs [k·chunkSize, (k+1)·chunkSize); nil when freed or never written
	live   []uint16           // items of each chunk written and not yet dropped
	end    uint32             // one past the highest seq written or reserved
}

// chunkSize trades the memory a chunk with a few survivors keeps against
// the per-chunk bookkeeping (10 bytes): 256 bytes keeps both under 4%.
const chunkSize = 256

// reserve makes room for seqs up to end without writing content, for items
// that arrive already deleted.
func (a *arena) reserve(end uint32) {
	if end <= a.end {
		return
	}
	for uint32(len(a.chunks))*chunkSize < end {
		a.chunks = append(a.chunks, nil)
		a.live = append(a.live, 0)
	}
	// The chunk that was being typed into may be complete now, and empty.
	if k := a.end / chunkSize; a.end%chunkSize != 0 && (k+1)*chunkSize <= end && a.live[k] == 0 {
		a.chunks[k] = nil
	}
	a.end = end
}

// write stores s as the content of items seq … seq+len(s)-1, which become
// live.
func write[S ~string | ~[]byte](a *arena, seq uint32, s S) {
	a.reserve(seq + uint32(len(s)))
	for len(s) > 0 {
		k, off := seq/chunkSize, seq%chunkSize
		if a.chunks[k] == nil {
			a.chunks[k] = new([chunkSize]byte)
		}
		m := copy(a.chunks[k][off:], s)
		a.live[k] += uint16(m)
		s = s[m:]
		seq += uint32(m)
	}
}

// appendTo appends the content of items seq … seq+n-1, all live.
func (a *arena) appendTo(b []byte, seq, n uint32) []byte {
	for n > 0 {
		k, off := seq/chunkSize, seq%chunkSize
		m := min(n, chunkSize-off)
		b = append(b, a.chunks[k][off:off+m]...)
		seq += m
		n -= m
	}
	return b
}

// equal reports whether the live items seq … seq+len(s)-1 hold s.
func (a *arena) equal(seq uint32, s string) bool {
	for len(s) > 0 {
		k, off := seq/chunkSize, seq%chunkSize
		m := min(uint32(len(s)), chunkSize-off)
		if string(a.chunks[k][off:off+m]) != s[:m] {
			return false
		}
		s = s[m:]
		seq += m
	}
	return true
}

// drop forgets the content of the live items seq … seq+n-1 (deleted),
// freeing each chunk left with no live item. The chunk the agent is still
// typing into is kept: it would only be allocated again at the next
// keystroke.
func (a *arena) drop(seq, n uint32) {
	for n > 0 {
		k, off := seq/chunkSize, seq%chunkSize
		m := min(n, chunkSize-off)
		a.live[k] -= uint16(m)
		if a.live[k] == 0 && (k+1)*chunkSize <= a.end {
			a.chunks[k] = nil
		}
		seq += m
		n -= m
	}
}
