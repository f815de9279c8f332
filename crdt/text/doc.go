// Package text is Rondo's sequence CRDT for collaborative plain text.
//
// Every character is an item with a unique ID (agent, seq) and two origins:
// the item to its left and the item to its right when it was typed. Remote
// insertions are placed by the FugueMax rule — the YATA scan of Yjs with the
// corrected tie-break found by Gentle ("YjsMod", reference-crdts) and proved
// to be maximally non-interleaving by Weidner, Gentle and Kleppmann, "The Art
// of the Fugue: Minimizing Interleaving in Collaborative Text Editing" (IEEE
// TPDS 2025, arXiv:2305.00583). The scan itself comes from Nicolaescu et al.,
// "Near Real-Time Peer-to-Peer Shared Editing on Extensible Data Types"
// (YATA, GROUP 2016). Deleted items stay as tombstones so that concurrent
// inserts next to them still find their origins.
//
// Why FugueMax (docs/lattices.md has the figures): for local typing — every
// edit of a sequential trace — RGA, YATA and Fugue do the same work
// (place the item right after its left neighbour), so speed does not pick
// between them. Interleaving does: RGA interleaves text typed backwards
// concurrently, YATA interleaves in Gentle's "withTails" puzzle
// (TestWithTailsPuzzle measures both rules on this very code), FugueMax in
// neither (TestConcurrentTypingDoesNotInterleave). It needs the right
// origin, which the encoding implies from position for two runs in three.
//
// Speed comes from the representation: items are stored as runs (one run is
// a span of consecutive IDs typed left to right, like Yjs's items), in the
// leaves of a B-tree whose inner nodes count visible and total characters,
// so a position is found in O(log n); each agent keeps a span map from seq
// to the leaf holding the item (about one entry per run), so an ID is found
// in O(log n) too; and the content of visible items lives in a chunked
// arena per agent, indexed by seq, so runs never copy text — tombstones
// keep none (a chunk whose items are all deleted is freed).
//
// A Doc is a join-semilattice: its value is the set of items (with their
// origins) and the set of deleted IDs, and Merge is their union. Local edits
// return an Update — the delta — which Apply merges into any replica, each
// item at most once however the updates were batched, repeated or
// reordered. Updates whose origins have not arrived yet wait in the Doc
// until they do. An ID means one item for good: Apply refuses, whole, an
// update that gives a known ID another character or other origins.
package text

import (
	"errors"
	"iter"

	"github.com/rondo-dev/rondo/core"
)

// ID names one character: the agent (replica) that typed it and that
// agent's sequence number, counting from 0.
type ID struct {
	Agent uint32 `json:"a"`
	Seq   uint32 `json:"s"`
}

// NoAgent is the agent of None, reserved: no replica edits as NoAgent (New
// refuses it) and no update may carry items of it.
const NoAgent = ^uint32(0)

// None returns the ID of no item: an origin at the start or end of the
// text.
func None() ID { return none }

// none is None(), for comparisons inside the package.
var none = ID{Agent: NoAgent, Seq: ^uint32(0)}

// IsNone reports whether id is None().
func (id ID) IsNone() bool { return id == none }

// MaxChars bounds the items (tombstones and items waiting for their
// origins included) a Doc holds, and the seqs it accepts, from decoders and
// updates alike, so that hostile input cannot make a replica allocate
// without bound.
const MaxChars = 1 << 24

// ErrReservedAgent is New's error for the agent reserved for None.
var ErrReservedAgent = errors.New("text: agent 4294967295 is reserved (it names no item, None)")

// Doc is one replica of a text document. The zero value is an empty
// document for agent 0; New picks the agent.
type Doc struct {
	self   uint32
	yata   bool // place concurrent inserts by Yjs's original rule (measurement only)
	root   *node
	leaves []*node
	agents []agentLog
	byID   map[uint32]int32 // agent → index in agents

	// Items whose origins (or whose agent's previous item) have not
	// arrived, and deletions of items not integrated yet: both sorted by
	// ID and disjoint, and disjoint from the integrated items.
	pendingIns []Insert
	pendingDel []Span
	waiting    int // items in pendingIns

	decoding bool // UnmarshalBinary is building the tree; it indexes IDs at the end
}

