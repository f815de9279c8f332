package check

import (
	"context"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// explorer drives one exploration: breadth-first by round, one layer of
// stored global states per round, each state checked by the judge as it is
// first stored; it stops after the round in which a first violation was
// found (so that every property violated at that depth is reported), at a
// bound, or when its context is canceled.
type explorer[S comparable, M comparable] struct {
	alg   *rounds.Algorithm[S, M]
	opt   Options
	ctx   context.Context
	n, w  int // processes; words per stored state (n ids + window position)
	vals  []rounds.Value
	sym   bool
	model rounds.Model
	k     uint32 // liveness window length (0: none)

	in     interner[S, M]
	succ   *successors[S, M]
	judge  judge[S, M]
	layers []*layer

	batch batch

	stored, transitions uint64
	windowStates        uint64 // stored states with a window position
	windowIdx           []int  // their indices in the layer being built
	configs             uint64 // distinct (round, configuration) pairs
	explored            int    // rounds explored in full
	stopped             string
	doneBytes           uint64 // memory of the completed layers
	peakBytes           uint64
	started, lastReport time.Time
}

func newExplorer[S comparable, M comparable](ctx context.Context, alg *rounds.Algorithm[S, M], opt Options) *explorer[S, M] {
	n := opt.N
	e := &explorer[S, M]{
		alg: alg, opt: opt, ctx: ctx, n: n, w: n + 1,
		sym: alg.Spec.Symmetric && !opt.NoSymmetry,
		in:  newInterner[S, M](),
	}
	for v := range opt.Values {
		e.vals = append(e.vals, rounds.Value(v))
	}
	f := 0
	switch {
	case opt.Crash > 0:
		e.model, f = rounds.Crash, opt.Crash
	case opt.Byzantine > 0:
		e.model, f = rounds.Byzantine, opt.Byzantine
	default:
		e.model = rounds.Benign
		if alg.Spec.MaxFaults != nil {
			f = alg.Spec.MaxFaults(n)
		}
	}
	var window []rounds.HOFilter
	if !opt.NoLiveness && alg.Spec.Liveness.Window != nil {
		window = alg.Spec.Liveness.Window(n, f)
	}
	e.k = uint32(len(window))
	e.succ = newSuccessors(alg, &e.in, n, e.model, f, e.vals, window, opt.Rounds)
	e.succ.store = e
	e.judge = newJudge(alg, &e.in, n, e.vals, window)
	return e
}

// checkEvery is how many stored states are expanded between two looks at
// the context, the bounds and the clock.
const checkEvery = 1 << 8

func (e *explorer[S, M]) run() {
	e.started = time.Now()
	e.lastReport = e.started
	e.initial()
	for r := 0; r < e.opt.Rounds && len(e.judge.found) == 0 && e.stopped == ""; r++ {
		cur := e.layers[r]
		next := newLayer(e.w, cur.count)
		e.layers = append(e.layers, next)
		e.succ.startRound(r)
		for i := 0; i < cur.count; i++ {
			st := cur.state(i)
			if e.k > 0 && st[e.n] == e.k {
				continue // a finished liveness window is not extended
			}
			e.succ.expand(st[:e.n], st[e.n], uint32(i))
			if i%checkEvery == 0 && e.interrupted(r) {
				break
			}
		}
		e.flushBatch()
		e.countConfigs(next)
		e.memory() // the peak is at the end of a round, the table still there
		next.done()
		e.doneBytes += next.bytes()
		if e.stopped == "" {
			e.explored = r + 1
		}
		e.report(r, true)
	}
	e.succ.finish()
}

// interrupted looks at the context and the bounds (setting e.stopped) and
// reports progress when it is due.
func (e *explorer[S, M]) interrupted(round int) bool {
	select {
	case <-e.ctx.Done():
		e.stopped = StoppedCanceled
		return true
	default:
	}
	if e.opt.MaxStates > 0 && e.stored > e.opt.MaxStates {
		e.stopped = StoppedMaxStates
		return true
	}
	if e.opt.MaxMemory > 0 && e.memory() > e.opt.MaxMemory {
		e.stopped = StoppedMaxMemory
		return true
	}
	e.report(round, false)
	return false
}

// memory is what the explorer holds now (and records the peak).
func (e *explorer[S, M]) memory() uint64 {
	b := e.in.bytes() + e.succ.bytes() + e.batch.bytes() + e.doneBytes
	if l := e.layers[len(e.layers)-1]; l.table != nil {
		b += l.bytes() // the layer being built
	}
	e.peakBytes = max(e.peakBytes, b)
	return b
}

// report hands the caller's Progress callback where the exploration is,
// after each round (force) and about once a second.
func (e *explorer[S, M]) report(round int, force bool) {
	if e.opt.Progress == nil {
		return
	}
	now := time.Now()
	if !force && now.Sub(e.lastReport) < time.Second {
		return
	}
	e.lastReport = now
	e.opt.Progress(Progress{Round: round + 1, Rounds: e.opt.Rounds, States: e.stored,
		Transitions: e.transitions, MemoryBytes: e.memory(), Elapsed: now.Sub(e.started)})
}

// initial builds layer 0: every input vector over the domain, and for the
// Byzantine model every choice of f Byzantine processes (only the last f
// under symmetry).
func (e *explorer[S, M]) initial() {
	n := e.n
	l0 := newLayer(e.w, 1024)
	e.layers = append(e.layers, l0)
	f := e.opt.Byzantine
	var faultySets []rounds.Set
	if e.model == rounds.Byzantine {
		if e.sym {
			faultySets = []rounds.Set{rounds.All(n) &^ rounds.All(n-f)}
		} else {
			for s := rounds.Set(0); s <= rounds.All(n); s++ {
				if s.Len() == f {
					faultySets = append(faultySets, s)
				}
			}
		}
	} else {
		faultySets = []rounds.Set{0}
	}
	V := len(e.vals)
	inputs := make([]int, n)
	next := make([]uint32, n)
	for _, faulty := range faultySets {
		clear(inputs)
		for {
			skip := false
			for p := range n {
				if faulty.Has(core.NodeID(p)) && inputs[p] != 0 {
					skip = true // a Byzantine process's input is irrelevant
				}
			}
			if !skip {
				for p := range n {
					var l local[S]
					if faulty.Has(core.NodeID(p)) {
						l.F = flagByzantine
					} else {
						l.In = e.vals[inputs[p]]
						l.S = e.alg.Init(core.NodeID(p), n, l.In)
					}
					next[p] = e.in.local(l)
				}
				e.emit(next, 0, ^uint32(0), true)
			}
			p := n - 1
			for ; p >= 0; p-- {
				inputs[p]++
				if inputs[p] < V {
					break
				}
				inputs[p] = 0
			}
			if p < 0 {
				break
			}
		}
	}
	e.flushBatch()
	e.countConfigs(l0)
	l0.done()
	e.doneBytes += l0.bytes()
	e.transitions = 0
}

// emit files a successor (next, at window position pos, from parent;
// changed: some status or fault flag changed) into the layer being built.
// Successors are inserted in batches: hashing a batch and touching its
// table slots first lets the processor overlap the cache misses that
// dominate insertion (memory-level parallelism). The canonical key is built
// in place in the batch. (Once per transition: the batch is filled here,
// not through a call.)
func (e *explorer[S, M]) emit(next []uint32, pos, parent uint32, changed bool) {
	e.transitions++
	b := &e.batch
	start := len(b.keys)
	b.keys = append(append(b.keys, next...), pos)
	key := b.keys[start:]
	if e.sym {
		sortIDs(key[:e.n])
	}
	b.hash = append(b.hash, hashKey(key))
	b.parent = append(b.parent, parent)
	b.changed = append(b.changed, changed)
	if len(b.hash) == batchSize {
		e.flushBatch()
	}
}

// flushBatch inserts the batched successors into the layer being built;
// the judge checks each one stored for the first time.
func (e *explorer[S, M]) flushBatch() {
	b := &e.batch
	l := e.layers[len(e.layers)-1]
	layer := len(e.layers) - 1
	b.touch(l)
	w := e.w
	for i, h := range b.hash {
		key := b.keys[i*w : (i+1)*w]
		idx, isNew := l.insertHashed(key, h, b.parent[i])
		if !isNew {
			continue
		}
		e.stored++
		pos := key[e.n]
		if pos != 0 {
			e.windowStates++
			e.windowIdx = append(e.windowIdx, idx)
		}
		e.judge.state(key[:e.n], layer, idx, pos, b.changed[i])
	}
	b.reset()
}

// countConfigs counts the distinct configurations of a complete layer: a
// state stored at window position pos > 0 (listed in windowIdx) is a
// configuration of its own unless the same configuration is stored at a
// smaller position.
func (e *explorer[S, M]) countConfigs(l *layer) {
	e.configs += uint64(l.count - len(e.windowIdx))
	key := make([]uint32, e.w)
	for _, i := range e.windowIdx {
		copy(key, l.state(i))
		seen := false
		for p := range key[e.n] {
			key[e.n] = p
			if seen = l.has(key); seen {
				break
			}
		}
		if !seen {
			e.configs++
		}
	}
	e.windowIdx = e.windowIdx[:0]
}

func (e *explorer[S, M]) result(d time.Duration) *Result {
	s := d.Seconds()
	r := &Result{
		Algorithm: e.alg.Name, N: e.n, Rounds: e.opt.Rounds, RoundsExplored: e.explored,
		Values: len(e.vals), Model: e.model.String(), Faults: faultString(e.opt), Symmetry: e.sym,
		States: e.configs, LivenessStates: e.windowStates, Transitions: e.transitions,
		LocalStates: len(e.in.locals), Windows: e.judge.windows, Violations: e.judge.count,
		Violated: []string{}, Stopped: e.stopped, Seconds: s, MaxRSSBytes: maxRSS(),
		StoreBytes: e.peakBytes,
	}
	switch {
	case len(e.judge.found) > 0:
		r.Verdict = Violated
	case e.stopped != "":
		r.Verdict = Inconclusive
	default:
		r.Verdict, r.Complete = Held, true
	}
	if s > 0 {
		r.StatesPerSec = float64(e.stored) / s
		r.TransitionsPerSec = float64(e.transitions) / s
	}
	for _, v := range e.judge.found {
		r.Violated = append(r.Violated, v.property)
		r.Counterexamples = append(r.Counterexamples, e.counterexample(v))
	}
	if len(r.Counterexamples) > 0 {
		r.Counterexample = r.Counterexamples[0]
	}
	return r
}
