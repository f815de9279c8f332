package main

import (
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
	"github.com/rondo-dev/rondo/scenario"
)

// The round-based algorithms of rounds/algos, each run by the rounds
// runtime (rounds.Scenario): rondo sim otr, rondo run lastvoting, …
// Algorithms built for a fault count use the parameters of algos.Infos.
func init() {
	catalogEntries = append(catalogEntries, roundsScenarios)
}

func roundsScenarios() []scenario.Scenario {
	var o rounds.ScenarioOptions
	return []scenario.Scenario{
		rounds.Scenario(algos.OTR(), o),
		rounds.Scenario(algos.UniformVoting(), o),
		rounds.Scenario(algos.LastVoting(), o),
		rounds.Scenario(algos.ShortLastVoting(), o),
		rounds.Scenario(algos.BenOr(), o),
		rounds.Scenario(algos.FloodMin(1), o),
		rounds.Scenario(algos.KSet(2, 1), o),
		rounds.Scenario(algos.LatticeAgreement(1), o),
		rounds.Scenario(algos.Epsilon(3), o),
		rounds.Scenario(algos.TwoPC(), o),
		rounds.Scenario(algos.ERB(1), o),
		rounds.Scenario(algos.Leader(), o),
		rounds.Scenario(algos.PBFT(), o),
	}
}
