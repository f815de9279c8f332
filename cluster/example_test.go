package cluster_test

import (
	"context"
	"fmt"

	"github.com/rondo-dev/rondo/broadcast"
	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/fault"
)

// Run eager reliable broadcast on four nodes over loopback TLS, losing a
// tenth of the messages, and check its properties on what the nodes output.
func ExampleRunLocal() {
	sp, _ := fault.Parse("drop=0.1")
	sc := broadcast.Scenario()
	res, err := cluster.RunLocal(context.Background(), cluster.LocalConfig{Scenario: sc, N: 4, Faults: sp, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("finished:", res.Finished)
	fmt.Println("violations:", len(sc.Check(res.History)))
	// Output:
	// finished: true
	// violations: 0
}
