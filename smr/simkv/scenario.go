package simkv

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/history"
	"github.com/rondo-dev/rondo/scenario"
	"github.com/rondo-dev/rondo/smr"
)

// Options shape the scenario. The zero value gives the defaults.
type Options struct {
	// Name overrides "smr-kv".
	Name string
	// Clients issue Ops commands and reads each (defaults 4 and 12), on
	// Keys keys (default 3), one every Spacing (default 40ms, jittered),
	// each to a random replica.
	Clients, Ops, Keys int
	Spacing            time.Duration
	// ValueMin..ValueMax is the size of the values written (default 8
	// bytes).
	ValueMin, ValueMax int
	// Retries: every command is submitted again this many times (default
	// 2), RetryGap apart (default 300ms), to other replicas, with the same
	// (client, seq), whether or not it was answered.
	Retries  int
	RetryGap time.Duration
	// FinalAt is when every replica reads every key (default 4s): after
	// the faults, which must end a second before it.
	FinalAt time.Duration
	// Config configures every replica (New and Observe are set).
	Config smr.Config
	// CheckTimeout bounds the linearizability check (default 30s).
	CheckTimeout time.Duration

	staleReads bool // StaleReads: the broken variant
}

func (o Options) withDefaults() Options {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	defd := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	if o.Name == "" {
		o.Name = "smr-kv"
	}
	def(&o.Clients, 4)
	def(&o.Ops, 12)
	def(&o.Keys, 3)
	def(&o.ValueMin, 8)
	def(&o.ValueMax, o.ValueMin)
	if o.Retries == 0 {
		o.Retries = 2
	}
	defd(&o.Spacing, 40*time.Millisecond)
	defd(&o.RetryGap, 300*time.Millisecond)
	defd(&o.FinalAt, 4*time.Second)
	defd(&o.CheckTimeout, 30*time.Second)
	return o
}

// Scenario is the replicated log under concurrent clients, checked for
// linearizability (Porcupine, by key), log agreement, exactly-once
// application and durability of acknowledged writes.
func Scenario(opt Options) scenario.Scenario {
	o := opt.withDefaults()
	cfg := o.Config
	cfg.New = New
	cfg.Observe = true
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	return scenario.Scenario{
		Name:    o.Name,
		Model:   "smr",
		Summary: "replicated log (Multi-Paxos rounds, batching, read index, snapshots) under a key-value state machine, Porcupine-checked",
		Faults: "loss, duplication, reordering, delays, partitions, crash-restart and crash-stop of a minority (n > 2f); " +
			"the faults must end a second before the final reads (" + o.FinalAt.String() + ")",
		FaultModel:  "crash-recovery",
		Threshold:   "n > 2f",
		MinNodes:    1,
		MaxNodes:    64,
		MaxNodesWhy: "the runtime's process sets are 64-bit masks",
		Accepts: func(sp fault.Spec, n int) error {
			if f := sp.CrashStop + sp.Crashes; 2*f >= n && f > 0 {
				return fmt.Errorf("crash=%d and crashes=%d on %d replicas: a majority must stay up (n > 2f)", sp.CrashStop, sp.Crashes, n)
			}
			return sp.Within(o.FinalAt-time.Second, fmt.Sprintf("a second before the final reads at %v", o.FinalAt))
		},
		Register: smr.Register,
		New: func(core.NodeID, int) core.Process {
			if o.staleReads {
				return newStaleReader(cfg)
			}
			return smr.New(cfg)
		},
		Workload:   func(n int, rng *rand.Rand) []scenario.Input { return workload(n, rng, o) },
		Properties: []string{"linearizable", "log agreement", "at most once", "acknowledged writes logged", "final reads answered"},
		Liveness:   []string{"final reads answered"},
		Check:      func(h *scenario.History) []scenario.Violation { return check(h, o) },
		Done:       done,
		Report:     report,
	}
}

