package crdt

import (
	"slices"

	"github.com/rondo-dev/rondo/crdt/internal/wire"
)

// The join of two dot sets under their contexts (Almeida et al., §5.1):
// a dot survives if both sides have it, or if one side has it and the
// other side has never seen it. A dot one side has seen but dropped was
// removed there, and the removal wins over the older add.
func joinDots(s1, s2 []Dot, c1, c2 *Context) (out []Dot, changed bool) {
	// Fast path, the common case for a delta: nothing of s1 is removed and
	// nothing of s2 is new.
	same := true
	for _, d := range s1 {
		if !slices.Contains(s2, d) && c2.Contains(d) {
			same = false
			break
		}
	}
	if same {
		for _, d := range s2 {
			if !slices.Contains(s1, d) && !c1.Contains(d) {
				same = false
				break
			}
		}
	}
	if same {
		return s1, false
	}
	out = s1[:0:0]
	for _, d := range s1 {
		if slices.Contains(s2, d) || !c2.Contains(d) {
			out = append(out, d)
		} else {
			changed = true // removed by the other side
		}
	}
	for _, d := range s2 {
		if !slices.Contains(s1, d) && !c1.Contains(d) {
			out = append(out, d)
			changed = true
		}
	}
	slices.SortFunc(out, cmpDot)
	return out, changed
}

// ctxOrEmpty lets a nil context read as the empty one.
func ctxOrEmpty(c *Context) *Context {
	if c == nil {
		return &Context{}
	}
	return c
}

// Embeddable is a causal CRDT that can be a value of an ORMap: its dot
// store joins under contexts it does not own, because every value of an
// ORMap shares the map's causal context. EWFlag, MVRegister, AWSet and
// ORMap itself are Embeddable; the methods are unexported because they
// expose the internal split between store and context.
type Embeddable[V any] interface {
	comparable
	// newIn returns an empty value whose context is ctx.
	newIn(ctx *Context) V
	// cloneIn deep-copies the store into a value whose context is ctx.
	cloneIn(ctx *Context) V
	// joinStore joins o's store, under o's context oc, into the receiver's
	// store, under the receiver's context (not merged here).
	joinStore(o V, oc *Context) bool
	// storeEmpty reports whether the store holds no dot.
	storeEmpty() bool
	// eachDot calls f for every dot of the store.
	eachDot(f func(Dot))
	// context returns the value's causal context.
	context() *Context
	// appendStore encodes the store; readStore decodes one into ctx.
	appendStore(b []byte) ([]byte, error)
	readStore(r *wire.Reader, ctx *Context) V
}
