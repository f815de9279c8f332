package main

import (
	"github.com/rondo-dev/rondo/scenario"
	"github.com/rondo-dev/rondo/smr/simkv"
)

// The replicated log under a key-value state machine (rondo sim smr-kv),
// and its deliberately broken variant that serves reads without a read
// index (rondo sim smr-kv-stale-reads: the checks must fail it).
func init() {
	catalogEntries = append(catalogEntries, func() []scenario.Scenario {
		return []scenario.Scenario{simkv.Scenario(simkv.Options{}), simkv.StaleReads(simkv.Options{})}
	})
}