// workload draws the clients' commands and reads, their retries, and the
// final reads.
func workload(n int, rng *rand.Rand, o Options) []scenario.Input {
	var in []scenario.Input
	node := func() core.NodeID { return core.NodeID(rng.IntN(n)) }
	val := func(c, k int) string {
		size := o.ValueMin
		if o.ValueMax > o.ValueMin {
			size += rng.IntN(o.ValueMax - o.ValueMin + 1)
		}
		head := fmt.Sprintf("c%d.%d|", c, k)
		if size <= len(head) {
			return head
		}
		return head + strings.Repeat(string(rune('a'+(c+k)%26)), size-len(head))
	}
	key := func() string { return fmt.Sprintf("k%d", rng.IntN(o.Keys)) }
	for c := 1; c <= o.Clients; c++ {
		at := time.Duration(rng.Int64N(int64(o.Spacing)))
		seq := uint64(0)
		for k := 0; k < o.Ops; k++ {
			at += o.Spacing/2 + time.Duration(rng.Int64N(int64(o.Spacing)))
			var cmd []byte
			switch r := rng.IntN(20); {
			case r < 8:
				in = append(in, scenario.Input{At: at, Node: node(), Body: smr.Read{ID: uint64(c)<<32 | uint64(k), Query: Get(key())}})
				continue
			case r < 15:
				cmd = Put(key(), val(c, k))
			case r < 17:
				cmd = Delete(key())
			default:
				exp := ""
				if rng.IntN(3) > 0 {
					exp = val(c, k-1-rng.IntN(3))
				}
				cmd = CAS(key(), exp == "", exp, val(c, k))
			}
			seq++
			s := smr.Submit{Client: uint64(c), Seq: seq, Cmd: cmd}
			first := node()
			in = append(in, scenario.Input{At: at, Node: first, Body: s})
			for r := 1; r <= o.Retries; r++ {
				to := core.NodeID((int(first) + r) % n)
				in = append(in, scenario.Input{At: at + time.Duration(r)*o.RetryGap, Node: to, Body: s})
			}
		}
	}
	id := uint64(1) << 63
	for p := range n {
		for k := range o.Keys {
			in = append(in, scenario.Input{At: o.FinalAt + time.Duration(p*o.Keys+k)*time.Millisecond, Node: core.NodeID(p),
				Body: smr.Read{ID: id, Query: Get(fmt.Sprintf("k%d", k))}})
			id++
		}
	}
	slices.SortStableFunc(in, func(a, b scenario.Input) int { return int(a.At - b.At) })
	return in
}

// finalRead reports whether a read is one of the final reads.
func finalRead(id uint64) bool { return id>>63 == 1 }

type ck struct{ client, seq uint64 }

// ops rebuilds the clients' history from the run: a command's interval is
// from its first submission to the first reply that applied it (at any
// replica: the client would have heard it there); one never answered so
// has an unknown outcome. A read's interval is its own; a read that failed
// is left out (it had no effect).
func ops(h *scenario.History) ([]history.Op, []place) {
	type write struct {
		call, ret time.Duration
		cmd       []byte
		answered  bool
		res       []byte
		refused   bool
	}
	writes := map[ck]*write{}
	var order []ck
	type read struct {
		call time.Duration
		q    []byte
		done *smr.ReadDone
		ret  time.Duration
	}
	reads := map[uint64]*read{}
	var rorder []uint64
	for _, ob := range h.Observations {
		switch v := ob.Value.(type) {
		case smr.Submit:
			if ob.Output {
				continue
			}
			k := ck{v.Client, v.Seq}
			if writes[k] == nil {
				writes[k] = &write{call: ob.At, cmd: v.Cmd}
				order = append(order, k)
			}
		case smr.Applied:
			if w := writes[ck{v.Client, v.Seq}]; w != nil && !w.answered {
				w.answered, w.ret, w.res = true, ob.At, v.Result
			}
		case smr.Failed:
			if w := writes[ck{v.Client, v.Seq}]; w != nil && v.Definite {
				w.refused = true
			}
		case smr.Read:
			if ob.Output {
				continue
			}
			if reads[v.ID] == nil {
				reads[v.ID] = &read{call: ob.At, q: v.Query}
				rorder = append(rorder, v.ID)
			}
		case smr.ReadDone:
			if r := reads[v.ID]; r != nil && r.done == nil && v.Err == "" {
				d := v
				r.done, r.ret = &d, ob.At
			}
		}
	}
	var out []history.Op
	var places []place
	for _, k := range order {
		w := writes[k]
		if w.refused && !w.answered {
			continue
		}
		d, err := Decode(w.cmd)
		if err != nil {
			continue
		}
		op := history.Op{Client: int(k.client), Key: d.Key, Call: w.call, Return: w.ret, Unknown: !w.answered}
		switch d.Op {
		case opPut:
			op.Kind, op.Value = history.Put, d.Value
		case opDelete:
			op.Kind = history.Delete
		case opCAS:
			op.Kind, op.Value, op.Expect, op.ExpectAbsent = history.CAS, d.Value, d.Expect, d.ExpectAbsent
			op.Swapped = w.answered && Swapped(w.res)
		}
		out = append(out, op)
		places = append(places, place{write: k})
	}
	for _, id := range rorder {
		r := reads[id]
		if r.done == nil {
			continue
		}
		d, err := Decode(r.q)
		if err != nil {
			continue
		}
		got, found := Found(r.done.Result)
		out = append(out, history.Op{Client: int(id >> 32 & 0x7fffffff), Kind: history.Get, Key: d.Key,
			Call: r.call, Return: r.ret, Found: found, Got: got})
		places = append(places, place{read: true, index: r.done.Index})
	}
	return out, places
}

