package check

import (
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

type flags uint8

const (
	flagCrashed flags = 1 << iota
	flagByzantine
)

// local is an interned local state: the algorithm's state plus what the
// model owns (status, input, fault flags). Carrying input and flags inside
// it is what makes a sorted vector of locals a faithful symmetric
// representative.
type local[S comparable] struct {
	S  S
	St rounds.Status
	In rounds.Value
	F  flags
}

// option is one possible next local state of a process in one step, with
// the HO set and mailbox (offset into explorer.mbStore) that produce it.
type option struct {
	next uint32
	h    rounds.Set
	mb   int32 // -1: no mailbox (the process did not update)
	// keep: the step leaves the process's status and fault flags as they
	// were, so status-only properties need no re-check.
	keep bool
}

type memoKey struct {
	q, l uint32
	m    [MaxN]uint32
}

type violation struct {
	layer, index int
	property     string
	reason       string
	liveness     bool
}

type explorer[S comparable, M comparable] struct {
	alg    *rounds.Algorithm[S, M]
	spec   *rounds.Spec[S, M]
	opt    Options
	n, w   int
	vals   []rounds.Value
	sym    bool
	model  rounds.Model
	f      int
	window []rounds.HOFilter

	locals   []local[S]
	localIdx map[local[S]]uint32
	msgs     []M // msgs[0] unused: id 0 means "no message"
	msgIdx   map[M]uint32

	layers []*layer
	round  int // round being expanded

	// per-round caches
	memo  map[memoKey][2]uint32 // span of next states in nexts
	nexts []uint32
	// sendOff[l*n+p]: 1 + offset in sendStore of what p in local state l sends
	sendOff   []int32
	sendStore []uint32

	// per-state scratch
	sent    []uint32   // sent[p*n+q]: message id p sends q (0: none)
	forged  [][]uint32 // forged[b]: message ids Byzantine b may send
	opts    [][]option
	fixed   []option // the single option of a process that does not update
	mbStore []uint32
	seenT   []uint32 // stamp per subset of senders
	stamp   uint32
	jointH  [][]rounds.Set
	jointO  [][][]option
	hIndex  []int32 // hIndex[q<<n|h]: 1 + index of h in jointH[q]
	idx     []int
	key     []uint32
	next    []uint32
	mbox    rounds.Mailbox[M]
	outbox  *rounds.Outbox[M]
	global  rounds.Global[S]
	crashC  rounds.Set // processes crashing in the step being generated
	cands   []rounds.Set
	// per-round cache of each process's options, in arena
	optsCache *layer  // key: q, l, c, pos, messages to q; parent: arena start
	optsEnd   []int32 // arena end, by optsCache index
	okey      []uint32
	lastKey   []uint32 // per process: the last optsCache key looked up
	lastIdx   []int32  // and its index (-1: none)
	arena     []option

	batchKeys, batchHash, batchParent []uint32
	batchChanged                      []bool
	sink                              uint64

	states, transitions, windows uint64
	violations                   int
	first                        *violation
	peak                         uint64
	lastProgress                 time.Time
	started                      time.Time

	// reconstruction: when target is set, emit looks for it instead of
	// inserting.
	target   []uint32
	found    bool
	foundVec []uint32
	foundHO  []rounds.Set
	foundMB  [][]uint32
	foundC   rounds.Set
}

func newExplorer[S comparable, M comparable](alg *rounds.Algorithm[S, M], opt Options) *explorer[S, M] {
	n := opt.N
	e := &explorer[S, M]{
		alg: alg, spec: &alg.Spec, opt: opt, n: n, w: n + 1,
		sym:      alg.Spec.Symmetric && !opt.NoSymmetry,
		localIdx: make(map[local[S]]uint32),
		msgs:     make([]M, 1),
		msgIdx:   make(map[M]uint32),
		sent:     make([]uint32, n*n),
		forged:   make([][]uint32, n),
		opts:     make([][]option, n),
		fixed:    make([]option, n),
		seenT:    make([]uint32, 1<<n),
		idx:      make([]int, n),
		key:      make([]uint32, n+1),
		next:     make([]uint32, n),
		mbox:     rounds.NewMailbox[M](n),
		outbox:   rounds.NewOutbox[M](n),
	}
	for v := range opt.Values {
		e.vals = append(e.vals, rounds.Value(v))
	}
	switch {
	case opt.Crash > 0:
		e.model, e.f = rounds.Crash, opt.Crash
	case opt.Byzantine > 0:
		e.model, e.f = rounds.Byzantine, opt.Byzantine
	default:
		e.model = rounds.Benign
		if alg.Spec.MaxFaults != nil {
			e.f = alg.Spec.MaxFaults(n)
		}
	}
	if !opt.NoLiveness && alg.Spec.Liveness.Window != nil {
		e.window = alg.Spec.Liveness.Window(n, e.f)
	}
	e.global = rounds.Global[S]{N: n, Values: e.vals, States: make([]S, n),
		Status: make([]rounds.Status, n), Inputs: make([]rounds.Value, n)}
	return e
}

func (e *explorer[S, M]) intern(l local[S]) uint32 {
	if id, ok := e.localIdx[l]; ok {
		return id
	}
	id := uint32(len(e.locals))
	e.locals = append(e.locals, l)
	e.localIdx[l] = id
	return id
}

func (e *explorer[S, M]) internMsg(m M) uint32 {
	if id, ok := e.msgIdx[m]; ok {
		return id
	}
	id := uint32(len(e.msgs))
	e.msgs = append(e.msgs, m)
	e.msgIdx[m] = id
	return id
}

func (e *explorer[S, M]) run() error {
	e.started = time.Now()
	e.lastProgress = e.started
	if err := e.initial(); err != nil {
		return err
	}
	k := uint32(len(e.window))
	for r := 0; r < e.opt.Rounds && e.violations == 0; r++ {
		e.round = r
		cur := e.layers[r]
		next := newLayer(e.w, cur.count)
		e.layers = append(e.layers, next)
		e.resetRound()
		for i := 0; i < cur.count; i++ {
			st := cur.state(i)
			if k > 0 && st[e.n] == k {
				continue // a finished liveness window is not extended
			}
			e.expand(st[:e.n], st[e.n], uint32(i))
			if e.opt.MaxStates > 0 && e.states > uint64(e.opt.MaxStates) {
				return fmt.Errorf("check: more than %d states; raise --max-states or lower n/rounds", e.opt.MaxStates)
			}
			if i&0xfff == 0 && e.opt.Progress != nil {
				e.progress(false)
			}
		}
		e.flush()
		next.done()
		e.sample()
		e.progress(true)
	}
	e.nexts = nil
	e.memo, e.sendOff, e.sendStore, e.optsCache, e.optsEnd, e.arena, e.mbStore = nil, nil, nil, nil, nil, nil, nil
	if e.opt.Progress != nil {
		fmt.Fprint(e.opt.Progress, "\r\033[K")
	}
	return nil
}

// resetRound empties the caches that depend on the round number.
func (e *explorer[S, M]) resetRound() {
	e.memo = make(map[memoKey][2]uint32)
	e.nexts = e.nexts[:0]
	clear(e.sendOff)
	e.sendStore = e.sendStore[:0]
	e.optsCache = newLayer(e.n+4, 1024)
	e.optsEnd = e.optsEnd[:0]
	if e.okey == nil {
		e.okey = make([]uint32, e.n+4)
		e.lastKey = make([]uint32, e.n*(e.n+4))
		e.lastIdx = make([]int32, e.n)
	}
	for q := range e.lastIdx {
		e.lastIdx[q] = -1
	}
	e.arena = e.arena[:0]
	e.mbStore = e.mbStore[:0]
}

func (e *explorer[S, M]) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapInuse > e.peak {
		e.peak = ms.HeapInuse
	}
}