// agentLog is what a replica knows about one agent's items: seqs
// 0 … where.end-1 are integrated.
type agentLog struct {
	id    uint32
	where leafMap // the leaf holding each item
	text  arena   // the content of each visible item
}

// New returns an empty document edited locally as agent. It refuses
// NoAgent, the agent of None.
func New(agent core.NodeID) (*Doc, error) {
	if uint32(agent) == NoAgent {
		return nil, ErrReservedAgent
	}
	d := &Doc{self: uint32(agent)}
	d.init()
	return d, nil
}

func (d *Doc) init() {
	if d.root == nil {
		d.root = &node{leaf: true}
		d.leaves = []*node{d.root}
		d.byID = make(map[uint32]int32)
	}
}

// Agent returns the agent local edits are made as.
func (d *Doc) Agent() core.NodeID { return core.NodeID(d.self) }

// Len returns the number of visible characters (bytes).
func (d *Doc) Len() int {
	if d.root == nil {
		return 0
	}
	return d.root.vis
}

// String returns the visible text.
func (d *Doc) String() string {
	d.init()
	buf := make([]byte, 0, d.root.vis)
	for l := d.leaves[0]; l != nil; l = l.next {
		for i := range l.runs {
			r := &l.runs[i]
			if !r.deleted {
				buf = d.agents[r.agent].text.appendTo(buf, r.seq, r.n)
			}
		}
	}
	return string(buf)
}

// Runs returns the number of runs (items after run-length merging) the
// document holds, tombstones included: its metadata size in items.
func (d *Doc) Runs() int {
	d.init()
	n := 0
	for l := d.leaves[0]; l != nil; l = l.next {
		n += len(l.runs)
	}
	return n
}

// Pending returns how many items wait inside d for their origins, and how
// many deletions wait for the items they delete.
func (d *Doc) Pending() (inserts, deletes int) {
	for _, in := range d.pendingIns {
		inserts += int(in.Len())
	}
	for _, s := range d.pendingDel {
		deletes += int(s.N)
	}
	return inserts, deletes
}

// log returns the index of agent's log, creating it.
func (d *Doc) log(agent uint32) int32 {
	if i, ok := d.byID[agent]; ok {
		return i
	}
	i := int32(len(d.agents))
	d.agents = append(d.agents, agentLog{id: agent})
	d.byID[agent] = i
	return i
}

// known returns how many of agent's items d holds: they are seqs 0 … known-1.
func (d *Doc) known(agent uint32) uint32 {
	if ai, ok := d.byID[agent]; ok {
		return d.agents[ai].where.end
	}
	return 0
}

// has reports whether the item id is integrated.
func (d *Doc) has(id ID) bool { return id.Seq < d.known(id.Agent) }

// hasOrigin is has, with None always present.
func (d *Doc) hasOrigin(id ID) bool { return id == none || d.has(id) }

// Chars yields the visible characters in order, each with the ID of its
// item: what an editor needs to anchor cursors and authorship to items
// rather than to positions, which move under concurrent edits.
func (d *Doc) Chars() iter.Seq2[ID, byte] {
	return func(yield func(ID, byte) bool) {
		d.init()
		var buf []byte
		for l := d.leaves[0]; l != nil; l = l.next {
			for i := range l.runs {
				r := &l.runs[i]
				if r.deleted {
					continue
				}
				a := &d.agents[r.agent]
				buf = a.text.appendTo(buf[:0], r.seq, r.n)
				for k, c := range buf {
					if !yield(ID{a.id, r.seq + uint32(k)}, c) {
						return
					}
				}
			}
		}
	}
}
