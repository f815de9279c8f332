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
// so a position is found in O(log n); each agent keeps, per seq, the leaf
// holding the item, so an ID is found in O(log n) too; and content lives in
// one byte arena per agent, indexed by seq, so runs never copy text.
//
// A Doc is a join-semilattice: its value is the set of items (with their
// origins) and the set of deleted IDs, and Merge is their union. Local edits
// return an Update — the delta — which Apply merges into any replica.
// Updates whose origins have not arrived yet wait in the Doc until they do.
package text

import (
	"github.com/rondo-dev/rondo/core"
)

// ID names one character: the agent (replica) that typed it and that
// agent's sequence number, counting from 0.
type ID struct {
	Agent uint32 `json:"a"`
	Seq   uint32 `json:"s"`
}

// None is the ID of no item: an origin at the start or end of the text.
var None = ID{Agent: ^uint32(0), Seq: ^uint32(0)}

// MaxChars bounds the items (tombstones included) a Doc holds, and the
// seqs it accepts, from decoders and updates alike, so that hostile input
// cannot make a replica allocate more than about 5 bytes × MaxChars.
const MaxChars = 1 << 24

// Doc is one replica of a text document. The zero value is an empty
// document for agent 0; New picks the agent.
type Doc struct {
	self   uint32
	yata   bool // place concurrent inserts by Yjs's original rule (measurement only)
	root   *node
	leaves []*node
	agents []agentLog
	byID   map[uint32]int32 // agent → index in agents

	pendingIns []Insert // inserts whose origins have not arrived
	pendingDel []Span   // deletes of items that have not arrived
}

// agentLog is what a replica knows about one agent's items, indexed by seq.
type agentLog struct {
	id   uint32
	text []byte  // content of every item; 0 where unknown
	leaf []int32 // index in Doc.leaves of the leaf holding the item; -1 if absent
}

// New returns an empty document edited locally as agent.
func New(agent core.NodeID) *Doc {
	d := &Doc{self: uint32(agent)}
	d.init()
	return d
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
				buf = append(buf, d.agents[r.agent].text[r.seq:r.seq+r.n]...)
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

// has reports whether the item id is integrated.
func (d *Doc) has(id ID) bool {
	ai, ok := d.byID[id.Agent]
	if !ok {
		return false
	}
	lf := d.agents[ai].leaf
	return int(id.Seq) < len(lf) && lf[id.Seq] >= 0
}

// hasOrigin is has, with None always present.
func (d *Doc) hasOrigin(id ID) bool { return id == None || d.has(id) }
