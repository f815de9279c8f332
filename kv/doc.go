// Package kv is Rondo's lattice key-value service: an eventually consistent
// store in the style of Anna (Wu, Faleiro, Zhang, Hellerstein, "Anna: A KVS
// for Any Scale", ICDE 2018). Every key holds a lattice value — a
// last-writer-wins register, whose versions (clock reading, node) are
// totally ordered — and the whole store is the map lattice of those
// registers, so replicas that have merged the same writes hold the same
// state, whatever order the writes arrived in.
//
// A replica takes reads and writes alone: a write is stamped, joined into
// the local store, made durable and acknowledged; delta-state anti-entropy
// (package replica) then spreads it, over the cluster runtime's
// authenticated TCP. Deletes are writes of a tombstone, so that a delete
// beats an older put that arrives after it.
//
// Read-your-writes sessions. Besides the keys, the store holds a session
// clock: for each replica, how many writes it made (a lattice.VClock). Every response carries the Rondo-Session header, the join of the
// client's token and the replica's clock. A read that sends the token back
// waits until the replica's clock has caught up with it — at which point
// the replica holds every write the session made or read, because
// anti-entropy delivers each replica's deltas causally — and answers 503
// (Retry-After: 1) if that takes longer than Options.SessionWait or
// ?wait=D. We wait rather than redirect because a replica cannot know
// which peer has the writes, and the client can: it may retry at the
// replica it wrote to.
//
// The HTTP API (Service.Handler) is GET, PUT and DELETE on /kv/{key};
// docs/replication.md has curl examples. It is plain, unauthenticated HTTP:
// bind it to loopback (the default) or put it behind a TLS proxy that
// authenticates clients. What a client can hold is bounded (HTTPLimits:
// timeouts, connections, uploads in progress), a request whose client goes
// away stops, and Replica.Shutdown lets requests in progress finish before
// the node stops. A replica whose storage fails stops for good (Done, Err).
//
// A store larger than one anti-entropy message (4 MiB) replicates in
// pieces: Store implements lattice.Splitter, by key ranges with the session
// clock last. Campaign runs the store in the simulator at megabyte sizes.
package kv
