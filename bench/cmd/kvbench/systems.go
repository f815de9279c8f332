package main

import (
	"github.com/rondo-dev/rondo/bench/etcdraft"
	"github.com/rondo-dev/rondo/bench/hraft"
	"github.com/rondo-dev/rondo/bench/kvbench"
)

// peers are the systems every candidate is compared against; each cell's
// better peer is the one with the higher median throughput there.
func peers(o options) []kvbench.System {
	return []kvbench.System{
		etcdraft.System{},
		hraft.System{Off: o.hashicorpOff},
	}
}

// candidates are the systems given a ratio to the better peer. Rondo's
// linearizable KV belongs here once it exists: a package bench/rondokv whose
// System starts three replicas of the kv service in this process (talking
// over loopback TCP, data under the directory Start is given, fsync per the
// flag) and whose Cluster.Put calls the leader's Go API in process, as the
// peers' harnesses do, and returns once the write is committed and applied.
// Add it to this list and nothing else changes.
func candidates(options) []kvbench.System {
	return nil
}