func (e *explorer[S, M]) progress(force bool) {
	if e.opt.Progress == nil {
		return
	}
	now := time.Now()
	if !force && now.Sub(e.lastProgress) < time.Second {
		return
	}
	e.lastProgress = now
	s := now.Sub(e.started).Seconds()
	fmt.Fprintf(e.opt.Progress, "\r\033[Kround %d/%d  %d states  %d transitions  %.1fs  %.0f states/s",
		e.round+1, e.opt.Rounds, e.states, e.transitions, s, float64(e.states)/max(s, 1e-9))
}

// initial builds layer 0: every input vector over the domain, and for the
// Byzantine model every choice of f Byzantine processes (only the last f
// under symmetry).
func (e *explorer[S, M]) initial() error {
	n := e.n
	l0 := newLayer(e.w, 1024)
	e.layers = append(e.layers, l0)
	var faultySets []rounds.Set
	if e.model == rounds.Byzantine {
		if e.sym {
			faultySets = []rounds.Set{rounds.All(n) &^ rounds.All(n-e.f)}
		} else {
			for s := rounds.Set(0); s <= rounds.All(n); s++ {
				if s.Len() == e.f {
					faultySets = append(faultySets, s)
				}
			}
		}
	} else {
		faultySets = []rounds.Set{0}
	}
	V := len(e.vals)
	inputs := make([]int, n)
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
					e.next[p] = e.intern(l)
				}
				e.emitVec(e.next, 0, ^uint32(0), true)
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
	e.flush()
	l0.done()
	e.transitions = 0
	return nil
}

