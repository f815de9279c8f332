package transport

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/fault"
)

// Faults injects the per-message faults of a fault.Spec into a transport:
// loss, duplication, reordering (an extra hold-back), delay drawn from a
// range, and partitions switched on and off while the cluster runs. One
// Faults may be shared by every transport of a cluster in one OS process, so
// that a partition cuts both directions at once. It is safe for concurrent
// use; the zero value injects nothing.
type Faults struct {
	mu       sync.Mutex
	rng      *rand.Rand
	drop     float64
	dup      float64
	reorder  float64
	delayMin time.Duration
	delayMax time.Duration
	n        int
	groups   fault.Groups
}

// NewFaults draws message faults of sp for a cluster of n nodes with a
// generator seeded by seed. Crashes, restarts and scheduled partitions are
// not its business: the cluster layer applies those (calling Partition and
// Heal here for the latter).
func NewFaults(sp fault.Spec, n int, seed uint64) *Faults {
	return &Faults{
		rng:      rand.New(rand.NewPCG(seed, 0x7472616e73706f72)),
		drop:     sp.Drop,
		dup:      sp.Dup,
		reorder:  sp.Reorder,
		delayMin: sp.DelayMin,
		delayMax: sp.DelayMax,
		n:        n,
	}
}

// Partition cuts the cluster into groups until Heal.
func (f *Faults) Partition(groups [][]core.NodeID) {
	f.mu.Lock()
	f.groups = fault.NewGroups(f.n, groups)
	f.mu.Unlock()
}

// Heal ends any partition.
func (f *Faults) Heal() {
	f.mu.Lock()
	f.groups = fault.Groups{}
	f.mu.Unlock()
}

// Cut reports whether a partition blocks messages from a to b right now.
func (f *Faults) Cut(a, b core.NodeID) bool {
	if f == nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.groups.Cut(a, b)
}

// fate decides what happens to one message: it returns how many copies to
// send (0 drops it) and each copy's delay.
func (f *Faults) fate(delays *[2]time.Duration) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rng == nil {
		return 1
	}
	if f.drop > 0 && f.rng.Float64() < f.drop {
		return 0
	}
	copies := 1
	if f.dup > 0 && f.rng.Float64() < f.dup {
		copies = 2
	}
	for i := 0; i < copies; i++ {
		d := f.delayMin
		if f.delayMax > f.delayMin {
			d += time.Duration(f.rng.Int64N(int64(f.delayMax - f.delayMin)))
		}
		if f.reorder > 0 && f.rng.Float64() < f.reorder {
			// Held back past the whole delay range, so that messages sent
			// after it can overtake it.
			d += f.delayMax + time.Millisecond + time.Duration(f.rng.Int64N(int64(10*time.Millisecond)))
		}
		delays[i] = d
	}
	return copies
}
