package replica_test

import (
	"testing"

	"github.com/rondo-dev/rondo/kv"
	"github.com/rondo-dev/rondo/replica"
	"github.com/rondo-dev/rondo/scenario"
)

// The sizes at which outside testing saw anti-entropy stall: 1 MiB values
// (three replicas writing four each: a 12 MiB store), and thousands of
// 3 KB values (1,000 per replica: 9 MB, and more deltas than the buffer
// keeps, so that the whole state must move).
var large = []struct {
	name          string
	writes, bytes int
}{
	{"kv-1MiB-values", 4, 1 << 20},
	{"kv-3KB-values", 1000, 3000},
}

// lastValues is the last Snapshot.Value of every node, restarted ones
// included.
func lastValues(h *scenario.History) []string {
	out := make([]string, h.N)
	for _, o := range h.Observations {
		if s, ok := o.Value.(replica.Snapshot); ok && o.Output {
			out[o.Node] = s.Value
		}
	}
	return out
}

// A store several times larger than one message converges under loss,
// duplication, reordering, a partition that heals, a crash and restart, and
// a replica that joins empty after every write: every round moves each peer
// forward, and no message the transport would refuse is ever built.
func TestAStoreLargerThanAFrameConvergesUnderFaults(t *testing.T) {
	specs := []string{
		"drop=0.2,dup=0.2,reorder=0.3,delay=1ms..20ms",
		"partition@100ms={0}|{1,2},heal@2s",
		"crash@400ms=1,restart@1500ms=1,drop=0.1",
		"crash@0s=2,restart@2s=2", // node 2 joins empty once the writes are done
	}
	for _, size := range large {
		for i, spec := range specs {
			t.Run(size.name+"/"+spec, func(t *testing.T) {
				s := setup(t, replica.Scenario(kv.Campaign(size.name, size.writes, size.bytes)), 3, spec)
				for seed := uint64(i + 1); seed <= uint64(i+runs(2)/2); seed++ {
					out, err := s.RunOne(t.Context(), seed, nil)
					if err != nil {
						t.Fatal(err)
					}
					res := out.Result
					if len(out.Violations) > 0 {
						t.Fatalf("seed %d: %v", seed, out.Violations)
					}
					if res.TooLarge != 0 {
						t.Fatalf("seed %d: %d messages over the frame limit", seed, res.TooLarge)
					}
					if !res.Quiescent {
						t.Fatalf("seed %d: the run did not fall quiet by %v", seed, res.End)
					}
					// Every node, restarted ones included, ends on one store.
					if v := lastValues(res.History); v[0] != v[1] || v[0] != v[2] {
						t.Fatalf("seed %d: replicas ended apart: %q", seed, v)
					}
					t.Logf("seed %d: converged by %v, %d messages, store %s", seed, res.End, res.Sent, lastValues(res.History)[0])
				}
			})
		}
	}
}

// The anti-entropy before frame budgets — each interval or state in one
// message, whatever its size — is caught by the same campaign: the
// simulator refuses what the transport would, and the replicas stay apart.
func TestOneMessageAntiEntropyIsCaughtPastTheFrameLimit(t *testing.T) {
	for _, size := range large {
		t.Run(size.name, func(t *testing.T) {
			s := setup(t, replica.Scenario(replica.OneMessage(kv.Campaign(size.name, size.writes, size.bytes))), 3, "crash@0s=2,restart@2s=2")
			s.MaxTime = 20e9
			out, err := s.RunOne(t.Context(), 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			if out.Result.TooLarge == 0 {
				t.Fatal("no message over the frame limit: the campaign is too small to show anything")
			}
			v := lastValues(out.Result.History)
			if v[0] == v[2] {
				t.Fatalf("the joining replica caught up (%q) though %d messages were refused", v, out.Result.TooLarge)
			}
			t.Logf("%d messages refused as too large; replica 0 holds %s, the joiner %s", out.Result.TooLarge, v[0], v[2])
		})
	}
}
