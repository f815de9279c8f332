package replica

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt"
	"github.com/rondo-dev/rondo/scenario"
)

// Scenarios returns the convergence campaign of every CRDT of package crdt,
// in the order rondo list shows them.
func Scenarios() []scenario.Scenario {
	return []scenario.Scenario{
		Scenario(GCounterKind()),
		Scenario(PNCounterKind()),
		Scenario(LWWKind()),
		Scenario(MVRegisterKind()),
		Scenario(EWFlagKind()),
		Scenario(ORSetKind()),
		Scenario(ORMapKind()),
		Scenario(TextKind()),
	}
}

// wrong is the error of an operation a data type does not support.
func wrong(op any, kind string) error { return fmt.Errorf("%v is not an operation of %s", op, kind) }

// GCounterKind is the grow-only counter's campaign.
func GCounterKind() Kind[*crdt.GCounter] {
	return Kind[*crdt.GCounter]{
		Name:    "crdt-gcounter",
		Summary: "grow-only counter (crdt.GCounter) replicated by delta-interval anti-entropy",
		Config: Config[*crdt.GCounter]{
			Bottom: func(core.NodeID) *crdt.GCounter { return &crdt.GCounter{} },
			Codec:  BinaryCodec(func() *crdt.GCounter { return &crdt.GCounter{} }),
			Apply: func(ctx core.Context, s *crdt.GCounter, op any) (*crdt.GCounter, error) {
				o, ok := op.(Inc)
				if !ok || o.By < 0 {
					return nil, wrong(op, "a grow-only counter")
				}
				return s.Inc(ctx.ID(), uint64(o.By)), nil
			},
			Value: func(s *crdt.GCounter) string { return strconv.FormatUint(s.Value(), 10) },
		},
		Op: func(rng *rand.Rand, _ core.NodeID, _ int) any { return Inc{By: 1 + rng.Int64N(5)} },
	}
}

// PNCounterKind is the up-down counter's campaign.
func PNCounterKind() Kind[*crdt.PNCounter] {
	return Kind[*crdt.PNCounter]{
		Name:    "crdt-pncounter",
		Summary: "increment/decrement counter (crdt.PNCounter) replicated by delta-interval anti-entropy",
		Config: Config[*crdt.PNCounter]{
			Bottom: func(core.NodeID) *crdt.PNCounter { return &crdt.PNCounter{} },
			Codec:  BinaryCodec(func() *crdt.PNCounter { return &crdt.PNCounter{} }),
			Apply: func(ctx core.Context, s *crdt.PNCounter, op any) (*crdt.PNCounter, error) {
				o, ok := op.(Inc)
				if !ok {
					return nil, wrong(op, "a PN-counter")
				}
				return s.Add(ctx.ID(), o.By), nil
			},
			Value: func(s *crdt.PNCounter) string { return strconv.FormatInt(s.Value(), 10) },
		},
		Op: func(rng *rand.Rand, _ core.NodeID, _ int) any { return Inc{By: rng.Int64N(11) - 5} },
	}
}

// LWWKind is the last-writer-wins register's campaign; writes are stamped
// with the replica's clock (virtual time in the simulator).
func LWWKind() Kind[*crdt.LWW[string]] {
	return Kind[*crdt.LWW[string]]{
		Name:    "crdt-lww",
		Summary: "last-writer-wins register (crdt.LWW) replicated by delta-interval anti-entropy",
		Config: Config[*crdt.LWW[string]]{
			Bottom: func(core.NodeID) *crdt.LWW[string] { return &crdt.LWW[string]{} },
			Codec:  BinaryCodec(func() *crdt.LWW[string] { return &crdt.LWW[string]{} }),
			Apply: func(ctx core.Context, s *crdt.LWW[string], op any) (*crdt.LWW[string], error) {
				o, ok := op.(Write)
				if !ok {
					return nil, wrong(op, "an LWW register")
				}
				return s.Set(ctx.ID(), uint64(ctx.Now()), o.V), nil
			},
			Value: func(s *crdt.LWW[string]) string {
				v, ok := s.Get()
				if !ok {
					return "⊥"
				}
				return strconv.Quote(v)
			},
		},
		Op: func(_ *rand.Rand, node core.NodeID, k int) any { return Write{V: fmt.Sprintf("v%d.%d", node, k)} },
	}
}

