package replica_test

import (
	"testing"
	"time"

	"github.com/rondo-dev/rondo/replica"
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
		return max(full/10, 2)
	}
	return full
}

// Every CRDT converges, to the join of every operation applied, under
// loss, duplication, reordering, partitions that heal and crashes.
func TestEveryCRDTConvergesUnderTheFaultsItTolerates(t *testing.T) {
	specs := []string{
		"",
		"drop=0.3,dup=0.1,reorder=0.3,delay=1ms..20ms",
		"drop=0.2,partitions=2,crashes=1",
		"partition@100ms={0,1}|{2,3,4},heal@3s,crash@500ms=4,restart@2s=4",
		"drop=0.1,crash=1",
	}
	for _, sc := range replica.Scenarios() {
		for _, spec := range specs {
			t.Run(sc.Name+"/"+spec, func(t *testing.T) {
				s := setup(t, sc, 5, spec)
				c, err := s.RunCampaign(t.Context(), 1, runs(20), sim.CampaignOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(c.Failures) > 0 {
					f := c.Failures[0]
					t.Fatalf("seed %d: %v", f.Seed, f.Violations)
				}
			})
		}
	}
}

// A quiet cluster sends nothing: once every replica has acknowledged
// everything the run ends on its own, well before the time bound, and the
// report says the replicas converged.
func TestAntiEntropyFallsQuietAndReports(t *testing.T) {
	s := setup(t, replica.Scenario(replica.ORSetKind()), 4, "drop=0.2,dup=0.1,reorder=0.2")
	out, err := s.RunOne(t.Context(), 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Result.Quiescent {
		t.Fatalf("the run did not fall quiet; it stopped at %v", out.Result.End)
	}
	rep := s.Scenario.Report(out.Result.History)
	t.Logf("report: %v", rep)
	if rep["converged"] != true || rep["replication_bytes_sent"].(int64) == 0 || rep["replication_bytes_full_state"].(int64) == 0 {
		t.Fatalf("report: %v", rep)
	}
}

// Shipping each delta once and forgetting it loses updates for good under
// message loss; the convergence check catches it and the seed replays.
func TestFireAndForgetDeltasAreCaughtDiverging(t *testing.T) {
	s := setup(t, replica.Scenario(replica.FireAndForget(replica.GCounterKind())), 4, "drop=0.2")
	c, err := s.RunCampaign(t.Context(), 1, 20, sim.CampaignOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Failures) == 0 {
		t.Fatal("best-effort delta shipping survived 20 lossy runs")
	}
	f := c.Failures[0]
	t.Logf("caught at seed %d: %s", f.Seed, f.Violations[0])
	again, err := s.RunOne(t.Context(), f.Seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Violations) == 0 || again.Violations[0] != f.Violations[0] {
		t.Fatalf("seed %d did not replay: %v vs %v", f.Seed, again.Violations, f.Violations)
	}
}

// An OR-set without causal context, under the very same campaign and
// anti-entropy, ends with replicas apart or a removed element back.
func TestORSetWithoutCausalContextIsCaught(t *testing.T) {
	s := setup(t, replica.Scenario(replica.NaiveORSetKind()), 5, "drop=0.2,reorder=0.3,delay=1ms..20ms")
	// Replicas of a non-commutative merge can flip an element back and
	// forth between them for ever; bound each run.
	s.MaxTime = 5 * time.Second
	c, err := s.RunCampaign(t.Context(), 1, 20, sim.CampaignOptions{KeepGoing: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Failures) == 0 {
		t.Fatal("the naive OR-set survived 20 runs")
	}
	kinds := map[string]int{}
	for _, f := range c.Failures {
		for _, v := range f.Violations {
			kinds[v.Property]++
		}
	}
	t.Logf("%d of %d runs failed; violations by property: %v; first: %v", len(c.Failures), c.Runs, kinds, c.Failures[0].Violations[0])
}
