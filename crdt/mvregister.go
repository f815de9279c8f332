package crdt

import (
	"maps"
	"slices"

	"github.com/rondo-dev/rondo/core"
)

// MVRegister is the multi-value register (Almeida et al., §7.3; Dynamo's
// siblings): a write replaces the values it has seen, and concurrent writes
// all survive until a later write that saw them all. The zero value holds
// no value.
type MVRegister[T comparable] struct {
	vals map[Dot]T
	ctx  *Context
}

func (r *MVRegister[T]) c() *Context {
	if r.ctx == nil {
		r.ctx = &Context{}
	}
	return r.ctx
}

// Write stores v as node, replacing every value seen, and returns the delta.
func (r *MVRegister[T]) Write(node core.NodeID, v T) *MVRegister[T] {
	d := r.c().Next(node)
	seen := slices.Collect(maps.Keys(r.vals))
	delta := &MVRegister[T]{vals: map[Dot]T{d: v}, ctx: contextOf(append(seen, d)...)}
	r.vals = map[Dot]T{d: v}
	return delta
}

// Values returns the current values, ordered by the dots that wrote them
// so that every replica lists them alike.
func (r *MVRegister[T]) Values() []T {
	dots := slices.SortedFunc(maps.Keys(r.vals), cmpDot)
	out := make([]T, len(dots))
	for i, d := range dots {
		out[i] = r.vals[d]
	}
	return out
}

// Merge joins o into r and reports whether r changed.
func (r *MVRegister[T]) Merge(o *MVRegister[T]) bool {
	changed := r.joinStore(o, ctxOrEmpty(o.ctx))
	if o.ctx != nil && r.c().Merge(o.ctx) {
		changed = true
	}
	return changed
}

func (r *MVRegister[T]) joinStore(o *MVRegister[T], oc *Context) bool {
	rc := ctxOrEmpty(r.ctx)
	changed := false
	for d := range r.vals {
		if _, both := o.vals[d]; !both && oc.Contains(d) {
			delete(r.vals, d)
			changed = true
		}
	}
	for d, v := range o.vals {
		if _, both := r.vals[d]; !both && !rc.Contains(d) {
			if r.vals == nil {
				r.vals = make(map[Dot]T)
			}
			r.vals[d] = v
			changed = true
		}
	}
	return changed
}

// LessEq reports r ≤ o.
func (r *MVRegister[T]) LessEq(o *MVRegister[T]) bool { return !o.Clone().Merge(r) }

// IsBot reports whether r has seen nothing.
func (r *MVRegister[T]) IsBot() bool { return len(r.vals) == 0 && (r.ctx == nil || r.ctx.IsBot()) }

// Clone deep-copies r.
func (r *MVRegister[T]) Clone() *MVRegister[T] { return r.cloneIn(ctxOrEmpty(r.ctx).Clone()) }

func (r *MVRegister[T]) newIn(ctx *Context) *MVRegister[T] { return &MVRegister[T]{ctx: ctx} }
func (r *MVRegister[T]) cloneIn(ctx *Context) *MVRegister[T] {
	return &MVRegister[T]{vals: maps.Clone(r.vals), ctx: ctx}
}
func (r *MVRegister[T]) storeEmpty() bool { return len(r.vals) == 0 }
func (r *MVRegister[T]) eachDot(f func(Dot)) {
	for d := range r.vals {
		f(d)
	}
}
func (r *MVRegister[T]) context() *Context { return r.c() }
