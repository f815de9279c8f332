package broadcast_test

import (
	"testing"

	"github.com/rondo-dev/rondo/broadcast"
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

func campaignRuns(t *testing.T, full int) int {
	if testing.Short() {
		return full / 10
	}
	return full
}

// Under every fault broadcast tolerates, validity, agreement and integrity
// hold in every seeded run.
func TestPropertiesHoldUnderTheFaultsItTolerates(t *testing.T) {
	for _, spec := range []string{
		"",
		"drop=0.3,crashes=1",
		"drop=0.2,dup=0.05,delay=1ms..20ms",
		"drop=0.3,dup=0.1,reorder=0.3,crash=2,partitions=2",
		"partition@100ms={0,1}|{2,3,4},heal@3s,crash@1s=4,restart@2s=4",
	} {
		t.Run(spec, func(t *testing.T) {
			s := setup(t, broadcast.Scenario(), 5, spec)
			c, err := s.RunCampaign(t.Context(), 1, campaignRuns(t, 300), sim.CampaignOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Failures) > 0 {
				f := c.Failures[0]
				t.Fatalf("seed %d: %v", f.Seed, f.Violations)
			}
			if c.Delivered == 0 {
				t.Fatal("campaign delivered no message at all")
			}
		})
	}
}

// Best-effort broadcast (send once, relay nothing, never retransmit) loses
// messages for good under loss; the same property check catches it and
// names a seed that replays the loss.
func TestBestEffortBroadcastIsCaughtUnderLoss(t *testing.T) {
	s := setup(t, broadcast.BrokenScenario(false, false), 5, "drop=0.3")
	c, err := s.RunCampaign(t.Context(), 1, 50, sim.CampaignOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Failures) == 0 {
		t.Fatal("a broadcast that relays nothing survived 50 lossy runs")
	}
	f := c.Failures[0]
	if f.Violations[0].Property != "validity" {
		t.Fatalf("want a validity violation first, got %v", f.Violations)
	}
	t.Logf("caught at seed %d: %s", f.Seed, f.Violations[0])

	// The seed replays: the same run fails the same way.
	again, err := s.RunOne(t.Context(), f.Seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Violations) != len(f.Violations) || again.Violations[0] != f.Violations[0] {
		t.Fatalf("seed %d did not replay: %v vs %v", f.Seed, again.Violations, f.Violations)
	}
}

// Without the relay, links alone do not give agreement: an origin that
// crashes after some of its sends were lost leaves the correct nodes split.
func TestNoRelayBreaksAgreementWhenTheOriginCrashes(t *testing.T) {
	s := setup(t, broadcast.BrokenScenario(false, true), 5, "drop=0.3,crash=1")
	c, err := s.RunCampaign(t.Context(), 1, 400, sim.CampaignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Failures) == 0 {
		t.Fatal("broadcast without relay survived 400 runs with a crashing origin")
	}
	found := false
	for _, f := range c.Failures {
		for _, v := range f.Violations {
			found = found || v.Property == "agreement"
		}
	}
	if !found {
		t.Fatalf("want an agreement violation, got %v", c.Failures[0].Violations)
	}
}

// A node that crashes and restarts keeps its sequence number, so messages it
// broadcasts after the restart are not mistaken for old ones.
func TestSequenceNumbersSurviveARestart(t *testing.T) {
	sc := broadcast.Scenario()
	sc.Workload = nil
	s := setup(t, sc, 3, "crash@1s=0,restart@2s=0")
	cfg := sim.Config{N: 3, Seed: 1, Faults: s.Faults, New: sc.New, Codec: sc.Codec(),
		Inputs: []scenario.Input{{At: 500e6, Node: 0, Body: "before"}, {At: 2500e6, Node: 0, Body: "after"}}}
	res, err := sim.Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	seqs := map[string]uint64{}
	for _, o := range res.History.Observations {
		if d, ok := o.Value.(broadcast.Delivery); ok && o.Node == 1 {
			seqs[d.Payload] = d.Seq
		}
	}
	if seqs["before"] != 1 || seqs["after"] != 2 {
		t.Fatalf("node 1 saw sequence numbers %v, want before=1 after=2", seqs)
	}
	if v := broadcast.Check(res.History); len(v) > 0 {
		t.Fatal(v)
	}
}
