package replica

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt/text"
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
func TextKind() Kind[*text.Doc] {
	return Kind[*text.Doc]{
		Name:    "crdt-text",
		Summary: "collaborative text (crdt/text, FugueMax) replicated by delta-interval anti-entropy",
		Config: Config[*text.Doc]{
			Bottom: func(id core.NodeID) *text.Doc { return text.New(id) },
			Codec:  BinaryCodec(func() *text.Doc { return text.New(0) }),
			Apply: func(ctx core.Context, d *text.Doc, op any) (*text.Doc, error) {
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
				delta := text.New(ctx.ID())
				delta.Apply(u)
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
	}
}
