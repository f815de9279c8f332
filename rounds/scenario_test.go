package rounds_test

import (
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
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
// nodes for PBFT.
func TestEveryAlgorithmHoldsUnderTheFaultsItTolerates(t *testing.T) {
	cases := []struct {
		sc    scenario.Scenario
		n     int
		specs []string
	}{
		{rounds.Scenario(algos.OTR(), none), 4, []string{"", "drop=0.2,dup=0.05,reorder=0.2,delay=1ms..10ms", "crashes=1,drop=0.1", "partitions=2,drop=0.1"}},
		{rounds.Scenario(algos.UniformVoting(), none), 5, []string{"drop=0.2,crash=1,delay=1ms..10ms", "partitions=2,drop=0.1"}},
		{rounds.Scenario(algos.LastVoting(), none), 5, []string{"crash=1", "drop=0.1,delay=1ms..5ms", "crashes=1"}},
		{rounds.Scenario(algos.ShortLastVoting(), none), 5, []string{"drop=0.2,crash=1,delay=1ms..10ms"}},
		{rounds.Scenario(algos.BenOr(), none), 5, []string{"drop=0.2,crash=1,delay=1ms..10ms", "partitions=1,crash=1"}},
		{rounds.Scenario(algos.FloodMin(1), none), 4, []string{"crash=1", "crashes=1,delay=1ms..5ms"}},
		{rounds.Scenario(algos.KSet(2, 2), none), 5, []string{"crash=2"}},
		{rounds.Scenario(algos.LatticeAgreement(1), none), 4, []string{"crash=1"}},
		{rounds.Scenario(algos.Epsilon(3), none), 4, []string{"crash=2,delay=1ms..5ms"}},
		{rounds.Scenario(algos.TwoPC(), none), 3, []string{"", "drop=0.1,delay=1ms..10ms"}},
		{rounds.Scenario(algos.ERB(1), none), 4, []string{"crash=1"}},
		{rounds.Scenario(algos.Leader(), none), 4, []string{"drop=0.1,crash=1"}},
		{rounds.Scenario(algos.PBFT(), none), 4, []string{"byzantine=1", "byzantine=1,delay=1ms..5ms", "crash=1", "byzantine=1,drop=0.1", "crash=1,drop=0.1"}},
		{rounds.Scenario(algos.PBFT(), none), 7, []string{"byzantine=2,delay=1ms..5ms"}},
	}
	for _, c := range cases {
		for _, spec := range c.specs {
			t.Run(c.sc.Name+"/"+spec, func(t *testing.T) {
				s := setup(t, c.sc, c.n, spec)
				camp, err := s.RunCampaign(1, runs(40), sim.CampaignOptions{})
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

// The broken variants of the library are caught by the same check, with a
// seed that replays the violation.
func TestBrokenVariantsAreCaughtWithASeed(t *testing.T) {
	cases := []struct {
		sc       scenario.Scenario
		n        int
		spec     string
		property string
		runs     int // 0: 400
	}{
		{rounds.Scenario(algos.BrokenOTRMajority(), none), 5, "drop=0.3", "agreement", 0},
		// Its coordinator rounds end as soon as a majority (or the one
		// coordinator message) is in: most instances decide in their first
		// phase, and the later phase that overturns a decision is rarer
		// (first at seed 545).
		{rounds.Scenario(algos.BrokenLastVotingNoTimestamps(), rounds.ScenarioOptions{Instances: 10}), 5, "drop=0.3", "agreement", 1000},
		// With quorums of 2f, a later view commits another value: the
		// replicas that decided see their own decision overturned.
		{rounds.Scenario(algos.BrokenPBFTQuorum2f(), none), 4, "byzantine=1,drop=0.2", "irrevocability", 0},
	}
	for _, c := range cases {
		t.Run(c.sc.Name, func(t *testing.T) {
			s := setup(t, c.sc, c.n, c.spec)
			runs := c.runs
			if runs == 0 {
				runs = 400
			}
			camp, err := s.RunCampaign(1, runs, sim.CampaignOptions{KeepGoing: true})
			if err != nil {
				t.Fatal(err)
			}
			// The lowest seed whose run violates the property (a broken
			// algorithm may also fail to terminate in other runs).
			var f *sim.Outcome
			for i := range camp.Failures {
				for _, v := range camp.Failures[i].Violations {
					if f == nil && v.Property == c.property {
						f = &camp.Failures[i]
					}
				}
			}
			if f == nil {
				t.Fatalf("%s: no %s violation in %d runs under %s (%d failed otherwise)", c.sc.Name, c.property, runs, c.spec, len(camp.Failures))
			}
			again, err := s.RunOne(f.Seed, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(again.Violations) != len(f.Violations) {
				t.Fatalf("seed %d does not replay: %v then %v", f.Seed, f.Violations, again.Violations)
			}
			t.Logf("caught at seed %d: %s", f.Seed, f.Violations[0])
		})
	}
}

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
	out, err := setup(t, sc, 3, "").RunOne(1, nil)
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
