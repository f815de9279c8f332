package replica_test

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt"
	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/replica"
	"github.com/rondo-dev/rondo/scenario"
	"github.com/rondo-dev/rondo/sim"
)

// Three replicas of a grow-only counter, each incremented once, over a
// network that loses a third of all messages: anti-entropy resends until
// every replica has acknowledged everything, and they all count 6.
func Example() {
	cfg := replica.Config[*crdt.GCounter]{
		Bottom: func(core.NodeID) *crdt.GCounter { return &crdt.GCounter{} },
		Codec:  replica.BinaryCodec(func() *crdt.GCounter { return &crdt.GCounter{} }),
		// The δ-mutator: increment this replica's entry, return the delta.
		Apply: func(ctx core.Context, c *crdt.GCounter, op any) (*crdt.GCounter, error) {
			return c.Inc(ctx.ID(), op.(uint64)), nil
		},
		Value: func(c *crdt.GCounter) string { return strconv.FormatUint(c.Value(), 10) },
	}
	codec := &core.Registry{}
	replica.Register(codec)
	res, err := sim.Run(context.Background(), sim.Config{
		N: 3, Seed: 1, Faults: fault.Spec{Drop: 0.33}, Codec: codec,
		New: func(core.NodeID, int) core.Process { return replica.New(cfg) },
		Inputs: []scenario.Input{
			{At: 0, Node: 0, Body: uint64(1)},
			{At: 10 * time.Millisecond, Node: 1, Body: uint64(2)},
			{At: 20 * time.Millisecond, Node: 2, Body: uint64(3)},
		},
	})
	if err != nil {
		panic(err)
	}
	final := map[core.NodeID]string{}
	for _, o := range res.History.Observations {
		if s, ok := o.Value.(replica.Snapshot); ok {
			final[o.Node] = s.Value
		}
	}
	fmt.Println("replicas count", final[0], final[1], final[2], "and the run fell quiet:", res.Quiescent)
	// Output: replicas count 6 6 6 and the run fell quiet: true
}
