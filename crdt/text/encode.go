package text

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/rondo-dev/rondo/crdt/internal/wire"
)

// Binary encoding of a whole document, compact by construction: runs are
// written in document order, so the decoder rebuilds the sequence without
// running the integration scan, and most origins are implied by position.
//
//	doc     = 0x01 agents runs content pending
//	agents  = count {agent-id}            (uvarints, order of first use)
//	runs    = count {flags [agent] [seq] n [left] [right]}
//	content = the visible text, run after run (tombstones carry none)
//	pending = an Update (inserts and deletes still waiting for origins)
//
// A run's flags byte says which fields are implied:
//
//	bit 0      deleted
//	bit 1      new agent: the agent index follows (else the previous run's)
//	bits 2–3   seq: 0 the previous run's end, 1 one past the agent's highest
//	           seq so far, 2 a zigzag delta from the previous run's end follows,
//	           3 the end of a recent run, whose distance from the most recent
//	           one follows (see openEnds)
//	bits 4–5   left origin: 0 explicit, 1 the previous item in the document,
//	           2 the agent's item just before this run's first, 3 None
//	bits 6–7   right origin: 0 explicit, 1 None, 2 the previous run's right
//	           origin, 3 the next run's first item
//
// An explicit origin is an agent index (omitted when the document has one
// agent) and a zigzag delta of its seq from the run's seq.
const (
	fDeleted  = 1 << 0
	fNewAgent = 1 << 1

	seqShift, seqPrevEnd, seqNext, seqDelta, seqOpen = 2, 0, 1, 2, 3

	leftShift, leftExplicit, leftPrev, leftOwnPrev, leftNone = 4, 0, 1, 2, 3

	rightShift, rightExplicit, rightNone, rightSame, rightNext = 6, 0, 1, 2, 3
)

const docVersion = 1

// AppendBinary appends the encoding of d (encoding.BinaryAppender). It has
// a value receiver so that core.Register[text.Doc] picks the binary codec.
func (d Doc) AppendBinary(b []byte) ([]byte, error) {
	d.init()
	b = append(b, docVersion)
	// Agent table, in order of first use.
	idx := make(map[int32]uint64, len(d.agents))
	var order []int32
	for l := d.leaves[0]; l != nil; l = l.next {
		for i := range l.runs {
			if _, ok := idx[l.runs[i].agent]; !ok {
				idx[l.runs[i].agent] = uint64(len(order))
				order = append(order, l.runs[i].agent)
			}
		}
	}
	b = wire.AppendUvarint(b, uint64(len(order)))
	for _, ai := range order {
		b = wire.AppendUvarint(b, uint64(d.agents[ai].id))
	}
	byAgentID := func(id ID) uint64 { return idx[d.byID[id.Agent]] }

	b = wire.AppendUvarint(b, uint64(d.root.all)) // lets the decoder bound its work up front
	runs := 0
	for l := d.leaves[0]; l != nil; l = l.next {
		runs += len(l.runs)
	}
	b = wire.AppendUvarint(b, uint64(runs))
	next := make([]uint32, len(order)) // one past each agent's highest seq so far
	var open openEnds
	var prev *run
	var content []byte
	for l := d.leaves[0]; l != nil; l = l.next {
		for i := range l.runs {
			r := &l.runs[i]
			var nxt *run
			if i+1 < len(l.runs) {
				nxt = &l.runs[i+1]
			} else if l.next != nil && len(l.next.runs) > 0 {
				nxt = &l.next.runs[0]
			}
			ai := idx[r.agent]
			var f byte
			if r.deleted {
				f |= fDeleted
			} else {
				content = d.agents[r.agent].text.appendTo(content, r.seq, r.n)
			}
			if prev == nil || prev.agent != r.agent {
				f |= fNewAgent
			}
			prevEnd := uint32(0)
			if prev != nil && prev.agent == r.agent {
				prevEnd = prev.seq + prev.n
			}
			depth := open.find(r.agent, r.seq)
			switch {
			case r.seq == prevEnd:
				f |= seqPrevEnd << seqShift
			case r.seq == next[ai]:
				f |= seqNext << seqShift
			case depth >= 0:
				f |= seqOpen << seqShift
			default:
				f |= seqDelta << seqShift
			}
			if depth >= 0 {
				open.take(depth)
			}
			open.push(r.agent, r.seq+r.n)
			self := d.agents[r.agent].id
			switch {
			case r.left == none:
				f |= leftNone << leftShift
			case prev != nil && r.left == d.idAt(prev, int(prev.n)-1):
				f |= leftPrev << leftShift
			case r.seq > 0 && r.left == (ID{self, r.seq - 1}):
				f |= leftOwnPrev << leftShift
			}
			switch {
			case r.right == none:
				f |= rightNone << rightShift
			case prev != nil && r.right == prev.right:
				f |= rightSame << rightShift
			case nxt != nil && r.right == d.idAt(nxt, 0):
				f |= rightNext << rightShift
			}
			b = append(b, f)
			if f&fNewAgent != 0 {
				b = wire.AppendUvarint(b, ai)
			}
			switch (f >> seqShift) & 3 {
			case seqDelta:
				b = wire.AppendUvarint(b, zigzag(int64(r.seq)-int64(prevEnd)))
			case seqOpen:
				b = wire.AppendUvarint(b, uint64(depth))
			}
			b = wire.AppendUvarint(b, uint64(r.n))
			if (f>>leftShift)&3 == leftExplicit {
				b = appendOrigin(b, r.left, byAgentID(r.left), len(order), r.seq)
			}
			if (f>>rightShift)&3 == rightExplicit {
				b = appendOrigin(b, r.right, byAgentID(r.right), len(order), r.seq)
			}
			next[ai] = max(next[ai], r.seq+r.n)
			prev = r
		}
	}
	b = append(b, content...)
	pending := Update{Inserts: d.pendingIns, Deletes: d.pendingDel}
	return pending.AppendBinary(b)
}

