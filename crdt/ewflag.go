package crdt

import "github.com/rondo-dev/rondo/core"

// EWFlag is the enable-wins flag (Almeida et al., §7.1): enabling adds a
// fresh dot, disabling drops the dots seen, so a concurrent enable wins.
// The zero value is disabled.
type EWFlag struct {
	dots []Dot
	ctx  *Context
}

func (f *EWFlag) c() *Context {
	if f.ctx == nil {
		f.ctx = &Context{}
	}
	return f.ctx
}

// Enable sets the flag as node and returns the delta.
func (f *EWFlag) Enable(node core.NodeID) *EWFlag {
	d := f.c().Next(node)
	delta := &EWFlag{dots: []Dot{d}, ctx: contextOf(append(append([]Dot(nil), f.dots...), d)...)}
	f.dots = []Dot{d}
	return delta
}

// Disable clears the flag and returns the delta.
func (f *EWFlag) Disable() *EWFlag {
	delta := &EWFlag{ctx: contextOf(append([]Dot(nil), f.dots...)...)}
	f.dots = nil
	return delta
}

// Value reports whether the flag is enabled.
func (f *EWFlag) Value() bool { return len(f.dots) > 0 }

// Merge joins o into f and reports whether f changed.
func (f *EWFlag) Merge(o *EWFlag) bool {
	changed := f.joinStore(o, ctxOrEmpty(o.ctx))
	if o.ctx != nil && f.c().Merge(o.ctx) {
		changed = true
	}
	return changed
}

func (f *EWFlag) joinStore(o *EWFlag, oc *Context) bool {
	out, changed := joinDots(f.dots, o.dots, ctxOrEmpty(f.ctx), oc)
	f.dots = out
	return changed
}

// LessEq reports f ≤ o.
func (f *EWFlag) LessEq(o *EWFlag) bool { return !o.Clone().Merge(f) }

// IsBot reports whether f has seen nothing.
func (f *EWFlag) IsBot() bool { return len(f.dots) == 0 && (f.ctx == nil || f.ctx.IsBot()) }

// Clone deep-copies f.
func (f *EWFlag) Clone() *EWFlag { return f.cloneIn(ctxOrEmpty(f.ctx).Clone()) }

func (f *EWFlag) newIn(ctx *Context) *EWFlag { return &EWFlag{ctx: ctx} }
func (f *EWFlag) cloneIn(ctx *Context) *EWFlag {
	return &EWFlag{dots: append([]Dot(nil), f.dots...), ctx: ctx}
}
func (f *EWFlag) storeEmpty() bool { return len(f.dots) == 0 }
func (f *EWFlag) eachDot(fn func(Dot)) {
	for _, d := range f.dots {
		fn(d)
	}
}
func (f *EWFlag) context() *Context { return f.c() }