// cacheLimit bounds the per-round option cache (in options): beyond it the
// cache starts afresh, trading a little time for bounded memory on large
// asymmetric systems.
const cacheLimit = 1 << 22

// expand generates every successor of the global state vec (at e.round).
func (e *explorer[S, M]) expand(vec []uint32, pos, parent uint32) {
	n := e.n
	if len(e.arena) > cacheLimit || len(e.mbStore) > cacheLimit*n {
		e.optsCache = newLayer(e.n+4, 1024)
		e.optsEnd = e.optsEnd[:0]
		e.arena = e.arena[:0]
		e.mbStore = e.mbStore[:0]
		for q := range e.lastIdx {
			e.lastIdx[q] = -1
		}
	}
	var faulty, crashed, silent rounds.Set
	for p := range n {
		l := &e.locals[vec[p]]
		if l.F&flagByzantine != 0 {
			faulty = faulty.Add(core.NodeID(p))
		}
		if l.F&flagCrashed != 0 {
			crashed = crashed.Add(core.NodeID(p))
		}
		if l.F != 0 || l.St.Exited {
			silent = silent.Add(core.NodeID(p))
		}
	}
	// What every honest process sends.
	clear(e.sent)
	for p := range n {
		if silent.Has(core.NodeID(p)) {
			continue
		}
		copy(e.sent[p*n:(p+1)*n], e.sendsOf(uint32(p), vec[p]))
	}
	// What every Byzantine process may send.
	if faulty != 0 {
		e.fillGlobal(vec)
		for b := range faulty.IDs() {
			e.forged[b] = e.forged[b][:0]
			if e.spec.Forge == nil {
				continue
			}
			view := rounds.View{ID: b, N: n, Round: e.round}
			for _, m := range e.spec.Forge(view, e.vals, &e.global) {
				e.forged[b] = append(e.forged[b], e.internMsg(m))
			}
		}
	}
	k := uint32(len(e.window))
	safety := e.spec.Safety
	if pos == 0 {
		e.generate(vec, faulty, crashed, silent, safety, rounds.HOFilter{}, 0, parent)
		if k > 0 && e.round+int(k) <= e.opt.Rounds &&
			(e.spec.Liveness.Start == nil || e.spec.Liveness.Start(n, e.round, faulty)) {
			e.generate(vec, faulty, crashed, silent, safety, e.window[0], 1, parent)
		}
	} else {
		e.generate(vec, faulty, crashed, silent, safety, e.window[pos], pos+1, parent)
	}
}

func (e *explorer[S, M]) sendsOf(p, l uint32) []uint32 {
	n := e.n
	slot := int(l)*n + int(p)
	if slot >= len(e.sendOff) {
		e.sendOff = append(e.sendOff, make([]int32, slot+1-len(e.sendOff)+64*n)...)
	}
	if off := e.sendOff[slot]; off != 0 {
		return e.sendStore[off-1 : int(off-1)+n]
	}
	loc := &e.locals[l]
	view := rounds.View{ID: core.NodeID(p), N: n, Round: e.round, Status: loc.St}
	e.outbox.Reset(n)
	e.alg.Phase(e.round).Send(loc.S, view, e.outbox)
	off := len(e.sendStore)
	e.sendStore = append(e.sendStore, make([]uint32, n)...)
	for q, m := range e.outbox.All() {
		e.sendStore[off+int(q)] = e.internMsg(m)
	}
	e.sendOff[slot] = int32(off + 1)
	return e.sendStore[off : off+n]
}