// appendOrigin writes an explicit origin.
func appendOrigin(b []byte, o ID, agentIdx uint64, agents int, seq uint32) []byte {
	if agents > 1 {
		b = wire.AppendUvarint(b, agentIdx)
	}
	return wire.AppendUvarint(b, zigzag(int64(o.Seq)-int64(seq)))
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// MarshalBinary is AppendBinary into a fresh slice.
func (d Doc) MarshalBinary() ([]byte, error) { return d.AppendBinary(nil) }

var errDoc = errors.New("text: malformed document")

// UnmarshalBinary replaces d's state (keeping its agent) with the decoded
// document. It never panics: malformed input returns an error and leaves d
// empty.
func (d *Doc) UnmarshalBinary(data []byte) error {
	self := d.self
	*d = Doc{self: self, decoding: true}
	d.init()
	err := d.decode(data)
	if err != nil {
		*d = Doc{self: self}
		d.init()
	}
	return err
}

func (d *Doc) decode(data []byte) error {
	r := wire.NewReader(data)
	if r.Byte() != docVersion {
		return errDoc
	}
	nAgents := r.Count(1)
	ais := make([]int32, nAgents)
	for i := range ais {
		id := r.Uint(uint64(NoAgent) - 1)
		if _, dup := d.byID[uint32(id)]; dup {
			return errDoc
		}
		ais[i] = d.log(uint32(id))
	}
	total := r.Uint(MaxChars)
	nRuns := r.Count(2)
	if r.Err() != nil {
		return r.Err()
	}
	agentOf := func(i uint64) (int32, bool) {
		if i >= uint64(len(ais)) {
			return 0, false
		}
		return ais[i], true
	}
	origin := func(seq uint32) (ID, bool) {
		var ai int32
		ok := len(ais) > 0
		if len(ais) > 1 {
			ai, ok = agentOf(r.Uvarint())
		}
		o := int64(seq) + unzigzag(r.Uvarint())
		if !ok || r.Err() != nil || o < 0 || o >= MaxChars {
			return none, false
		}
		if len(ais) == 1 {
			ai = ais[0]
		}
		return ID{d.agents[ai].id, uint32(o)}, true
	}
	next := make([]uint32, len(ais))
	var open openEnds
	var prev *run
	var prevAi uint64
	var pendingRight *run // a run whose right origin is the next run's first item
	visible := 0
	seen := 0
	l := d.lastLeaf()
	for range nRuns {
		f := r.Byte()
		var x run
		var ai uint64
		switch {
		case f&fNewAgent != 0:
			ai = r.Uvarint()
		case prev == nil:
			return errDoc
		default:
			ai = prevAi
		}
		a, ok := agentOf(ai)
		if !ok {
			return errDoc
		}
		x.agent = a
		prevEnd := uint32(0)
		if prev != nil && prev.agent == a {
			prevEnd = prev.seq + prev.n
		}
		switch (f >> seqShift) & 3 {
		case seqPrevEnd:
			x.seq = prevEnd
		case seqNext:
			x.seq = next[ai]
		case seqDelta:
			s := int64(prevEnd) + unzigzag(r.Uvarint())
			if s < 0 || s >= MaxChars {
				return errDoc
			}
			x.seq = uint32(s)
		case seqOpen:
			depth := r.Uint(maxOpenDepth)
			agent, end, ok := open.at(int(depth))
			if !ok || agent != a {
				return errDoc
			}
			x.seq = end
		}
		if depth := open.find(a, x.seq); depth >= 0 {
			open.take(depth)
		}
		x.n = uint32(r.Uint(MaxChars))
		open.push(a, x.seq+x.n)
		x.deleted = f&fDeleted != 0
		switch (f >> leftShift) & 3 {
		case leftNone:
			x.left = none
		case leftPrev:
			if prev == nil {
				return errDoc
			}
			x.left = d.idAt(prev, int(prev.n)-1)
		case leftOwnPrev:
			if x.seq == 0 {
				return errDoc
			}
			x.left = ID{d.agents[a].id, x.seq - 1}
		default:
			if x.left, ok = origin(x.seq); !ok {
				return errDoc
			}
		}
		switch (f >> rightShift) & 3 {
		case rightNone:
			x.right = none
		case rightSame:
			if prev == nil {
				return errDoc
			}
			x.right = prev.right
		case rightNext:
		default:
			if x.right, ok = origin(x.seq); !ok {
				return errDoc
			}
		}
		if r.Err() != nil {
			return r.Err()
		}
		seen += int(x.n)
		if x.n == 0 || uint64(x.seq)+uint64(x.n) > MaxChars || seen > int(total) {
			return errDoc
		}
		if pendingRight != nil {
			pendingRight.right = d.idAt(&x, 0)
			pendingRight = nil
		}
		l.runs = append(l.runs, x)
		addCounts(l, x.vis(), int(x.n))
		if !x.deleted {
			visible += int(x.n)
		}
		next[ai] = max(next[ai], x.seq+x.n)
		d.maybeSplit(l)
		l = d.lastLeaf()
		prev, prevAi = &l.runs[len(l.runs)-1], ai
		if (f>>rightShift)&3 == rightNext {
			pendingRight = prev
		}
	}
	if pendingRight != nil {
		return errDoc
	}
	// Visible content, run after run.
	content := r.Bytes(uint64(visible))
	if r.Err() != nil {
		return r.Err()
	}
	for lf := d.leaves[0]; lf != nil; lf = lf.next {
		for i := range lf.runs {
			x := &lf.runs[i]
			if x.deleted {
				d.agents[x.agent].text.reserve(x.seq + x.n)
			} else {
				write(&d.agents[x.agent].text, x.seq, content[:x.n])
				content = content[x.n:]
			}
		}
	}
	d.decoding = false
	if !d.indexIDs() {
		return errDoc
	}
	// Every origin must name an item of the document.
	for lf := d.leaves[0]; lf != nil; lf = lf.next {
		for i := range lf.runs {
			if !d.hasOrigin(lf.runs[i].left) || !d.hasOrigin(lf.runs[i].right) {
				return errDoc
			}
		}
	}
	var pending Update
	rest := data[len(data)-r.Len():]
	if err := pending.UnmarshalBinary(rest); err != nil {
		return err
	}
	if _, err := d.Apply(&pending); err != nil {
		return fmt.Errorf("%w: %w", errDoc, err)
	}
	return nil
}

// indexIDs builds each agent's leafMap once the decoder has placed every
// run, and reports whether the runs name each ID once and each agent's
// items form a prefix of its sequence (see deps), as Apply keeps them.
func (d *Doc) indexIDs() bool {
	type where struct {
		seq, n uint32
		leaf   int32
	}
	byAgent := make([][]where, len(d.agents))
	for l := d.leaves[0]; l != nil; l = l.next {
		for i := range l.runs {
			r := &l.runs[i]
			byAgent[r.agent] = append(byAgent[r.agent], where{r.seq, r.n, l.id})
		}
	}
	for ai, ws := range byAgent {
		slices.SortFunc(ws, func(a, b where) int { return cmp.Compare(a.seq, b.seq) })
		m := &d.agents[ai].where
		for _, w := range ws {
			if w.seq != m.end {
				return false // a gap or an ID twice
			}
			m.push(w.n, w.leaf)
		}
	}
	return true
}

// openEnds lists, most recent last, where the runs seen so far end: the seq
// their agent's next item has. A run cut by a later insert shows up again,
// in document order, after what was inserted into it, so the seq of its
// continuation is usually the end of one of the last few runs — and a
// distance from the most recent one takes a byte where a seq delta takes
// two or three. Encoder and decoder keep the list alike: each run takes
// the entry it continues, if one is near, and adds its own end.
type openEnds struct {
	agent []int32
	end   []uint32
}

// maxOpenDepth bounds how far back a run's continuation is looked for.
const maxOpenDepth = 127

// find returns the distance from the most recent entry of the nearest one
// ending at agent's seq, or -1.
func (o *openEnds) find(agent int32, seq uint32) int {
	for k := 0; k <= maxOpenDepth && k < len(o.end); k++ {
		i := len(o.end) - 1 - k
		if o.end[i] == seq && o.agent[i] == agent {
			return k
		}
	}
	return -1
}

// at returns the entry at distance depth.
func (o *openEnds) at(depth int) (int32, uint32, bool) {
	i := len(o.end) - 1 - depth
	if i < 0 {
		return 0, 0, false
	}
	return o.agent[i], o.end[i], true
}

// take removes the entry at distance depth.
func (o *openEnds) take(depth int) {
	i := len(o.end) - 1 - depth
	o.agent = slices.Delete(o.agent, i, i+1)
	o.end = slices.Delete(o.end, i, i+1)
}

func (o *openEnds) push(agent int32, end uint32) {
	o.agent = append(o.agent, agent)
	o.end = append(o.end, end)
}
