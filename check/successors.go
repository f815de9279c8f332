package check

import (
	"fmt"
	"math/bits"
	"slices"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

// option is one possible next local state of a process in one step, with
// the HO set and mailbox (offset into successors.mbStore) that produce it.
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

// successors computes the successors of global states in one round: what
// every process sends, the HO assignments allowed (hoEnum), each process's
// distinct next states, and their product, each of which it hands to the
// explorer to store (or, while a counterexample is rebuilt, to rebuild). It
// caches per round what depends only on (process, local state, messages).
type successors[S, M comparable] struct {
	alg    *rounds.Algorithm[S, M]
	spec   *rounds.Spec[S, M]
	in     *interner[S, M]
	ho     hoEnum
	n      int
	vals   []rounds.Value
	model  rounds.Model
	f      int // crash budget (crash model)
	window []rounds.HOFilter
	rounds int // rounds explored: a window must fit
	round  int // the round being expanded
	// Each successor goes to store.emit, or to rebuild.emit while a
	// counterexample is rebuilt: direct calls, once per transition (an
	// interface call on a generic type costs a wrapper more).
	store   *explorer[S, M]
	rebuild *rebuild[S, M]

	// per-round caches
	memo  map[memoKey][2]uint32 // span of next states in nexts
	nexts []uint32
	// sendOff[l*n+p]: 1 + offset in sendStore of what p in local state l sends
	sendOff   []int32
	sendStore []uint32
	// optsCache: key (q, l, c, pos, messages to q) -> options in arena,
	// arena[parent[i]:optsEnd[i]].
	optsCache *layer
	optsEnd   []int32
	okey      []uint32
	lastKey   []uint32 // per process: the last optsCache key looked up
	lastIdx   []int32  // and its index (-1: none)
	arena     []option
	mbStore   []uint32

	// per-state scratch
	sent   []uint32   // sent[p*n+q]: message id p sends q (0: none)
	forged [][]uint32 // forged[b]: message ids Byzantine b may send
	opts   [][]option
	fixed  []option // the single option of a process that does not update
	joint  []choices
	seenT  []uint32 // stamp per subset of senders
	stamp  uint32
	idx    []int
	next   []uint32
	mbox   rounds.Mailbox[M]
	outbox *rounds.Outbox[M]
	global rounds.Global[S] // for Spec.Forge
	crashC rounds.Set       // processes crashing in the step being generated
	pos    uint32           // window position of the successors being generated
	parent uint32           // their parent's index in its layer
	// productFn is productOf as a func value, made once: hoEnum hands it
	// every joint assignment it allows.
	productFn func([][]option)
}

func newSuccessors[S, M comparable](alg *rounds.Algorithm[S, M], in *interner[S, M], n int, model rounds.Model, f int, vals []rounds.Value, window []rounds.HOFilter, rnds int) *successors[S, M] {
	s := &successors[S, M]{
		alg: alg, spec: &alg.Spec, in: in, ho: hoEnum{n: n, model: model},
		n: n, vals: vals, model: model, f: f, window: window, rounds: rnds,
		sent:    make([]uint32, n*n),
		forged:  make([][]uint32, n),
		opts:    make([][]option, n),
		fixed:   make([]option, n),
		joint:   make([]choices, n),
		seenT:   make([]uint32, 1<<n),
		idx:     make([]int, n),
		next:    make([]uint32, n),
		mbox:    rounds.NewMailbox[M](n),
		outbox:  rounds.NewOutbox[M](n),
		okey:    make([]uint32, n+4),
		lastKey: make([]uint32, n*(n+4)),
		lastIdx: make([]int32, n),
		global: rounds.Global[S]{N: n, Values: vals, States: make([]S, n),
			Status: make([]rounds.Status, n), Inputs: make([]rounds.Value, n), Format: alg.FormatValue},
	}
	s.productFn = s.productOf
	return s
}

// startRound empties the caches that depend on the round number.
func (s *successors[S, M]) startRound(r int) {
	s.round = r
	s.memo = make(map[memoKey][2]uint32)
	s.nexts = s.nexts[:0]
	clear(s.sendOff)
	s.sendStore = s.sendStore[:0]
	s.resetOptions()
}

// finish drops the caches once the exploration is over.
func (s *successors[S, M]) finish() {
	s.memo, s.nexts, s.sendOff, s.sendStore = nil, nil, nil, nil
	s.optsCache, s.optsEnd, s.arena, s.mbStore = nil, nil, nil, nil
}

func (s *successors[S, M]) resetOptions() {
	s.optsCache = newLayer(s.n+4, 1024)
	s.optsEnd = s.optsEnd[:0]
	for q := range s.lastIdx {
		s.lastIdx[q] = -1
	}
	s.arena = s.arena[:0]
	s.mbStore = s.mbStore[:0]
}

// bytes is the memory the caches hold.
func (s *successors[S, M]) bytes() uint64 {
	b := uint64(len(s.memo))*(uint64(4*(2+MaxN))+8)*2 + uint64(cap(s.nexts)+cap(s.sendStore)+cap(s.optsEnd)+cap(s.mbStore))*4 +
		uint64(cap(s.sendOff))*4 + uint64(cap(s.arena))*16
	if s.optsCache != nil {
		b += s.optsCache.bytes()
	}
	return b
}

// cacheLimit bounds the per-round option cache (in options): beyond it the
// cache starts afresh, trading a little time for bounded memory on large
// asymmetric systems.
const cacheLimit = 1 << 22

// expand generates every successor of the global state vec (window
// position pos, index parent in its layer) in the current round.
func (s *successors[S, M]) expand(vec []uint32, pos, parent uint32) {
	n := s.n
	if len(s.arena) > cacheLimit || len(s.mbStore) > cacheLimit*n {
		s.resetOptions()
	}
	var faulty, crashed, silent rounds.Set
	for p := range n {
		l := &s.in.locals[vec[p]]
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
	clear(s.sent)
	for p := range n {
		if silent.Has(core.NodeID(p)) {
			continue
		}
		copy(s.sent[p*n:(p+1)*n], s.sendsOf(uint32(p), vec[p]))
	}
	// What every Byzantine process may send.
	if faulty != 0 {
		s.in.fill(&s.global, vec)
		s.global.Round = s.round
		for b := range faulty.IDs() {
			s.forged[b] = s.forged[b][:0]
			if s.spec.Forge == nil {
				continue
			}
			view := rounds.View{ID: b, N: n, Round: s.round}
			for _, m := range s.spec.Forge(view, s.vals, &s.global) {
				s.forged[b] = append(s.forged[b], s.in.msg(m))
			}
		}
	}
	k := uint32(len(s.window))
	safety := s.spec.Safety
	s.parent = parent
	if pos == 0 {
		s.generate(vec, faulty, crashed, silent, safety, rounds.HOFilter{}, 0)
		if k > 0 && s.round+int(k) <= s.rounds &&
			(s.spec.Liveness.Start == nil || s.spec.Liveness.Start(n, s.round, faulty)) {
			s.generate(vec, faulty, crashed, silent, safety, s.window[0], 1)
		}
	} else {
		s.generate(vec, faulty, crashed, silent, safety, s.window[pos], pos+1)
	}
}

// sendsOf returns what process p in local state l sends in this round, by
// receiver (message ids, 0: nothing); cached per round.
func (s *successors[S, M]) sendsOf(p, l uint32) []uint32 {
	n := s.n
	slot := int(l)*n + int(p)
	if slot >= len(s.sendOff) {
		s.sendOff = append(s.sendOff, make([]int32, slot+1-len(s.sendOff)+64*n)...)
	}
	if off := s.sendOff[slot]; off != 0 {
		return s.sendStore[off-1 : int(off-1)+n]
	}
	loc := &s.in.locals[l]
	view := rounds.View{ID: core.NodeID(p), N: n, Round: s.round, Status: loc.St}
	s.outbox.Reset(n)
	s.alg.Phase(s.round).Send(loc.S, view, s.outbox)
	off := len(s.sendStore)
	s.sendStore = append(s.sendStore, make([]uint32, n)...)
	for q, m := range s.outbox.All() {
		s.sendStore[off+int(q)] = s.in.msg(m)
	}
	s.sendOff[slot] = int32(off + 1)
	return s.sendStore[off : off+n]
}

// generate emits every successor allowed by the fault model and the
// filters a (safety assumption) and b (liveness window round), tagged with
// window position pos.
func (s *successors[S, M]) generate(vec []uint32, faulty, crashed, silent rounds.Set, a, b rounds.HOFilter, pos uint32) {
	s.pos = pos
	if s.model != rounds.Crash {
		s.generateWith(vec, faulty, silent, 0, a, b)
		return
	}
	// Crash model: choose who crashes in this round (a subset C of the
	// live processes, within the budget); they reach only some receivers.
	live := rounds.All(s.n) &^ silent
	budget := s.f - crashed.Len()
	for c := live; ; c = (c - 1) & live {
		if c.Len() <= budget {
			s.generateWith(vec, faulty, silent, c, a, b)
		}
		if c == 0 {
			break
		}
	}
}

// generateWith emits the successors in which the processes of c crash.
func (s *successors[S, M]) generateWith(vec []uint32, faulty, silent, c rounds.Set, a, b rounds.HOFilter) {
	n := s.n
	s.crashC = c
	joint := a.Uniform || b.Uniform || a.Pair != nil || b.Pair != nil
	if !joint {
		for q := range n {
			qq := core.NodeID(q)
			// (s.opts[q] may alias the options cache: never append to it.)
			switch {
			case silent.Has(qq):
				s.fixed[q] = option{next: vec[q], mb: -1, keep: true}
				s.opts[q] = s.fixed[q : q+1 : q+1]
			case c.Has(qq):
				l := s.in.locals[vec[q]]
				l.F |= flagCrashed
				s.fixed[q] = option{next: s.in.local(l), mb: -1}
				s.opts[q] = s.fixed[q : q+1 : q+1]
			default:
				s.opts[q] = s.processOptions(q, vec[q], faulty, c, a, b)
			}
			if len(s.opts[q]) == 0 {
				return // no HO set allowed for q: no successor
			}
		}
		s.productOf(s.opts)
		return
	}
	// Joint filters: each process's choices (HO set, options), then the
	// assignments the filters allow. Their options are not cached: their
	// witnesses are dropped afterwards.
	defer func(keep int) { s.mbStore = s.mbStore[:keep] }(len(s.mbStore))
	for q := range n {
		qq := core.NodeID(q)
		cs := &s.joint[q]
		cs.hs, cs.opts = cs.hs[:0], cs.opts[:0]
		switch {
		case silent.Has(qq):
			cs.hs = append(cs.hs, 0)
			cs.opts = append(cs.opts, []option{{next: vec[q], mb: -1, keep: true}})
		case c.Has(qq):
			l := s.in.locals[vec[q]]
			l.F |= flagCrashed
			cs.hs = append(cs.hs, 0)
			cs.opts = append(cs.opts, []option{{next: s.in.local(l), mb: -1}})
		default:
			for _, h := range s.ho.candidates(s.round, qq, faulty, c, a, b) {
				s.stamp++
				cs.hs = append(cs.hs, h)
				cs.opts = append(cs.opts, s.optionsFor(q, vec[q], h, faulty, nil, 0))
			}
		}
		if len(cs.hs) == 0 {
			return
		}
	}
	active := rounds.All(n) &^ silent &^ c
	if a.Pair == nil && b.Pair == nil {
		s.ho.uniform(s.joint, active, s.opts, s.productFn)
		return
	}
	uniform := a.Uniform || b.Uniform
	round := s.round
	s.ho.pairwise(s.joint, active, func(hp, hq rounds.Set) bool {
		return (!uniform || hp == hq) &&
			(a.Pair == nil || a.Pair(n, round, hp|faulty, hq|faulty)) &&
			(b.Pair == nil || b.Pair(n, round, hp|faulty, hq|faulty))
	}, s.opts, s.productFn)
}

// processOptions returns the distinct next states of process q (local
// state l) in the current step, cached per round when no Byzantine sender
// is involved.
func (s *successors[S, M]) processOptions(q int, l uint32, faulty, c rounds.Set, a, b rounds.HOFilter) []option {
	n := s.n
	idx := -1
	if faulty == 0 {
		// The options depend on q, its local state, who crashes now, the
		// filters (pos) and the messages sent to q.
		k := s.okey
		k[0], k[1], k[2], k[3] = uint32(q), l, uint32(c), s.pos
		for p := range n {
			k[4+p] = s.sent[p*n+q]
		}
		// Consecutive states of a layer are often siblings: a one-entry
		// cache per process spares most table lookups.
		last := s.lastKey[q*len(k) : (q+1)*len(k)]
		if s.lastIdx[q] >= 0 && slices.Equal(last, k) {
			idx = int(s.lastIdx[q])
			start, end := s.optsCache.parent[idx], s.optsEnd[idx]
			return s.arena[start:end:end]
		}
		var fresh bool
		idx, fresh = s.optsCache.insert(k, uint32(len(s.arena)))
		copy(last, k)
		s.lastIdx[q] = int32(idx)
		if !fresh {
			start, end := s.optsCache.parent[idx], s.optsEnd[idx]
			return s.arena[start:end:end]
		}
	}
	start := len(s.arena)
	s.stamp++
	for _, h := range s.ho.candidates(s.round, core.NodeID(q), faulty, c, a, b) {
		s.arena = s.optionsFor(q, l, h, faulty, s.arena, start)
	}
	if idx >= 0 {
		s.optsEnd = append(s.optsEnd, int32(len(s.arena)))
	}
	return s.arena[start:len(s.arena):len(s.arena)]
}

// optionsFor appends to opts the distinct next states of process q (local
// state l) when it hears HO set h (plus any choice of Byzantine senders).
// Mailboxes already seen for this process and state (s.stamp) are skipped.
func (s *successors[S, M]) optionsFor(q int, l uint32, h, faulty rounds.Set, opts []option, from int) []option {
	n := s.n
	// The honest part of the mailbox: h restricted to who sent q anything.
	var senders rounds.Set
	for p := range n {
		if s.sent[p*n+q] != 0 {
			senders |= 1 << p
		}
	}
	t := h & senders
	if faulty == 0 {
		if s.seenT[t] == s.stamp {
			return opts
		}
		s.seenT[t] = s.stamp
	}
	var mk memoKey
	mk.q, mk.l = uint32(q), l
	for x := uint64(t); x != 0; x &= x - 1 {
		p := bits.TrailingZeros64(x)
		mk.m[p] = s.sent[p*n+q]
	}
	if faulty == 0 {
		return s.addOption(opts, from, &mk, h)
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
			opts = s.addOption(opts, from, &mk, h)
			return
		}
		b := byz[i]
		mk.m[b] = 0
		rec(i + 1)
		for _, id := range s.forged[b] {
			mk.m[b] = id
			rec(i + 1)
		}
		mk.m[b] = 0
	}
	rec(0)
	return opts
}

func (s *successors[S, M]) addOption(opts []option, from int, mk *memoKey, h rounds.Set) []option {
	span, ok := s.memo[*mk]
	if !ok {
		start := len(s.nexts)
		s.update(mk)
		span = [2]uint32{uint32(start), uint32(len(s.nexts))}
		s.memo[*mk] = span
	}
	off := int32(-1)
next:
	for _, next := range s.nexts[span[0]:span[1]] {
		for _, o := range opts[from:] {
			if o.next == next {
				continue next
			}
		}
		if off < 0 {
			off = int32(len(s.mbStore))
			s.mbStore = append(s.mbStore, mk.m[:s.n]...)
		}
		from, to := &s.in.locals[mk.l], &s.in.locals[next]
		opts = append(opts, option{next: next, h: h, mb: off, keep: from.St == to.St && from.F == to.F})
	}
	return opts
}

// maxCoins bounds the coins one update may flip in the checker.
const maxCoins = 16

// update runs one process's round update on a mailbox and appends the
// interned results to s.nexts: one, or one per outcome of the coins the
// update flips (every sequence of coin outcomes is explored).
func (s *successors[S, M]) update(mk *memoKey) {
	var coins []bool
	used := 0
	flip := func() bool {
		if used < len(coins) {
			used++
			return coins[used-1]
		}
		if used >= maxCoins {
			panic(fmt.Sprintf("check: %s flips more than %d coins in one update", s.alg.Name, maxCoins))
		}
		coins = append(coins, false)
		used++
		return false
	}
	start := len(s.nexts)
	for {
		used = 0
		id := s.updateOnce(mk, flip)
		if !slices.Contains(s.nexts[start:], id) {
			s.nexts = append(s.nexts, id)
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

func (s *successors[S, M]) updateOnce(mk *memoKey, flip func() bool) uint32 {
	loc := s.in.locals[mk.l]
	ctx := rounds.Ctx{ID: core.NodeID(mk.q), N: s.n, Round: s.round, Status: loc.St, Flip: flip}
	s.mbox.Reset()
	for p := range s.n {
		if id := mk.m[p]; id != 0 {
			s.mbox.Put(core.NodeID(p), s.in.msgs[id])
		}
	}
	rd := s.alg.Phase(s.round)
	if rd.Update != nil {
		rd.Update(&loc.S, s.mbox, &ctx)
	} else {
		ev := rd.Event
		if ev.Start != nil {
			ev.Start(&loc.S, &ctx)
		}
		ahead := false
		for p, m := range s.mbox.All() {
			if ev.Receive(&loc.S, p, m, &ctx).Kind() == rounds.ProgressGoAhead {
				ahead = true
				break
			}
		}
		ev.Finish(&loc.S, !ahead, &ctx)
	}
	loc.St = ctx.Status
	return s.in.local(loc)
}

// productOf emits every combination of one option per process.
func (s *successors[S, M]) productOf(opts [][]option) {
	n := s.n
	idx := s.idx
	clear(idx)
	for {
		changed := false
		for q := range n {
			o := &opts[q][idx[q]]
			s.next[q] = o.next
			changed = changed || !o.keep
		}
		if s.rebuild != nil {
			s.rebuild.emit(s.next, s.pos)
		} else {
			s.store.emit(s.next, s.pos, s.parent, changed)
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

// chosen is the option process q takes in the successor being emitted
// (valid during emit only): how counterexamples recover HO sets and
// mailboxes. Every path hands productOf s.opts.
func (s *successors[S, M]) chosen(q int) option { return s.opts[q][s.idx[q]] }