// MVRegisterKind is the multi-value register's campaign.
func MVRegisterKind() Kind[*crdt.MVRegister[string]] {
	return Kind[*crdt.MVRegister[string]]{
		Name:    "crdt-mvreg",
		Summary: "multi-value register (crdt.MVRegister) replicated by delta-interval anti-entropy",
		Config: Config[*crdt.MVRegister[string]]{
			Bottom: func(core.NodeID) *crdt.MVRegister[string] { return &crdt.MVRegister[string]{} },
			Codec:  BinaryCodec(func() *crdt.MVRegister[string] { return &crdt.MVRegister[string]{} }),
			Apply: func(ctx core.Context, s *crdt.MVRegister[string], op any) (*crdt.MVRegister[string], error) {
				o, ok := op.(Write)
				if !ok {
					return nil, wrong(op, "a multi-value register")
				}
				return s.Write(ctx.ID(), o.V), nil
			},
			Value: func(s *crdt.MVRegister[string]) string {
				vs := s.Values()
				slices.Sort(vs)
				return "{" + strings.Join(vs, ",") + "}"
			},
		},
		Op: func(_ *rand.Rand, node core.NodeID, k int) any { return Write{V: fmt.Sprintf("v%d.%d", node, k)} },
	}
}

// EWFlagKind is the enable-wins flag's campaign.
func EWFlagKind() Kind[*crdt.EWFlag] {
	return Kind[*crdt.EWFlag]{
		Name:    "crdt-ewflag",
		Summary: "enable-wins flag (crdt.EWFlag) replicated by delta-interval anti-entropy",
		Config: Config[*crdt.EWFlag]{
			Bottom: func(core.NodeID) *crdt.EWFlag { return &crdt.EWFlag{} },
			Codec:  BinaryCodec(func() *crdt.EWFlag { return &crdt.EWFlag{} }),
			Apply: func(ctx core.Context, s *crdt.EWFlag, op any) (*crdt.EWFlag, error) {
				o, ok := op.(Flag)
				if !ok {
					return nil, wrong(op, "an enable-wins flag")
				}
				if o.On {
					return s.Enable(ctx.ID()), nil
				}
				return s.Disable(), nil
			},
			Value: func(s *crdt.EWFlag) string { return strconv.FormatBool(s.Value()) },
		},
		Op: func(rng *rand.Rand, _ core.NodeID, _ int) any { return Flag{On: rng.IntN(2) == 0} },
	}
}

// setOp draws a set operation: node adds its own fresh elements (each
// element is added exactly once in the whole run, so a remove that took
// effect must stick: nothing concurrent can re-add it) and removes any
// element of a small universe, which it may or may not have seen.
func setOp(rng *rand.Rand, node core.NodeID, k int, key string) any {
	if k > 0 && rng.IntN(3) == 0 {
		return Remove{Key: key, X: fmt.Sprintf("x%d.%d", rng.IntN(4), rng.IntN(k))}
	}
	return Add{Key: key, X: fmt.Sprintf("x%d.%d", node, k)}
}

