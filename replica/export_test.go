package replica

import "github.com/rondo-dev/rondo/lattice"

// FireAndForget turns k's anti-entropy into best-effort delta shipping: each
// local delta goes to every peer once, with no acknowledgement, no interval
// and no full-state fallback.
func FireAndForget[L lattice.Lattice[L]](k Kind[L]) Kind[L] {
	k.Name += "-fire-and-forget"
	k.Config.broken = fireAndForget
	return k
}

// OneMessage turns k's anti-entropy into what it was before frame budgets:
// every delta-interval, and every whole state, in one message however
// large.
func OneMessage[L lattice.Lattice[L]](k Kind[L]) Kind[L] {
	k.Name += "-one-message"
	k.Config.broken = oneMessage
	return k
}
