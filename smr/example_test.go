package smr_test

import (
	"context"
	"fmt"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/scenario"
	"github.com/rondo-dev/rondo/sim"
	"github.com/rondo-dev/rondo/smr"
	"github.com/rondo-dev/rondo/smr/simkv"
)

// Three replicas of a log under a key-value state machine, in the
// simulator: a client's command goes to replica 0, the same command (a
// retry: same client and seq) to replica 1, and a read to replica 2. The
// command is applied once, and the read, which takes its index from a
// majority, sees it.
func Example() {
	cfg := smr.Config{New: simkv.New}
	put := smr.Submit{Client: 7, Seq: 1, Cmd: simkv.Put("colour", "blue")}
	reg := &core.Registry{}
	smr.Register(reg)
	res, err := sim.Run(context.Background(), sim.Config{
		Name: "smr-example", N: 3, Seed: 1, Codec: reg,
		New: func(core.NodeID, int) core.Process { return smr.New(cfg) },
		Inputs: []scenario.Input{
			{At: 10 * time.Millisecond, Node: 0, Body: put},
			{At: 20 * time.Millisecond, Node: 1, Body: put},
			{At: 500 * time.Millisecond, Node: 2, Body: smr.Read{ID: 1, Query: simkv.Get("colour")}},
		},
	})
	if err != nil {
		panic(err)
	}
	for _, ob := range res.History.Observations {
		switch v := ob.Value.(type) {
		case smr.Applied:
			fmt.Printf("n%d: client %d's command %d applied at index %d\n", ob.Node, v.Client, v.Seq, v.Index)
		case smr.ReadDone:
			got, found := simkv.Found(v.Result)
			fmt.Printf("n%d: read colour = %q (found %v)\n", ob.Node, got, found)
		}
	}
	// Output:
	// n0: client 7's command 1 applied at index 1
	// n1: client 7's command 1 applied at index 1
	// n2: read colour = "blue" (found true)
}