// place is where the log says an operation took effect: a command at its
// (client, seq)'s slot in the log, a read after every command up to the
// index its state was read at.
type place struct {
	read  bool
	write ck
	index uint64
}

// logOrder is the linearization the log claims: commands in log order
// (index, then their order in the batch), each read after the commands
// of its index and before the next index's, reads of one index in the
// order they were called. A command the log does not hold is left out (if
// its outcome is known, history.Verify refuses the order).
func logOrder(ops []history.Op, places []place, at map[uint64][]ck) []int {
	type slot struct {
		index uint64
		pos   int // within the index's batch; reads after every command
		call  time.Duration
		op    int
	}
	logged := map[ck]slot{}
	for idx, l := range at {
		for pos, k := range l {
			logged[k] = slot{index: idx, pos: pos}
		}
	}
	var slots []slot
	for i, p := range places {
		if p.read {
			slots = append(slots, slot{index: p.index, pos: math.MaxInt, call: ops[i].Call, op: i})
		} else if s, ok := logged[p.write]; ok {
			s.op = i
			slots = append(slots, s)
		}
	}
	slices.SortFunc(slots, func(a, b slot) int {
		return cmp.Or(cmp.Compare(a.index, b.index), cmp.Compare(a.pos, b.pos), cmp.Compare(a.call, b.call), cmp.Compare(a.op, b.op))
	})
	order := make([]int, len(slots))
	for i, s := range slots {
		order[i] = s.op
	}
	return order
}

