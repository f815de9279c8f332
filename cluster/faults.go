package cluster

import (
	"fmt"

	"github.com/rondo-dev/rondo/fault"
)

// Injectable refuses the faults the real runtime cannot inject. It injects
// loss, duplication, reordering (a hold-back) and delay per message in the
// transport; partitions by cutting node pairs in the transport; crashes and
// restarts by stopping a node's goroutine and connections and starting a
// new incarnation on the same storage. It cannot make a node Byzantine.
func Injectable(sp fault.Spec) error {
	if sp.Byzantine > 0 {
		return fmt.Errorf("the real runtime cannot make nodes Byzantine (byzantine=%d); use rondo sim for that", sp.Byzantine)
	}
	return nil
}
