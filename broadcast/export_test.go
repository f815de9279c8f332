package broadcast

import "github.com/rondo-dev/rondo/scenario"

// BrokenScenario is broadcast with parts turned off, for showing that the
// property checks catch what then goes wrong.
func BrokenScenario(relay, retransmit bool) scenario.Scenario {
	return scenarioWith(options{relay: relay, retransmit: retransmit})
}