func (e *explorer[S, M]) fillGlobal(vec []uint32) {
	g := &e.global
	g.Round = e.round
	g.Faulty, g.Crashed = 0, 0
	for p := range e.n {
		l := &e.locals[vec[p]]
		g.States[p], g.Status[p], g.Inputs[p] = l.S, l.St, l.In
		if l.F&flagByzantine != 0 {
			g.Faulty = g.Faulty.Add(core.NodeID(p))
		}
		if l.F&flagCrashed != 0 {
			g.Crashed = g.Crashed.Add(core.NodeID(p))
		}
	}
}

// generate emits every successor allowed by the fault model and the
// filters a (safety assumption) and b (liveness window round), tagged with
// window position pos.
func (e *explorer[S, M]) generate(vec []uint32, faulty, crashed, silent rounds.Set, a, b rounds.HOFilter, pos, parent uint32) {
	if e.model != rounds.Crash {
		e.generateWith(vec, faulty, silent, 0, a, b, pos, parent)
		return
	}
	// Crash model: choose who crashes in this round (a subset C of the
	// live processes, within the budget); they reach only some receivers.
	live := rounds.All(e.n) &^ silent
	budget := e.f - crashed.Len()
	for c := live; ; c = (c - 1) & live {
		if c.Len() <= budget {
			e.generateWith(vec, faulty, silent, c, a, b, pos, parent)
		}
		if c == 0 {
			break
		}
	}
}

// candidates lists the HO sets process q may have: every set of honest
// senders in the benign and Byzantine models; in the crash model every
// live non-crashing sender plus any subset of those crashing now (C).
func (e *explorer[S, M]) candidates(q core.NodeID, faulty, c rounds.Set, a, b rounds.HOFilter) []rounds.Set {
	n := e.n
	all := rounds.All(n)
	hs := e.cands[:0]
	if e.model == rounds.Crash {
		base := all &^ c
		for t := c; ; t = (t - 1) & c {
			h := base | t
			if a.Allows(n, e.round, q, h) && b.Allows(n, e.round, q, h) {
				hs = append(hs, h)
			}
			if t == 0 {
				break
			}
		}
	} else {
		honest := all &^ faulty
		for h := honest; ; h = (h - 1) & honest {
			// Filters constrain honest senders only: a Byzantine sender
			// counts as heard, and delivers whatever it chooses (or nothing).
			if a.Allows(n, e.round, q, h|faulty) && b.Allows(n, e.round, q, h|faulty) {
				hs = append(hs, h)
			}
			if h == 0 {
				break
			}
		}
	}
	e.cands = hs
	return hs
}

// processOptions returns the distinct next states of process q (local
// state l) in the current step, cached per round when no Byzantine sender
// is involved.
func (e *explorer[S, M]) processOptions(q int, l uint32, faulty, c rounds.Set, a, b rounds.HOFilter, pos uint32) []option {
	n := e.n
	idx := -1
	if faulty == 0 {
		// The options depend on q, its local state, who crashes now, the
		// filters (pos) and the messages sent to q.
		k := e.okey
		k[0], k[1], k[2], k[3] = uint32(q), l, uint32(c), pos
		for p := range n {
			k[4+p] = e.sent[p*n+q]
		}
		// Consecutive states of a layer are often siblings: a one-entry
		// cache per process spares most table lookups.
		last := e.lastKey[q*len(k) : (q+1)*len(k)]
		if e.lastIdx[q] >= 0 && slices.Equal(last, k) {
			idx = int(e.lastIdx[q])
			start, end := e.optsCache.parent[idx], e.optsEnd[idx]
			return e.arena[start:end:end]
		}
		var fresh bool
		idx, fresh = e.optsCache.insert(k, uint32(len(e.arena)))
		copy(last, k)
		e.lastIdx[q] = int32(idx)
		if !fresh {
			start, end := e.optsCache.parent[idx], e.optsEnd[idx]
			return e.arena[start:end:end]
		}
	}
	start := len(e.arena)
	e.stamp++
	for _, h := range e.candidates(core.NodeID(q), faulty, c, a, b) {
		e.arena = e.optionsFor(q, l, h, faulty, e.arena, start)
	}
	if idx >= 0 {
		e.optsEnd = append(e.optsEnd, int32(len(e.arena)))
	}
	return e.arena[start:len(e.arena):len(e.arena)]
}

