package smr_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/rondo-dev/rondo/sim"
	"github.com/rondo-dev/rondo/smr/simkv"
)

// runs is how many seeds a campaign runs: n in CI, SMR_RUNS to run more.
func runs(n int) int {
	if v, err := strconv.Atoi(os.Getenv("SMR_RUNS")); err == nil && v > 0 {
		return v
	}
	return n
}

func campaign(t *testing.T, opt simkv.Options, n int, faults string, seeds int) {
	t.Helper()
	s, err := sim.NewSetup(simkv.Scenario(opt), n, faults)
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		out, err := s.RunOne(t.Context(), seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Violations) > 0 || out.Incomplete != "" {
			t.Fatalf("-n %d --faults %q --seed %d: %v %s", n, faults, seed, out.Violations, out.Incomplete)
		}
		if out.Result.TooLarge != 0 {
			t.Fatalf("seed %d: %d messages too large", seed, out.Result.TooLarge)
		}
		if testing.Verbose() && seed == 1 {
			t.Logf("seed 1: %d events, %v virtual, %v", out.Result.Events, out.Result.End, simkv.Scenario(opt).Report(out.Result.History))
		}
	}
}

func TestTheLogDecidesAndAppliesInOrderWithoutFaults(t *testing.T) {
	campaign(t, simkv.Options{}, 3, "", 5)
}

func TestQuickFaults(t *testing.T) {
	for _, f := range []string{"drop=0.1", "dup=0.2,reorder=0.2,delay=1ms..10ms", "crashes=1", "partitions=2", "crash=1", "drop=0.1,crashes=1,partitions=1,delay=1ms..10ms"} {
		t.Run(f, func(t *testing.T) { campaign(t, simkv.Options{}, 3, f, runs(20)) })
	}
}
