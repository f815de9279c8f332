package check_test

import (
	"context"
	"testing"

	"github.com/rondo-dev/rondo/check"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
)

// bench explores alg b.N times and reports distinct states, stored states
// and transitions per second, and the explorer's peak memory.
func bench[S comparable, M comparable](b *testing.B, mk func() *rounds.Algorithm[S, M], opt check.Options) {
	b.ReportAllocs()
	var res *check.Result
	for b.Loop() {
		var err error
		if res, err = check.Run(context.Background(), mk(), opt); err != nil {
			b.Fatal(err)
		}
		if res.Violations != 0 {
			b.Fatalf("%d violations", res.Violations)
		}
	}
	s := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(res.States), "states")
	b.ReportMetric(float64(res.States+res.LivenessStates)/s, "stored/s")
	b.ReportMetric(float64(res.Transitions)/s, "transitions/s")
	b.ReportMetric(float64(res.StoreBytes)/(1<<20), "store-MiB")
}

// The yardstick: exhaustive LastVoting, n=5, 12 rounds (three
// phases), binary inputs.
func BenchmarkLastVotingN5R12(b *testing.B) {
	bench(b, algos.LastVoting, check.Options{N: 5, Rounds: 12})
}

func BenchmarkOTRN5R4V3(b *testing.B) {
	bench(b, algos.OTR, check.Options{N: 5, Rounds: 4, Values: 3})
}

func BenchmarkOTRN7R4Symmetric(b *testing.B) {
	bench(b, algos.OTR, check.Options{N: 7, Rounds: 4})
}

func BenchmarkPBFTN4R6Byzantine(b *testing.B) {
	bench(b, algos.PBFT, check.Options{N: 4, Rounds: 6, Byzantine: 1})
}

func BenchmarkLastVotingN3R8(b *testing.B) {
	bench(b, algos.LastVoting, check.Options{N: 3, Rounds: 8})
}