func (e *explorer[S, M]) generateWith(vec []uint32, faulty, silent, c rounds.Set, a, b rounds.HOFilter, pos, parent uint32) {
	n := e.n
	e.crashC = c
	joint := a.Uniform || b.Uniform || a.Pair != nil || b.Pair != nil
	if !joint {
		for q := range n {
			qq := core.NodeID(q)
			// (e.opts[q] may alias the options cache: never append to it.)
			switch {
			case silent.Has(qq):
				e.fixed[q] = option{next: vec[q], mb: -1, keep: true}
				e.opts[q] = e.fixed[q : q+1 : q+1]
			case c.Has(qq):
				l := e.locals[vec[q]]
				l.F |= flagCrashed
				e.fixed[q] = option{next: e.intern(l), mb: -1}
				e.opts[q] = e.fixed[q : q+1 : q+1]
			default:
				e.opts[q] = e.processOptions(q, vec[q], faulty, c, a, b, pos)
			}
			if len(e.opts[q]) == 0 {
				return // no HO set allowed for q: no successor
			}
		}
		e.product(e.opts, pos, parent)
		return
	}
	// Joint filters: enumerate HO assignments process by process. Their
	// options are not cached: their witnesses are dropped afterwards.
	defer func(keep int) { e.mbStore = e.mbStore[:keep] }(len(e.mbStore))
	if e.jointH == nil {
		e.jointH = make([][]rounds.Set, n)
		e.jointO = make([][][]option, n)
	}
	for q := range n {
		qq := core.NodeID(q)
		e.jointH[q] = e.jointH[q][:0]
		e.jointO[q] = e.jointO[q][:0]
		switch {
		case silent.Has(qq):
			e.jointH[q] = append(e.jointH[q], 0)
			e.jointO[q] = append(e.jointO[q], []option{{next: vec[q], mb: -1, keep: true}})
		case c.Has(qq):
			l := e.locals[vec[q]]
			l.F |= flagCrashed
			e.jointH[q] = append(e.jointH[q], 0)
			e.jointO[q] = append(e.jointO[q], []option{{next: e.intern(l), mb: -1}})
		default:
			for _, h := range e.candidates(qq, faulty, c, a, b) {
				e.stamp++
				e.jointH[q] = append(e.jointH[q], h)
				e.jointO[q] = append(e.jointO[q], e.optionsFor(q, vec[q], h, faulty, nil, 0))
			}
		}
		if len(e.jointH[q]) == 0 {
			return
		}
	}
	if a.Pair == nil && b.Pair == nil {
		// Uniform: every active process hears the same set h.
		first := -1
		for q := range n {
			if !silent.Has(core.NodeID(q)) && !c.Has(core.NodeID(q)) {
				first = q
				break
			}
		}
		if first < 0 {
			for q := range n {
				e.opts[q] = e.jointO[q][0]
			}
			e.product(e.opts, pos, parent)
			return
		}
		if len(e.hIndex) < n<<n {
			e.hIndex = make([]int32, n<<n)
		}
		for q := range n {
			idx := e.hIndex[q<<n : (q+1)<<n]
			clear(idx)
			for i, h := range e.jointH[q] {
				idx[h] = int32(i + 1)
			}
		}
	uniform:
		for _, h := range e.jointH[first] {
			for q := range n {
				qq := core.NodeID(q)
				if silent.Has(qq) || c.Has(qq) {
					e.opts[q] = e.jointO[q][0]
					continue
				}
				i := e.hIndex[q<<n|int(h)]
				if i == 0 {
					continue uniform
				}
				e.opts[q] = e.jointO[q][i-1]
			}
			e.product(e.opts, pos, parent)
		}
		return
	}
	// Pair filters: a successor is one next state per process, possible
	// when some choice of HO sets producing those next states satisfies
	// the pairwise filter. So enumerate the distinct next-state vectors and
	// search one witness assignment for each (stopping at the first),
	// rather than every assignment.
	uniform := a.Uniform || b.Uniform
	type cand struct {
		h rounds.Set
		o option
	}
	xs := make([][][]cand, n) // xs[q][i]: the ways q reaches its i-th distinct next state
	for q := range n {
		for i, h := range e.jointH[q] {
			for _, o := range e.jointO[q][i] {
				j := 0
				for j < len(xs[q]) && xs[q][j][0].o.next != o.next {
					j++
				}
				if j == len(xs[q]) {
					xs[q] = append(xs[q], nil)
				}
				xs[q][j] = append(xs[q][j], cand{h, o})
			}
		}
	}
	active := func(q int) bool { return !silent.Has(core.NodeID(q)) && !c.Has(core.NodeID(q)) }
	compatible := func(hp, hq rounds.Set) bool {
		return (!uniform || hp == hq) &&
			(a.Pair == nil || a.Pair(n, e.round, hp|faulty, hq|faulty)) &&
			(b.Pair == nil || b.Pair(n, e.round, hp|faulty, hq|faulty))
	}
	at := make([]int, n) // which distinct next state of each process
	chosen := make([]rounds.Set, n)
	picked := make([]option, n)
	var witness func(q int) bool
	witness = func(q int) bool {
		if q == n {
			return true
		}
	next:
		for _, cd := range xs[q][at[q]] {
			if active(q) {
				for p := range q {
					if active(p) && !compatible(chosen[p], cd.h) {
						continue next
					}
				}
			}
			chosen[q], picked[q] = cd.h, cd.o
			if witness(q + 1) {
				return true
			}
		}
		return false
	}
	for {
		if witness(0) {
			for q := range n {
				e.opts[q] = picked[q : q+1 : q+1]
			}
			e.product(e.opts, pos, parent)
		}
		q := n - 1
		for ; q >= 0; q-- {
			if at[q]++; at[q] < len(xs[q]) {
				break
			}
			at[q] = 0
		}
		if q < 0 {
			return
		}
	}
}

