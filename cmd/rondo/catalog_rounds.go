package main

import (
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos/registry"
	"github.com/rondo-dev/rondo/scenario"
)

// The round-based algorithms of rounds/algos, each run by the rounds
// runtime (rounds.Scenario): rondo sim otr, rondo run lastvoting, …
// They come from the registry, built with its default parameters; the
// deliberately broken variants are rondo check's only.
func init() {
	catalogEntries = append(catalogEntries, roundsScenarios)
}

func roundsScenarios() []scenario.Scenario {
	var scs []scenario.Scenario
	for _, e := range registry.Library() {
		scs = append(scs, e.Scenario(registry.Defaults(), rounds.ScenarioOptions{}))
	}
	return scs
}
