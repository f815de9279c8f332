package linearizable

import (
	"sync/atomic"

	"github.com/rondo-dev/rondo/kv/machine"
)

// applied is what the HTTP side may read of a replica's state machine
// without going through the node's goroutine: its size, revision and
// digest after the last command it applied, for /status.
type applied struct {
	keys     atomic.Int64
	revision atomic.Uint64
	digest   atomic.Uint64
}

// observed is the state machine a replica's log runs: the KV machine,
// publishing its figures after every change.
type observed struct {
	*machine.Machine
	to *applied
}

func (o observed) publish() {
	o.to.keys.Store(int64(o.Len()))
	o.to.revision.Store(o.Revision())
	o.to.digest.Store(o.Digest())
}

// Apply applies a command and publishes the new figures.
func (o observed) Apply(cmd []byte) []byte {
	r := o.Machine.Apply(cmd)
	o.publish()
	return r
}

// Restore installs a snapshot and publishes its figures.
func (o observed) Restore(snap []byte) error {
	err := o.Machine.Restore(snap)
	o.publish()
	return err
}