// optionsFor appends to opts the distinct next states of process q (local
// state l) when it hears HO set h (plus any choice of Byzantine senders).
// Mailboxes already seen for this process and state (e.stamp) are skipped.
func (e *explorer[S, M]) optionsFor(q int, l uint32, h, faulty rounds.Set, opts []option, from int) []option {
	n := e.n
	// The honest part of the mailbox: h restricted to who sent q anything.
	var senders rounds.Set
	for p := range n {
		if e.sent[p*n+q] != 0 {
			senders |= 1 << p
		}
	}
	t := h & senders
	if faulty == 0 {
		if e.seenT[t] == e.stamp {
			return opts
		}
		e.seenT[t] = e.stamp
	}
	var mk memoKey
	mk.q, mk.l = uint32(q), l
	for x := uint64(t); x != 0; x &= x - 1 {
		p := bits.TrailingZeros64(x)
		mk.m[p] = e.sent[p*n+q]
	}
	if faulty == 0 {
		return e.addOption(opts, from, &mk, h)
	}
	// Every combination of what the Byzantine senders deliver (nothing, or
	// one of their forged messages).
	byz := make([]core.NodeID, 0, bits.OnesCount64(uint64(faulty)))
	for b := range faulty.IDs() {
		byz = append(byz, b)
	}
	var rec func(i int)
	rec = func(i int) {
		if i == len(byz) {
			opts = e.addOption(opts, from, &mk, h)
			return
		}
		b := byz[i]
		mk.m[b] = 0
		rec(i + 1)
		for _, id := range e.forged[b] {
			mk.m[b] = id
			rec(i + 1)
		}
		mk.m[b] = 0
	}
	rec(0)
	return opts
}

