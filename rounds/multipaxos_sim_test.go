package rounds_test

import (
	"testing"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos/registry"
	"github.com/rondo-dev/rondo/scenario"
)

// multiPaxos is the registry's multipaxos scenario with values of size
// bytes.
func multiPaxos(size int, opt rounds.ScenarioOptions) scenario.Scenario {
	e, _ := registry.Lookup("multipaxos")
	opt.ValueSize = size
	return e.Scenario(registry.Defaults(), opt)
}

// Multi-Paxos decides values of a megabyte, and values at the largest size
// a proposal may have, under loss and crashes with restarts: every message
// round-trips through the codec under the transport's frame limit, and
// none is too large (each carries one value at most).
func TestMultiPaxosCarriesValuesUpToTheLimitInTheSimulator(t *testing.T) {
	for _, c := range []struct {
		size  int
		spec  string
		seeds int
	}{
		{1 << 20, "drop=0.1,crashes=1,delay=1ms..5ms", runs(8)},
		{rounds.MaxValueSize - 4, "drop=0.1", 2}, // a 4-byte uvarint length: MaxValueSize encoded
	} {
		s := setup(t, multiPaxos(c.size, none), 3, c.spec)
		for seed := uint64(1); seed <= uint64(c.seeds); seed++ {
			out, err := s.RunOne(t.Context(), seed, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Violations) > 0 || out.Incomplete != "" {
				t.Fatalf("%d-byte values, seed %d: %v %s", c.size, seed, out.Violations, out.Incomplete)
			}
			if out.Result.TooLarge != 0 {
				t.Fatalf("%d-byte values, seed %d: %d messages too large", c.size, seed, out.Result.TooLarge)
			}
		}
	}
}

// A proposal one byte past the limit is refused at the node, with the
// reason in its output; nothing too large reaches the network.
func TestAProposalPastTheLimitIsRefusedInTheSimulator(t *testing.T) {
	s := setup(t, multiPaxos(rounds.MaxValueSize-3, rounds.ScenarioOptions{Instances: 1}), 3, "")
	out, err := s.RunOne(t.Context(), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	refused, decided := 0, 0
	for _, o := range out.Result.History.Observations {
		switch v := o.Value.(type) {
		case rounds.Refused:
			if o.Output && v.Instance == 1 {
				refused++
			}
		case rounds.DecisionOf[string]:
			decided++
		}
	}
	if refused != 3 || decided != 0 || out.Result.TooLarge != 0 {
		t.Fatalf("%d refusals, %d decisions, %d messages too large", refused, decided, out.Result.TooLarge)
	}
}

// Nodes that crash and restart rejoin the instances they voted in from
// their records (rather than only asking their peers), and the runs keep
// agreement and decide.
func TestRestartedNodesRejoinTheirInstancesFromTheirRecords(t *testing.T) {
	sc := multiPaxos(4<<10, rounds.ScenarioOptions{Instances: 10})
	var rts []*rounds.RuntimeOf[string]
	newNode := sc.New
	sc.New = func(id core.NodeID, n int) core.Process {
		p := newNode(id, n)
		rts = append(rts, p.(*rounds.RuntimeOf[string]))
		return p
	}
	s := setup(t, sc, 3, "crashes=1,drop=0.05")
	rejoined := 0
	for seed := uint64(1); seed <= uint64(runs(30)); seed++ {
		rts = rts[:0]
		out, err := s.RunOne(t.Context(), seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Violations) > 0 {
			t.Fatalf("seed %d: %v", seed, out.Violations)
		}
		for _, rt := range rts {
			rejoined += rt.Stats().Rejoined
		}
	}
	if rejoined == 0 {
		t.Fatal("no restarted node rejoined an instance from its record")
	}
	t.Logf("%d instances rejoined from records", rejoined)
}

// When the stable leader crashes, the rounds of its instances move to the
// next ballot, whose coordinator decides them with the full phase, finds the
// old leader silent, and takes over the lease: the instances after that
// start at their accept round again, under the new leader.
func TestWhenTheLeaderCrashesAnotherNodeTakesOverTheLease(t *testing.T) {
	sc := multiPaxos(1<<10, rounds.ScenarioOptions{Instances: 20})
	var rts []*rounds.RuntimeOf[string]
	newNode := sc.New
	sc.New = func(id core.NodeID, n int) core.Process {
		p := newNode(id, n)
		rts = append(rts, p.(*rounds.RuntimeOf[string]))
		return p
	}
	s := setup(t, sc, 3, "crash@70ms=0")
	out, err := s.RunOne(t.Context(), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Violations) > 0 || out.Incomplete != "" {
		t.Fatalf("%v %s", out.Violations, out.Incomplete)
	}
	if led := rts[0].Stats().Leased; led == 0 {
		t.Fatal("node 0 never led with the lease before it crashed")
	}
	var heir *rounds.RuntimeOf[string]
	for _, rt := range rts[1:] {
		if st := rt.Lease(); st.Held {
			heir = rt
		}
	}
	if heir == nil || heir.Stats().Leased == 0 {
		t.Fatalf("no node took over the lease: %+v %+v", rts[1].Lease(), rts[2].Lease())
	}
	t.Logf("the heir's lease %+v after %d leased instances", heir.Lease(), heir.Stats().Leased)
}