func check(h *scenario.History, o Options) []scenario.Violation {
	var vs []scenario.Violation
	bad := func(prop, format string, args ...any) {
		vs = append(vs, scenario.Violation{Property: prop, Detail: fmt.Sprintf(format, args...)})
	}
	// Log agreement and at most once, from every replica's Executed: each
	// index holds the same commands, in the same order, at every replica
	// and incarnation that applied it, and each (client, seq) sits at one
	// index.
	type applier struct {
		node core.NodeID
		inc  int
		idx  uint64
	}
	lists := map[applier][]ck{}
	var appliers []applier
	where := map[ck]uint64{}
	for _, ob := range h.Observations {
		e, ok := ob.Value.(smr.Executed)
		if !ok {
			continue
		}
		k := ck{e.Client, e.Seq}
		a := applier{ob.Node, ob.Incarnation, e.Index}
		if _, ok := lists[a]; !ok {
			appliers = append(appliers, a)
		}
		lists[a] = append(lists[a], k)
		if idx, ok := where[k]; ok && idx != e.Index {
			bad("at most once", "c%d#%d was applied at index %d and again at %d (n%d)", k.client, k.seq, idx, e.Index, ob.Node)
		}
		where[k] = e.Index
	}
	at := map[uint64][]ck{}
	for _, a := range appliers {
		l := lists[a]
		if first, ok := at[a.idx]; ok && !slices.Equal(first, l) {
			bad("log agreement", "index %d holds %v at one replica and %v at n%d", a.idx, first, l, a.node)
			continue
		}
		at[a.idx] = l
	}
	// Every acknowledged command is in the log, at the index its reply
	// named.
	for _, ob := range h.Observations {
		a, ok := ob.Value.(smr.Applied)
		if !ok {
			continue
		}
		if !slices.Contains(at[a.Index], ck{a.Client, a.Seq}) {
			bad("acknowledged writes logged", "c%d#%d was acknowledged at index %d by n%d, which no replica applied it at", a.Client, a.Seq, a.Index, ob.Node)
		}
	}
	// The final reads are answered.
	asked := map[uint64]core.NodeID{}
	answered := map[uint64]bool{}
	for _, ob := range h.Observations {
		switch v := ob.Value.(type) {
		case smr.Read:
			if !ob.Output && finalRead(v.ID) {
				asked[v.ID] = ob.Node
			}
		case smr.ReadDone:
			if finalRead(v.ID) && v.Err == "" {
				answered[v.ID] = true
			}
		}
	}
	// In id order: the report must be the same on every replay of a seed.
	for _, id := range slices.Sorted(maps.Keys(asked)) {
		if !answered[id] {
			bad("final reads answered", "a final read taken by n%d (after the faults) got no answer", asked[id])
			break
		}
	}
	// Linearizability: the log's own order is tried first as a witness
	// (a proof, checked in linear time); if it fails, Porcupine searches
	// for any order, which is exponential in how many operations overlap.
	list, places := ops(h)
	r, werr := history.CheckWitness(list, logOrder(list, places, at), o.CheckTimeout)
	switch r.Verdict {
	case history.NotLinearizable:
		bad("linearizable", "%v (the log's order fails: %v)", r, werr)
	case history.Undecided:
		bad("linearizable", "the check ran out of time (%v): %v; the log's order fails: %v", o.CheckTimeout, r, werr)
	}
	slices.SortStableFunc(vs, func(a, b scenario.Violation) int { return strings.Compare(a.Property, b.Property) })
	return vs
}

// done: every read was answered and every command answered once.
func done(h *scenario.History) bool {
	pending := map[any]bool{}
	for _, ob := range h.Observations {
		switch v := ob.Value.(type) {
		case smr.Submit:
			if !ob.Output {
				pending[ck{v.Client, v.Seq}] = true
			}
		case smr.Read:
			if !ob.Output {
				pending[v.ID] = true
			}
		}
	}
	for _, ob := range h.Observations {
		switch v := ob.Value.(type) {
		case smr.Applied:
			delete(pending, ck{v.Client, v.Seq})
		case smr.Failed:
			delete(pending, ck{v.Client, v.Seq})
		case smr.ReadDone:
			delete(pending, v.ID)
		}
	}
	return len(pending) == 0
}

func report(h *scenario.History) map[string]any {
	acked, failed, reads := map[ck]bool{}, 0, 0
	var lat []time.Duration
	calls := map[ck]time.Duration{}
	for _, ob := range h.Observations {
		switch v := ob.Value.(type) {
		case smr.Submit:
			if k := (ck{v.Client, v.Seq}); !ob.Output {
				if _, ok := calls[k]; !ok {
					calls[k] = ob.At
				}
			}
		case smr.Applied:
			k := ck{v.Client, v.Seq}
			if !acked[k] {
				acked[k] = true
				lat = append(lat, ob.At-calls[k])
			}
		case smr.Failed:
			failed++
		case smr.ReadDone:
			if v.Err == "" {
				reads++
			}
		}
	}
	out := map[string]any{"commands_acknowledged": len(acked), "commands": len(calls), "failed_replies": failed, "reads_answered": reads}
	if len(lat) > 0 {
		slices.Sort(lat)
		out["commit_p50_ms"] = float64(lat[len(lat)/2]) / 1e6
		out["commit_p99_ms"] = float64(lat[len(lat)*99/100]) / 1e6
	}
	return out
}
