// Package cluster runs core.Process values on the real network: one
// goroutine per node drives its process with messages from the transport,
// client requests and timers, exactly as the simulator drives it in virtual
// time, in batches that commit their storage writes once (group commit)
// before anything they sent or output leaves the node. It also holds what a
// real deployment needs around that loop: the cluster config file, durable
// Storage (DiskStorage, an embedded Pebble store), the metrics and pprof
// HTTP endpoint, and RunLocal, which runs a whole scenario on loopback TLS
// in one OS process and collects the history its properties are checked on.
package cluster
