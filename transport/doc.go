// Package transport carries Rondo messages between nodes over TCP.
//
// Each pair of nodes shares exactly one connection: the node with the lower
// id dials the higher one, and both directions use it. Connections are
// mutually authenticated with TLS 1.3 against a cluster CA; a node's
// certificate names its id (node-3.rondo), and a peer whose certificate does
// not chain to the CA, does not name a member of the cluster, or (on the
// dialing side) does not name the node that was dialed is refused before a
// single byte of its traffic reaches the caller. Every refusal is counted and
// logged with its reason, the logs rate-limited with a periodic count of
// what was held back.
//
// Unauthenticated connections cost bounded resources: a handshake has a
// deadline, and the handshakes in progress are bounded per address and
// overall by evicting the oldest, never by turning new connections away, so
// that sockets an attacker holds open cannot keep a peer out.
//
// On the wire a message is a frame: a 4-byte big-endian length followed by
// that many bytes of payload. Frames are bounded (Config.MaxFrame); an
// oversized, empty or truncated frame closes the connection with a logged
// reason. Sends are queued per peer in a bounded queue (a full queue drops
// and counts), and one writer goroutine per connection drains the queue into
// a buffered writer that is flushed only when the queue is empty, so that
// many small messages share one TLS record and one system call.
//
// The transport can also inject faults (Faults): per-message loss,
// duplication, delay and partitions, which is how the real runtime exercises
// the same fault specs as the simulator.
package transport
