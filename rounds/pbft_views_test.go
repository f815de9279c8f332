package rounds_test

import (
	"testing"

	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
)

// PBFT views do not wrap: with no cap on rounds beyond the runtime's own,
// seed 318 of byzantine=1,drop=0.1 used to run past view 127 (round 651,
// when views were int8: a prepared certificate turned into "none" and a
// later view committed another value, an irrevocability violation).
func TestPBFTViewsDoNotWrapInALongRun(t *testing.T) {
	s := setup(t, rounds.Scenario(algos.PBFT(), none), 4, "byzantine=1,drop=0.1")
	out, err := s.RunOne(t.Context(), 318, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Violations) > 0 {
		t.Fatalf("seed 318: %v", out.Violations)
	}
}

// PBFT terminates in the runs that did not: every seed below failed
// termination in a campaign (rondo sim pbft --runs 1000 --faults SPEC, or
// with --seed 1001 --runs 3000 for 1337, or along the way for 241). Causes,
// one per runtime rule (see runtime_machine.go and runtime_slot.go): a
// correct node one round ahead of the others was never joined
// (waitForLaggards); a node that learned the decision from f+1 peers left,
// leaving too few correct nodes in the rounds to decide and too few
// correct deciders to learn from (slot.learn); a node jumped a round on a
// message of the next one that merely overtook this round's, losing the
// primary's pre-prepare (catch-up by one round waits a little: soonAt);
// nodes whose timeouts differ drifted views apart unseen, since view-change
// reports go to the primary only (announce); an undecided node had used up
// its n Asks before the last correct decider decided (asks are then rate
// limited, not capped).
func TestPBFTTerminatesInFormerlyStuckRuns(t *testing.T) {
	for _, c := range []struct {
		n     int
		spec  string
		seeds []uint64
	}{
		{4, "byzantine=1,drop=0.1", []uint64{148, 824, 1337}},
		{4, "crash=1,drop=0.1", []uint64{89, 139, 154, 162, 333, 359, 416, 452, 472}},
		{7, "byzantine=2,delay=1ms..5ms", []uint64{63, 70, 104, 241, 299, 427, 476, 491, 514, 564, 635, 758}},
	} {
		s := setup(t, rounds.Scenario(algos.PBFT(), none), c.n, c.spec)
		for _, seed := range c.seeds {
			out, err := s.RunOne(t.Context(), seed, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Violations) > 0 {
				t.Errorf("-n %d %s seed %d: %v", c.n, c.spec, seed, out.Violations)
			}
		}
	}
}
