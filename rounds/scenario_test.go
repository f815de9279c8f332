package rounds_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
	"github.com/rondo-dev/rondo/rounds/algos/registry"
	"github.com/rondo-dev/rondo/scenario"
	"github.com/rondo-dev/rondo/sim"
)

func setup(t *testing.T, sc scenario.Scenario, n int, spec string) sim.Setup {
	t.Helper()
	s, err := sim.NewSetup(sc, n, spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func runs(full int) int {
	if testing.Short() {
		return max(full/10, 3)
	}
	return full
}

var none rounds.ScenarioOptions

// Every algorithm of the library, run by the runtime in the simulator,
// keeps its safety properties and decides (where it promises to) under the
// faults its model tolerates: messages lost, duplicated, delayed and
// reordered, partitions that heal, crashes within its threshold, Byzantine
// nodes for PBFT. The algorithms come from the registry: one added there
// without fault specs here fails the test.
func TestEveryAlgorithmHoldsUnderTheFaultsItTolerates(t *testing.T) {
	type campaign struct {
		p     registry.Params // zero: registry.Defaults()
		n     int
		specs []string
	}
	cases := map[string][]campaign{
		"otr":               {{n: 4, specs: []string{"", "drop=0.2,dup=0.05,reorder=0.2,delay=1ms..10ms", "crashes=1,drop=0.1", "partitions=2,drop=0.1"}}},
		"uv":                {{n: 5, specs: []string{"drop=0.2,crash=1,delay=1ms..10ms", "partitions=2,drop=0.1"}}},
		"lastvoting":        {{n: 5, specs: []string{"crash=1", "drop=0.1,delay=1ms..5ms", "crashes=1"}}},
		"slv":               {{n: 5, specs: []string{"drop=0.2,crash=1,delay=1ms..10ms"}}},
		"benor":             {{n: 5, specs: []string{"drop=0.2,crash=1,delay=1ms..10ms", "partitions=1,crash=1"}}},
		"floodmin":          {{n: 4, specs: []string{"crash=1", "crashes=1,delay=1ms..5ms"}}},
		"kset":              {{p: registry.Params{F: 2, K: 2}, n: 5, specs: []string{"crash=2"}}},
		"lattice-agreement": {{n: 4, specs: []string{"crash=1"}}},
		"epsilon":           {{n: 4, specs: []string{"crash=2,delay=1ms..5ms"}}},
		"2pc":               {{n: 3, specs: []string{"", "drop=0.1,delay=1ms..10ms"}}},
		"erb":               {{n: 4, specs: []string{"crash=1"}}},
		"leader":            {{n: 4, specs: []string{"drop=0.1,crash=1"}}},
		"pbft": {
			{n: 4, specs: []string{"byzantine=1", "byzantine=1,delay=1ms..5ms", "crash=1", "byzantine=1,drop=0.1", "crash=1,drop=0.1"}},
			{n: 7, specs: []string{"byzantine=2,delay=1ms..5ms"}},
		},
		// 64 KiB values (the registry's scenario for multipaxos).
		"multipaxos": {
			{n: 3, specs: []string{"", "drop=0.2,dup=0.05,reorder=0.2,delay=1ms..10ms", "crashes=1,drop=0.1", "partitions=2,drop=0.1", "crash=1"}},
			{n: 5, specs: []string{"crashes=2,drop=0.1,delay=1ms..5ms"}},
		},
	}
	for _, e := range registry.Library() {
		camps, ok := cases[e.Name()]
		if !ok {
			t.Errorf("no fault specs for %s", e.Name())
		}
		for _, c := range camps {
			if c.p == (registry.Params{}) {
				c.p = registry.Defaults()
			}
			sc := e.Scenario(c.p, none)
			for _, spec := range c.specs {
				t.Run(fmt.Sprintf("%s/n=%d/%s", sc.Name, c.n, spec), func(t *testing.T) {
					s := setup(t, sc, c.n, spec)
					camp, err := s.RunCampaign(t.Context(), 1, runs(40), sim.CampaignOptions{})
					if err != nil {
						t.Fatal(err)
					}
					if len(camp.Failures) > 0 {
						f := camp.Failures[0]
						t.Fatalf("seed %d: %v", f.Seed, f.Violations)
					}
				})
			}
		}
	}
}

// The deliberately broken variants (package mutants) are caught by the same
// check, with a seed that replays the violation. Each campaign stops at its
// first failing run (the lowest failing seed); a run that only failed to
// terminate (a broken algorithm may also do that) is passed over, and the
// campaign goes on from the next seed.
func TestBrokenVariantsAreCaughtWithASeed(t *testing.T) {
	cases := map[string]struct {
		n    int
		spec string
		opt  rounds.ScenarioOptions
	}{
		"otr-majority": {5, "drop=0.3", none},
		// Its coordinator rounds end as soon as a majority (or the one
		// coordinator message) is in: most instances decide in their first
		// phase, and the later phase that overturns a decision is rarer.
		"lastvoting-nots": {5, "drop=0.3", rounds.ScenarioOptions{Instances: 10}},
		// With quorums of 2f, a later view commits another value, or a
		// value no honest replica proposed is committed.
		"pbft-2f": {4, "byzantine=1,drop=0.2", none},
		// The stale leader must lead a ballot, lose it undecided, and lead
		// again after another leader had a value decided.
		"multipaxos-stale-lease": {3, "drop=0.3", rounds.ScenarioOptions{Instances: 10}},
	}
	const maxRuns = 2000
	for _, e := range registry.Mutants() {
		t.Run(e.Name(), func(t *testing.T) {
			c, ok := cases[e.Name()]
			if !ok {
				t.Fatalf("no campaign for the mutant %s", e.Name())
			}
			s := setup(t, e.Scenario(registry.Defaults(), c.opt), c.n, c.spec)
			var f *sim.Outcome
			for first := uint64(1); f == nil; {
				if first > maxRuns {
					t.Fatalf("no safety violation in %d runs under %s", maxRuns, c.spec)
				}
				camp, err := s.RunCampaign(t.Context(), first, maxRuns-int(first)+1, sim.CampaignOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(camp.Failures) == 0 {
					t.Fatalf("no violation in seeds %d..%d under %s", first, maxRuns, c.spec)
				}
				if low := camp.Failures[0]; slices.ContainsFunc(low.Violations, safety) {
					f = &low
				} else {
					first = low.Seed + 1
				}
			}
			again, err := s.RunOne(t.Context(), f.Seed, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(again.Violations, f.Violations) {
				t.Fatalf("seed %d does not replay: %v then %v", f.Seed, f.Violations, again.Violations)
			}
			t.Logf("caught at seed %d: %s", f.Seed, f.Violations[0])
		})
	}
}

// safety reports whether v is a safety violation (not a missed decision).
func safety(v scenario.Violation) bool { return v.Property != "termination" }

// A fault spec beyond the algorithm's threshold is refused, naming it.
func TestFaultsBeyondTheThresholdAreRefused(t *testing.T) {
	for _, c := range []struct {
		sc   scenario.Scenario
		n    int
		spec string
	}{
		{rounds.Scenario(algos.OTR(), none), 4, "crash=2"},
		{rounds.Scenario(algos.OTR(), none), 4, "byzantine=1"},
		{rounds.Scenario(algos.PBFT(), none), 4, "byzantine=1,crash=1"},
		{rounds.Scenario(algos.FloodMin(1), none), 4, "drop=0.1"},
	} {
		sp, err := fault.Parse(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		s := sim.Setup{Scenario: c.sc, N: c.n, Faults: sp}
		err = s.Validate()
		if err == nil {
			t.Fatalf("%s -n %d accepted %s", c.sc.Name, c.n, c.spec)
		}
		t.Logf("%s %s: %v", c.sc.Name, c.spec, err)
	}
}

// The report gives decision latency in rounds and virtual milliseconds.
func TestReportGivesDecisionLatency(t *testing.T) {
	sc := rounds.Scenario(algos.OTR(), rounds.ScenarioOptions{Instances: 5})
	out, err := setup(t, sc, 3, "").RunOne(t.Context(), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := sc.Report(out.Result.History)
	if r["instances"] != 5 || r["decisions"] != 15 {
		t.Fatalf("report: %v", r)
	}
	if r["rounds_median"].(float64) < 1 || r["latency_ms_p99"].(float64) <= 0 {
		t.Fatalf("report: %v", r)
	}
	if !sc.Done(out.Result.History) {
		t.Fatal("Done is false after every node decided")
	}
}

// Round-based scenarios refuse more nodes than a process set holds
// (rounds.MaxN), with a reason naming the limit: the simulator, rondo run
// and rondo node all ask the scenario. (otr on 96 nodes used to run and
// report a false termination violation.)
func TestMoreNodesThanAProcessSetHoldsAreRefused(t *testing.T) {
	for _, n := range []int{rounds.MaxN + 1, 96} {
		_, err := sim.NewSetup(rounds.Scenario(algos.OTR(), none), n, "")
		if err == nil || !strings.Contains(err.Error(), "64") {
			t.Fatalf("otr on %d nodes: %v", n, err)
		}
		t.Log(err)
	}
	if _, err := sim.NewSetup(rounds.Scenario(algos.OTR(), none), rounds.MaxN, ""); err != nil {
		t.Fatalf("otr on %d nodes: %v", rounds.MaxN, err)
	}
}

// A Byzantine cluster goes quiet once every instance is decided: a decided
// replica lingers until 2f+1 replicas reported its decision, and asks again
// for the reports that were lost. (They were sent once: in 16 of the first
// 100 seeds of PBFT under 20% loss some replica ran empty rounds until the
// 60 s bound, every decision long made.)
func TestAByzantineClusterGoesQuietOnceEveryInstanceIsDecided(t *testing.T) {
	s := setup(t, rounds.Scenario(algos.PBFT(), none), 4, "byzantine=1,drop=0.2")
	for seed := uint64(1); seed <= uint64(runs(100)); seed++ {
		out, err := s.RunOne(t.Context(), seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Violations) > 0 || out.Result.End > 10*time.Second {
			t.Fatalf("seed %d: ran until %v of virtual time, violations %v", seed, out.Result.End, out.Violations)
		}
	}
}
