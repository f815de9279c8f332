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
