package linearizable

import (
	"context"
	"net/http"
	"sync"

	"github.com/rondo-dev/rondo/kv/client"
	"github.com/rondo-dev/rondo/kv/machine"
)

// memBackend is a one-replica log for tests of the HTTP layer: it applies
// commands to a machine at once, deduplicates (client, seq) like the log,
// and fails on demand (failNext) to show how failures are answered.
type memBackend struct {
	mu       sync.Mutex
	m        *machine.Machine
	seen     map[[2]uint64][]byte
	applied  uint64
	failNext []error // the next calls' errors, applied or not (see lose)
	lose     bool    // a failure in failNext applies the write first (its answer is lost)
	writes   int     // writes applied
	// flaky, if set, decides every write's failure (and whether it is
	// applied first) when failNext is empty.
	flaky func() (fail error, lose bool)
}

func newMemBackend() *memBackend {
	return &memBackend{m: machine.New(), seen: map[[2]uint64][]byte{}}
}

func (b *memBackend) Write(_ context.Context, c, seq uint64, cmd []byte) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var fail error
	lose := b.lose
	if len(b.failNext) > 0 {
		fail, b.failNext = b.failNext[0], b.failNext[1:]
	} else if b.flaky != nil {
		fail, lose = b.flaky()
	}
	if fail != nil && !lose {
		return nil, fail
	}
	if r, ok := b.seen[[2]uint64{c, seq}]; ok && c != 0 {
		return r, fail
	}
	r := b.m.Apply(cmd)
	b.writes++
	b.applied++
	if c != 0 {
		b.seen[[2]uint64{c, seq}] = r
	}
	return r, fail
}

func (b *memBackend) Read(_ context.Context, q []byte) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.failNext) > 0 {
		var fail error
		fail, b.failNext = b.failNext[0], b.failNext[1:]
		return nil, fail
	}
	return b.m.Query(q), nil
}

func (b *memBackend) Status() client.Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	return client.Status{ID: 0, Leader: 0, IsLeader: true, Keys: b.m.Len(), Revision: b.m.Revision(), Applied: b.applied}
}

// testHandler is the HTTP API over a backend, as a replica serves it.
func testHandler(b backend) http.Handler {
	return (&api{b: b, bodies: &budget{max: 64 << 20}}).handler()
}
