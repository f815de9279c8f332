package fault

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// Plan is a spec made concrete for one run: every crash, restart, partition
// and heal at its time, random ones drawn from the run's seed. It is stored in
// traces, so a run's faults can be read without re-deriving them.
type Plan struct {
	Actions []Action
	// Byzantine lists the nodes that behave arbitrarily, if the spec has any.
	Byzantine []core.NodeID
}

// Plan expands the spec for n nodes with rng. The same spec, n and rng state
// always give the same plan.
func (sp Spec) Plan(n int, rng *rand.Rand) Plan {
	var p Plan
	p.Actions = append(p.Actions, sp.Schedule...)
	w := sp.RandomWindow()
	perm := rng.Perm(n)
	next := 0
	take := func() core.NodeID { id := core.NodeID(perm[next]); next++; return id }

	for i := 0; i < sp.Byzantine && next < n; i++ {
		p.Byzantine = append(p.Byzantine, take())
	}
	slices.Sort(p.Byzantine)
	for i := 0; i < sp.CrashStop && next < n; i++ {
		p.Actions = append(p.Actions, Action{At: uniform(rng, 0, w), Kind: Crash, Node: take()})
	}
	if sp.Crashes > 0 {
		var pool []core.NodeID // nodes eligible for crash-and-restart
		for _, i := range perm[next:] {
			pool = append(pool, core.NodeID(i))
		}
		slices.Sort(pool)
		p.Actions = append(p.Actions, crashRestart(sp.Crashes, pool, w, rng)...)
	}
	if sp.Partitions > 0 {
		p.Actions = append(p.Actions, partitions(sp.Partitions, n, w, rng)...)
	}
	slices.SortStableFunc(p.Actions, func(a, b Action) int {
		switch {
		case a.At < b.At:
			return -1
		case a.At > b.At:
			return 1
		}
		return 0
	})
	return p
}

func uniform(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(rng.Int64N(int64(hi-lo)))
}

// crashRestart draws crash-and-restart episodes in [0,w) that keep at most k
// nodes of pool down at once; every node is back up by w.
func crashRestart(k int, pool []core.NodeID, w time.Duration, rng *rand.Rand) []Action {
	if len(pool) == 0 {
		return nil
	}
	type down struct {
		id    core.NodeID
		until time.Duration
	}
	var out []Action
	var downs []down
	isDown := func(id core.NodeID) bool {
		return slices.ContainsFunc(downs, func(d down) bool { return d.id == id })
	}
	t := time.Duration(0)
	for {
		t += uniform(rng, w/10, w/4)
		if t >= w {
			break
		}
		// Bring back whoever's downtime ended before t.
		kept := downs[:0]
		for _, d := range downs {
			if d.until <= t {
				out = append(out, Action{At: d.until, Kind: Restart, Node: d.id})
			} else {
				kept = append(kept, d)
			}
		}
		downs = kept
		if len(downs) >= k {
			continue
		}
		var up []core.NodeID
		for _, id := range pool {
			if !isDown(id) {
				up = append(up, id)
			}
		}
		if len(up) == 0 {
			continue
		}
		id := up[rng.IntN(len(up))]
		until := min(t+uniform(rng, w/20, w/5), w)
		out = append(out, Action{At: t, Kind: Crash, Node: id})
		downs = append(downs, down{id, until})
	}
	for _, d := range downs {
		out = append(out, Action{At: d.until, Kind: Restart, Node: d.id})
	}
	return out
}

// partitions draws k partition episodes, one per slice of the window, each
// splitting the cluster in two at random and healed within its slice.
func partitions(k, n int, w time.Duration, rng *rand.Rand) []Action {
	var out []Action
	slot := w / time.Duration(k)
	for i := 0; i < k; i++ {
		start := time.Duration(i) * slot
		at := start + uniform(rng, 0, slot/2)
		end := at + uniform(rng, slot/10, start+slot-at)
		perm := rng.Perm(n)
		cut := 1 + rng.IntN(n-1)
		a := make([]core.NodeID, 0, cut)
		b := make([]core.NodeID, 0, n-cut)
		for j, id := range perm {
			if j < cut {
				a = append(a, core.NodeID(id))
			} else {
				b = append(b, core.NodeID(id))
			}
		}
		slices.Sort(a)
		slices.Sort(b)
		if b[0] < a[0] {
			a, b = b, a
		}
		out = append(out,
			Action{At: at, Kind: Partition, Groups: [][]core.NodeID{a, b}},
			Action{At: end, Kind: Heal})
	}
	return out
}

// Groups is a partition in effect: which side each node is on.
type Groups struct {
	side []int // side[id]; nil means no partition
}

// NewGroups builds the side table for n nodes; nodes named in no group share
// one extra side.
func NewGroups(n int, groups [][]core.NodeID) Groups {
	side := make([]int, n)
	for i := range side {
		side[i] = len(groups)
	}
	for gi, g := range groups {
		for _, id := range g {
			if int(id) < n {
				side[id] = gi
			}
		}
	}
	return Groups{side: side}
}

// Cut reports whether a message from a to b is blocked.
func (g Groups) Cut(a, b core.NodeID) bool {
	if g.side == nil || int(a) >= len(g.side) || int(b) >= len(g.side) {
		return false
	}
	return g.side[a] != g.side[b]
}

// Active reports whether a partition is in effect.
func (g Groups) Active() bool { return g.side != nil }