func (e *explorer[S, M]) addOption(opts []option, from int, mk *memoKey, h rounds.Set) []option {
	span, ok := e.memo[*mk]
	if !ok {
		start := len(e.nexts)
		e.update(mk)
		span = [2]uint32{uint32(start), uint32(len(e.nexts))}
		e.memo[*mk] = span
	}
	off := int32(-1)
next:
	for _, next := range e.nexts[span[0]:span[1]] {
		for _, o := range opts[from:] {
			if o.next == next {
				continue next
			}
		}
		if off < 0 {
			off = int32(len(e.mbStore))
			e.mbStore = append(e.mbStore, mk.m[:e.n]...)
		}
		from, to := &e.locals[mk.l], &e.locals[next]
		opts = append(opts, option{next: next, h: h, mb: off, keep: from.St == to.St && from.F == to.F})
	}
	return opts
}

// maxCoins bounds the coins one update may flip in the checker.
const maxCoins = 16

// update runs one process's round update on a mailbox and appends the
// interned results to e.nexts: one, or one per outcome of the coins the
// update flips (every sequence of coin outcomes is explored).
func (e *explorer[S, M]) update(mk *memoKey) {
	var coins []bool
	used := 0
	flip := func() bool {
		if used < len(coins) {
			used++
			return coins[used-1]
		}
		if used >= maxCoins {
			panic(fmt.Sprintf("check: %s flips more than %d coins in one update", e.alg.Name, maxCoins))
		}
		coins = append(coins, false)
		used++
		return false
	}
	start := len(e.nexts)
	for {
		used = 0
		id := e.updateOnce(mk, flip)
		if !slices.Contains(e.nexts[start:], id) {
			e.nexts = append(e.nexts, id)
		}
		coins = coins[:used]
		i := len(coins) - 1
		for i >= 0 && coins[i] {
			i--
		}
		if i < 0 {
			return
		}
		coins[i] = true
		coins = coins[:i+1]
	}
}

func (e *explorer[S, M]) updateOnce(mk *memoKey, flip func() bool) uint32 {
	loc := e.locals[mk.l]
	ctx := rounds.Ctx{ID: core.NodeID(mk.q), N: e.n, Round: e.round, Status: loc.St, Flip: flip}
	e.mbox.Reset()
	for p := range e.n {
		if id := mk.m[p]; id != 0 {
			e.mbox.Put(core.NodeID(p), e.msgs[id])
		}
	}
	rd := e.alg.Phase(e.round)
	if rd.Update != nil {
		rd.Update(&loc.S, e.mbox, &ctx)
	} else {
		ev := rd.Event
		if ev.Start != nil {
			ev.Start(&loc.S, &ctx)
		}
		ahead := false
		for p, m := range e.mbox.All() {
			if ev.Receive(&loc.S, p, m, &ctx).Kind() == rounds.ProgressGoAhead {
				ahead = true
				break
			}
		}
		ev.Finish(&loc.S, !ahead, &ctx)
	}
	loc.St = ctx.Status
	return e.intern(loc)
}

// product emits every combination of one option per process.
func (e *explorer[S, M]) product(opts [][]option, pos, parent uint32) {
	n := e.n
	idx := e.idx
	clear(idx)
	for {
		changed := false
		for q := range n {
			o := &opts[q][idx[q]]
			e.next[q] = o.next
			changed = changed || !o.keep
		}
		if e.target != nil {
			e.match(opts, pos)
		} else {
			e.emitVec(e.next, pos, parent, changed)
		}
		q := n - 1
		for ; q >= 0; q-- {
			idx[q]++
			if idx[q] < len(opts[q]) {
				break
			}
			idx[q] = 0
		}
		if q < 0 {
			return
		}
	}
}

func (e *explorer[S, M]) canonical(next []uint32, pos uint32) []uint32 {
	key := e.key
	copy(key, next)
	key[e.n] = pos
	if e.sym {
		sortIDs(key[:e.n])
	}
	return key
}

// sortIDs sorts a short vector of local-state ids (insertion sort).
func sortIDs(ks []uint32) {
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
}

