package rounds_test

import (
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
	"github.com/rondo-dev/rondo/scenario"
	"github.com/rondo-dev/rondo/sim"
)

// BenchmarkOTRSim measures decided otr instances per second of wall time in
// the simulator: n=3, 2000 instances per run proposed 50µs apart (so that
// hundreds are in flight at once), every node proposing a value of its own
// (two rounds to decide), with and without the codec round trip.
func BenchmarkOTRSim(b *testing.B) {
	const n, instances = 3, 2000
	var inputs []scenario.Input
	for i := range instances {
		for id := range n {
			inputs = append(inputs, scenario.Input{At: time.Duration(i) * 50 * time.Microsecond, Node: core.NodeID(id),
				Body: rounds.Propose{Instance: uint64(i + 1), Value: rounds.Value((i + id) % 3)}})
		}
	}
	sc := rounds.Scenario(algos.OTR(), rounds.ScenarioOptions{})
	for _, mode := range []string{"plain", "codec"} {
		b.Run(mode, func(b *testing.B) {
			decided := 0
			b.ReportAllocs()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				cfg := sim.Config{N: n, Seed: uint64(i), New: sc.New, Inputs: inputs}
				if mode == "codec" {
					cfg.Codec = sc.Codec()
				}
				res, err := sim.Run(b.Context(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				for _, o := range res.History.Observations {
					if _, ok := o.Value.(rounds.Decision); ok && o.Output && o.Node == 0 {
						decided++
					}
				}
			}
			b.ReportMetric(float64(decided)/time.Since(start).Seconds(), "instances/s")
		})
	}
}