// ORSetKind is the add-wins set's campaign. Beyond convergence it checks
// that no element removed by an operation that took effect is back in the
// converged set (a resurrection).
func ORSetKind() Kind[*crdt.AWSet[string]] {
	return Kind[*crdt.AWSet[string]]{
		Name:    "crdt-orset",
		Summary: "add-wins observed-remove set (crdt.AWSet) replicated by delta-interval anti-entropy",
		Config: Config[*crdt.AWSet[string]]{
			Bottom: func(core.NodeID) *crdt.AWSet[string] { return &crdt.AWSet[string]{} },
			Codec:  BinaryCodec(func() *crdt.AWSet[string] { return &crdt.AWSet[string]{} }),
			Apply: func(ctx core.Context, s *crdt.AWSet[string], op any) (*crdt.AWSet[string], error) {
				switch o := op.(type) {
				case Add:
					return s.Add(ctx.ID(), o.X), nil
				case Remove:
					return s.Remove(o.X), nil
				}
				return nil, wrong(op, "an add-wins set")
			},
			Value: func(s *crdt.AWSet[string]) string { return sortedSet(s.Elements()) },
		},
		Op:         func(rng *rand.Rand, node core.NodeID, k int) any { return setOp(rng, node, k, "") },
		OpsPerNode: 10,
		Semantics: func(h *scenario.History, final *crdt.AWSet[string]) []scenario.Violation {
			return noResurrection(h, final.Contains)
		},
	}
}

// noResurrection checks that every element whose remove took effect at a
// correct replica is absent, given that the workload adds each element
// once. (A replica that crashed for good may take its last removes with
// it, as it may its last adds.)
func noResurrection(h *scenario.History, contains func(string) bool) []scenario.Violation {
	var vs []scenario.Violation
	for _, o := range h.Observations {
		a, ok := o.Value.(Applied)
		if !o.Output || !ok || a.Noop || a.Error != "" || !h.Correct(o.Node) {
			continue
		}
		if r, ok := a.Op.(Remove); ok && r.X != "" && contains(r.X) {
			vs = append(vs, scenario.Violation{Property: "semantics",
				Detail: fmt.Sprintf("%s removed by node %d at %v is back in the converged set, though nothing re-added it", r.X, o.Node, o.At)})
		}
	}
	return vs
}

func sortedSet(elems func(func(string) bool)) string {
	xs := slices.Sorted(elems)
	return "{" + strings.Join(xs, ",") + "}"
}

// ORMapKind is the observed-remove map's campaign: a map from a few keys to
// add-wins sets, with adds and removes inside the sets and removals of
// whole keys.
func ORMapKind() Kind[*crdt.ORMap[string, *crdt.AWSet[string]]] {
	type M = crdt.ORMap[string, *crdt.AWSet[string]]
	return Kind[*M]{
		Name:    "crdt-ormap",
		Summary: "observed-remove map of add-wins sets (crdt.ORMap) replicated by delta-interval anti-entropy",
		Config: Config[*M]{
			Bottom: func(core.NodeID) *M { return &M{} },
			Codec:  BinaryCodec(func() *M { return &M{} }),
			Apply: func(ctx core.Context, m *M, op any) (*M, error) {
				switch o := op.(type) {
				case Add:
					return m.Update(o.Key, func(s *crdt.AWSet[string]) *crdt.AWSet[string] { return s.Add(ctx.ID(), o.X) }), nil
				case Remove:
					if o.X == "" {
						return m.Remove(o.Key), nil
					}
					return m.Update(o.Key, func(s *crdt.AWSet[string]) *crdt.AWSet[string] { return s.Remove(o.X) }), nil
				}
				return nil, wrong(op, "an OR-map")
			},
			Value: func(m *M) string {
				keys := slices.Sorted(m.Keys())
				parts := make([]string, len(keys))
				for i, k := range keys {
					parts[i] = k + ":" + sortedSet(m.Get(k).Elements())
				}
				return "{" + strings.Join(parts, " ") + "}"
			},
		},
		Op: func(rng *rand.Rand, node core.NodeID, k int) any {
			key := fmt.Sprintf("k%d", rng.IntN(3))
			if k > 0 && rng.IntN(8) == 0 {
				return Remove{Key: key}
			}
			return setOp(rng, node, k, key)
		},
		OpsPerNode: 10,
	}
}
