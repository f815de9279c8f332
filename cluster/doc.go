// Package cluster runs core.Process values on the real network: one
// goroutine per node drives its process with messages from the transport,
// client requests and timers, exactly as the simulator drives it in virtual
// time. It also holds what a real deployment needs around that loop: the
// cluster config file, durable file-backed Storage, the metrics and pprof
// HTTP endpoint, and RunLocal, which runs a whole scenario on loopback TLS
// in one OS process and collects the history its properties are checked on.
package cluster
