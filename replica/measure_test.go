package replica_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt"
	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/replica"
	"github.com/rondo-dev/rondo/sim"
)

// syncFigures builds a size-element add-wins set on node 0, syncs it to
// node 1, then changes 1% of it (half removes, half adds) between each of
// syncs gossip rounds. It returns the bytes anti-entropy shipped for those
// rounds (delta-groups and acknowledgements) and what shipping the whole
// state in the same messages would have cost.
func syncFigures(size, syncs int) (delta, full int64) {
	type set = crdt.AWSet[string]
	d := newDesk(2)
	cfg := replica.ORSetKind().Config
	cfg.MaxDeltas = 2 * size
	cfg.Value = nil // rendering 10,000 elements after every change is not what is measured
	var rs []*replica.Node[*set]
	for _, id := range d.nodes {
		r := replica.New(cfg)
		r.Init(d.ctx(id))
		rs = append(rs, r)
	}
	round := func() {
		rs[0].Handle(d.ctx(0), gossip)
		for len(d.sent) > 0 {
			for _, e := range d.take() {
				rs[e.to].Handle(d.ctx(e.to), core.Message{From: e.from, Body: e.msg})
			}
		}
	}
	// Stats are cumulative per replica; only node 0 gossips here.
	stats := func() replica.Stats {
		var s replica.Stats
		for _, o := range d.outputs[0] {
			if st, ok := o.(replica.Stats); ok {
				s = st
			}
		}
		d.outputs[0], d.outputs[1] = nil, nil
		return s
	}
	next := 0
	for ; next < size; next++ {
		rs[0].Handle(d.ctx(0), core.Request{Body: replica.Add{X: fmt.Sprintf("element-%06d", next)}})
	}
	round()
	round() // falls quiet: outputs Stats
	initial := stats()
	changes := size / 100
	oldest := 0
	for range syncs {
		for i := range changes {
			if i%2 == 0 {
				rs[0].Handle(d.ctx(0), core.Request{Body: replica.Remove{X: fmt.Sprintf("element-%06d", oldest)}})
				oldest++
			} else {
				rs[0].Handle(d.ctx(0), core.Request{Body: replica.Add{X: fmt.Sprintf("element-%06d", next)}})
				next++
			}
		}
		round()
	}
	round()
	s := stats()
	if !rs[1].State().LessEq(rs[0].State()) || !rs[0].State().LessEq(rs[1].State()) {
		panic("replicas did not converge")
	}
	return s.BytesSent - initial.BytesSent, s.BytesFull - initial.BytesFull
}

// With 10,000-element add-wins sets and 1% of the elements changed between
// syncs, delta-interval anti-entropy ships at most 5% of what full-state
// anti-entropy ships (the target).
func TestDeltaSyncShipsAtMostFivePercentOfFullState(t *testing.T) {
	delta, full := syncFigures(10_000, 10)
	ratio := float64(delta) / float64(full)
	t.Logf("10 syncs of 100 changes to a 10,000-element AWSet: delta sync %d B, full-state sync %d B, ratio %.2f%%", delta, full, 100*ratio)
	if ratio > 0.05 {
		t.Fatalf("delta sync shipped %.1f%% of full-state sync, want ≤ 5%%", 100*ratio)
	}
}

func BenchmarkDeltaVsFullState10kAWSet(b *testing.B) {
	var delta, full int64
	for b.Loop() {
		delta, full = syncFigures(10_000, 10)
	}
	b.ReportMetric(float64(delta)/10, "delta-B/sync")
	b.ReportMetric(float64(full)/10, "full-B/sync")
	b.ReportMetric(100*float64(delta)/float64(full), "delta-%-of-full")
}

// converge100 runs the G-counter campaign on 100 replicas, each
// incrementing once in the first second, and returns its report.
func converge100(fanout int, spec string) map[string]any {
	k := replica.GCounterKind()
	k.OpsPerNode = 1
	k.Config.Fanout = fanout
	sc := replica.Scenario(k)
	sp, err := fault.Parse(spec)
	if err != nil {
		panic(err)
	}
	out, err := sim.Setup{Scenario: sc, N: 100, Faults: sp}.RunOne(context.Background(), 1, nil)
	if err != nil {
		panic(err)
	}
	if len(out.Violations) > 0 {
		panic(fmt.Sprint(out.Violations))
	}
	return sc.Report(out.Result.History)
}

// Convergence time of 100 simulated replicas, in gossip rounds after the
// last operation, for full fan-out and for epidemic fan-out.
func TestConvergenceOf100Replicas(t *testing.T) {
	if testing.Short() {
		t.Skip("100 replicas: run without -short")
	}
	for _, c := range []struct {
		fanout int
		spec   string
	}{{0, ""}, {3, ""}, {1, ""}, {3, "drop=0.1"}} {
		rep := converge100(c.fanout, c.spec)
		t.Logf("fanout=%d faults=%q: converged=%v rounds_to_converge=%v replication_bytes_sent=%v replication_bytes_full_state=%v messages=%v",
			c.fanout, c.spec, rep["converged"], rep["rounds_to_converge"], rep["replication_bytes_sent"], rep["replication_bytes_full_state"],
			rep["delta_messages"].(int)+rep["full_state_messages"].(int)+rep["ack_messages"].(int))
		if rep["converged"] != true {
			t.Fatalf("100 replicas did not converge: %v", rep)
		}
	}
}

func BenchmarkConvergence100Replicas(b *testing.B) {
	var rep map[string]any
	for b.Loop() {
		rep = converge100(3, "")
	}
	b.ReportMetric(float64(rep["rounds_to_converge"].(int)), "rounds")
}