// emitVec inserts a successor into the layer being built and checks it.
func (e *explorer[S, M]) emitVec(next []uint32, pos, parent uint32, changed bool) {
	e.transitions++
	// Successors are inserted in batches: hashing a batch and touching its
	// table slots first lets the processor overlap the cache misses that
	// dominate insertion (memory-level parallelism). The canonical key is
	// built in place in the batch.
	start := len(e.batchKeys)
	e.batchKeys = append(append(e.batchKeys, next...), pos)
	key := e.batchKeys[start:]
	if e.sym {
		sortIDs(key[:e.n])
	}
	e.batchHash = append(e.batchHash, hashKey(key))
	e.batchParent = append(e.batchParent, parent)
	e.batchChanged = append(e.batchChanged, changed)
	if len(e.batchHash) == batchSize {
		e.flush()
	}
}

const batchSize = 32

// flush inserts the batched successors into the layer being built.
func (e *explorer[S, M]) flush() {
	l := e.layers[len(e.layers)-1]
	l.reserve(len(e.batchHash))
	var sink uint64
	for _, h := range e.batchHash {
		sink += l.touch(h)
	}
	e.sink += sink
	w := e.w
	for i, h := range e.batchHash {
		key := e.batchKeys[i*w : (i+1)*w]
		if idx, fresh := l.insertHashed(key, h, e.batchParent[i]); fresh {
			e.check(l, idx, key[e.n], e.batchChanged[i])
		}
	}
	e.batchKeys, e.batchHash, e.batchParent, e.batchChanged = e.batchKeys[:0], e.batchHash[:0], e.batchParent[:0], e.batchChanged[:0]
}

// check checks a new state's safety properties and, at the end of a
// liveness window, that every correct process has decided.
func (e *explorer[S, M]) check(l *layer, idx int, pos uint32, changed bool) {
	e.states++
	st := l.state(idx)
	filled := false
	for _, p := range e.spec.Properties {
		if p.StatusOnly && !changed {
			continue // its parent, with the same statuses, passed
		}
		if !filled {
			e.fillGlobal(st[:e.n])
			e.global.Round = len(e.layers) - 1
			filled = true
		}
		if ok, why := p.Holds(&e.global); !ok {
			e.violate(&violation{layer: len(e.layers) - 1, index: idx, property: p.Name, reason: why})
		}
	}
	if k := uint32(len(e.window)); k > 0 && pos == k {
		e.windows++
		if holds := e.spec.Liveness.Holds; holds != nil {
			e.fillGlobal(st[:e.n])
			e.global.Round = len(e.layers) - 1
			if ok, why := holds(&e.global); !ok {
				e.violate(&violation{layer: len(e.layers) - 1, index: idx, property: "liveness", liveness: true,
					reason: fmt.Sprintf("the communication predicate held for %d rounds but: %s", k, why)})
			}
			return
		}
		var missing []core.NodeID
		for p := range e.n {
			loc := &e.locals[st[p]]
			if loc.F == 0 && !loc.St.Decided {
				missing = append(missing, core.NodeID(p))
			}
		}
		if len(missing) > 0 {
			e.violate(&violation{layer: len(e.layers) - 1, index: idx, property: "termination", liveness: true,
				reason: fmt.Sprintf("the communication predicate held for %d rounds but process(es) %v did not decide", k, missing)})
		}
	}
}

func (e *explorer[S, M]) violate(v *violation) {
	e.violations++
	if e.first == nil {
		e.first = v
	}
}

func (e *explorer[S, M]) result(d time.Duration) *Result {
	s := d.Seconds()
	e.sample()
	r := &Result{
		Algorithm: e.alg.Name, N: e.n, Rounds: e.opt.Rounds, Values: len(e.vals),
		Model: e.model.String(), Faults: faultString(e.opt), Symmetry: e.sym,
		States: e.states, Transitions: e.transitions, LocalStates: len(e.locals),
		Windows: e.windows, Violations: e.violations, Complete: e.violations == 0,
		Seconds: s, MemoryBytes: e.peak,
	}
	for _, l := range e.layers {
		r.StoreBytes += l.bytes()
	}
	if s > 0 {
		r.StatesPerSec = float64(e.states) / s
		r.TransitionsPerSec = float64(e.transitions) / s
	}
	if e.first != nil {
		r.Counterexample = e.counterexample(e.first)
	}
	return r
}
