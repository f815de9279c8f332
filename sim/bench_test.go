package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/broadcast"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/scenario"
	"github.com/rondo-dev/rondo/sim"
	"github.com/rondo-dev/rondo/trace"
)

// BenchmarkBroadcast16 measures the simulator's speed on one core: eager
// reliable broadcast on 16 nodes, 100 broadcasts per run, no faults. It
// reports delivered messages and handled events per second of wall time.
func BenchmarkBroadcast16(b *testing.B) {
	const n, msgs = 16, 100
	var inputs []scenario.Input
	for i := range msgs {
		inputs = append(inputs, scenario.Input{At: time.Duration(i) * time.Millisecond, Node: core.NodeID(i % n), Body: fmt.Sprint("m", i)})
	}
	sc := broadcast.Scenario()
	for _, mode := range []string{"plain", "codec", "codec+trace"} {
		b.Run(mode, func(b *testing.B) {
			delivered, events := 0, 0
			b.ReportAllocs()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				cfg := sim.Config{N: n, Seed: uint64(i), New: sc.New, Inputs: inputs}
				if mode != "plain" {
					cfg.Codec = sc.Codec()
				}
				if mode == "codec+trace" {
					cfg.Trace = trace.NewWriter(nil)
				}
				res, err := sim.Run(b.Context(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				delivered += res.Delivered
				events += res.Events
			}
			secs := time.Since(start).Seconds()
			b.ReportMetric(float64(delivered)/secs, "delivered/s")
			b.ReportMetric(float64(events)/secs, "events/s")
		})
	}
}
