package main

import (
	"github.com/rondo-dev/rondo/broadcast"
	"github.com/rondo-dev/rondo/scenario"
)

// catalogEntries holds every protocol the CLI can run. Each model's
// catalog_*.go file appends its scenarios in an init function, so models can
// be added without editing a shared list.
var catalogEntries = []func() []scenario.Scenario{
	func() []scenario.Scenario { return []scenario.Scenario{broadcast.Scenario()} },
}

func catalog() *scenario.Catalog {
	c := &scenario.Catalog{}
	for _, entry := range catalogEntries {
		for _, s := range entry() {
			c.Add(s)
		}
	}
	return c
}

// lookupScenario finds a protocol by name and, when instances > 0, sets how
// many instances one run decides.
func lookupScenario(name string, instances int) (scenario.Scenario, error) {
	sc, ok := catalog().Lookup(name)
	if !ok {
		return sc, usageError{catalog().Unknown(name)}
	}
	if instances < 0 {
		return sc, usagef("--instances must be positive, got %d", instances)
	}
	if instances > 0 {
		if sc.Instances == nil {
			return sc, usagef("%s does not run instances; drop --instances", name)
		}
		sc = sc.Instances(instances)
	}
	return sc, nil
}
