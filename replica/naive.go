package replica

import (
	"math/rand/v2"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt/mutants"
	"github.com/rondo-dev/rondo/scenario"
)

// NaiveORSetKind is the campaign of mutants.NaiveORSet, an observed-remove
// set without causal context, kept to show that the campaign catches it:
// replicas that merge the same adds and removes in different orders end
// apart, or with a removed element back. It is not in Scenarios.
func NaiveORSetKind() Kind[*mutants.NaiveORSet[string]] {
	type S = mutants.NaiveORSet[string]
	return Kind[*S]{
		Name:    "crdt-orset-naive",
		Summary: "DELIBERATELY BROKEN: an OR-set without causal context (mutants.NaiveORSet)",
		Config: Config[*S]{
			Bottom: func(core.NodeID) *S { return &S{} },
			Codec:  JSONCodec(func() *S { return &S{} }),
			Apply: func(ctx core.Context, s *S, op any) (*S, error) {
				switch o := op.(type) {
				case Add:
					return s.Add(o.X), nil
				case Remove:
					if !s.Contains(o.X) {
						return nil, nil // like AWSet: removing what was not observed does nothing
					}
					return s.Remove(o.X), nil
				}
				return nil, wrong(op, "a naive OR-set")
			},
			Value: func(s *S) string {
				return sortedSet(func(yield func(string) bool) {
					for x, p := range s.Present {
						if p && !yield(x) {
							return
						}
					}
				})
			},
		},
		Op:         func(rng *rand.Rand, node core.NodeID, k int) any { return setOp(rng, node, k, "") },
		OpsPerNode: 10,
		Semantics: func(h *scenario.History, final *S) []scenario.Violation {
			return noResurrection(h, final.Contains)
		},
	}
}
