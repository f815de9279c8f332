package replica

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt/text"
	"github.com/rondo-dev/rondo/scenario"
)

// The text operations: positions are fractions of the replica's current
// length, since the workload is drawn before anyone knows the text.
type (
	// Type inserts S at fraction At of the text.
	Type struct {
		At float64
		S  string
	}
	// Erase deletes up to N characters from fraction At of the text.
	Erase struct {
		At float64
		N  int
	}
)

func (o Type) String() string  { return fmt.Sprintf("type(%.2f,%q)", o.At, o.S) }
func (o Erase) String() string { return fmt.Sprintf("erase(%.2f,%d)", o.At, o.N) }

// TextKind is the text CRDT's campaign: concurrent typing and deleting at
// every replica. A text delta is a text.Update; anti-entropy ships it as
// the document holding just that update (its items wait inside it for
// origins the document lacks), since deltas must be lattice values.
//
// Equal ID sets are not what a user reads, so the campaign also checks
// the text (textSemantics): every correct replica shows the same text and
// is the same document, every character typed at a correct replica and
// deleted nowhere is there exactly once, every character a correct replica
// deleted is gone, nothing appears that was not typed, and each typed
// string keeps its order, not interleaved with concurrent typing.
func TextKind() Kind[*text.Doc] {
	return Kind[*text.Doc]{
		Name:    "crdt-text",
		Summary: "collaborative text (crdt/text, FugueMax) replicated by delta-interval anti-entropy",
		Config: Config[*text.Doc]{
			Bottom: func(id core.NodeID) *text.Doc {
				d, err := text.New(id)
				if err != nil {
					// The ID reserved for text.None: a replica that can
					// merge but not type (Apply refuses its operations).
					return &text.Doc{}
				}
				return d
			},
			Codec: BinaryCodec(func() *text.Doc { return &text.Doc{} }),
			Apply: func(ctx core.Context, d *text.Doc, op any) (*text.Doc, error) {
				if uint32(ctx.ID()) == text.NoAgent {
					return nil, fmt.Errorf("node %d cannot type: its ID is reserved by crdt/text", ctx.ID())
				}
				n := d.Len()
				var u *text.Update
				switch o := op.(type) {
				case Type:
					u = d.Insert(min(int(o.At*float64(n+1)), n), o.S)
				case Erase:
					if n == 0 {
						return nil, nil
					}
					pos := min(int(o.At*float64(n)), n-1)
					u = d.Delete(pos, min(o.N, n-pos))
				default:
					return nil, wrong(op, "a text")
				}
				delta := &text.Doc{}
				if _, err := delta.Apply(u); err != nil {
					return nil, err
				}
				return delta, nil
			},
			Value: func(d *text.Doc) string { return strconv.Quote(d.String()) },
		},
		Op: func(rng *rand.Rand, node core.NodeID, k int) any {
			if k > 1 && rng.IntN(3) == 0 {
				return Erase{At: rng.Float64(), N: 1 + rng.IntN(3)}
			}
			return Type{At: rng.Float64(), S: fmt.Sprintf("%c%d", 'a'+rune(node%26), k)}
		},
		OpsPerNode: 10,
		Semantics:  textSemantics,
	}
}

// textSemantics checks what the users of the converged replicas read (see
// TextKind) from the history: the deltas of every local operation and the
// last state of every correct replica.
func textSemantics(h *scenario.History, final *text.Doc) []scenario.Violation {
	codec := BinaryCodec(func() *text.Doc { return &text.Doc{} })
	var vs []scenario.Violation
	bad := func(format string, args ...any) {
		vs = append(vs, scenario.Violation{Property: "semantics", Detail: fmt.Sprintf(format, args...)})
	}
	var edits []*text.Update // every operation's delta, from any replica, in history order
	var byCorrect []bool     // whether edits[i] was made at a correct replica
	deletedByAny := map[text.ID]bool{}
	last := make(map[core.NodeID][]byte)
	for _, o := range h.Observations {
		if !o.Output {
			continue
		}
		switch v := o.Value.(type) {
		case Snapshot:
			last[o.Node] = v.State
		case Applied:
			if len(v.Delta) == 0 {
				continue
			}
			d, err := codec.Decode(v.Delta)
			if err != nil {
				continue // check reports it
			}
			u := d.State()
			edits = append(edits, u)
			byCorrect = append(byCorrect, h.Correct(o.Node))
			for _, s := range u.Deletes {
				for k := range s.N {
					deletedByAny[text.ID{Agent: s.Agent, Seq: s.Seq + k}] = true
				}
			}
		}
	}
	// Every correct replica shows the same text and is the same document.
	for i := range h.N {
		node := core.NodeID(i)
		if !h.Correct(node) || last[node] == nil {
			continue
		}
		d, err := codec.Decode(last[node])
		if err != nil {
			continue // check reports it
		}
		if d.String() != final.String() || !text.Equal(d, final) {
			bad("replica %d shows %q, not the converged %q", i, d.String(), final.String())
		}
	}
	for _, p := range text.Audit(final, edits, 5) {
		bad("converged text %q: %s", final.String(), p)
	}
	visible := map[text.ID]bool{}
	for id := range final.Chars() {
		visible[id] = true
	}
	missing, undeleted := 0, 0
	for i, u := range edits {
		if !byCorrect[i] {
			continue
		}
		for _, in := range u.Inserts {
			for k := range uint32(len(in.Text)) {
				if id := (text.ID{Agent: in.ID.Agent, Seq: in.ID.Seq + k}); !visible[id] && !deletedByAny[id] {
					if missing++; missing == 1 {
						bad("item %d:%d (%q), typed at a correct replica and deleted nowhere, is missing from %q",
							id.Agent, id.Seq, in.Text[k], final.String())
					}
				}
			}
		}
		for _, s := range u.Deletes {
			for k := range s.N {
				if id := (text.ID{Agent: s.Agent, Seq: s.Seq + k}); visible[id] {
					if undeleted++; undeleted == 1 {
						bad("item %d:%d, deleted at a correct replica, is visible in %q", id.Agent, id.Seq, final.String())
					}
				}
			}
		}
	}
	return vs
}
