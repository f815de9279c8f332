package main

import (
	"github.com/rondo-dev/rondo/bench/etcdraft"
	"github.com/rondo-dev/rondo/bench/hraft"
	"github.com/rondo-dev/rondo/bench/kvbench"
	"github.com/rondo-dev/rondo/bench/rondokv"
)

// peers are the systems every candidate is compared against; each cell's
// better peer is the one with the higher median throughput there.
func peers(o options) []kvbench.System {
	return []kvbench.System{
		etcdraft.System{},
		hraft.System{Off: o.hashicorpOff},
	}
}

// candidates are the systems given a ratio to the better peer: Rondo's
// linearizable KV (bench/rondokv: three replicas in this process over
// loopback TCP, writes through the leader's Go API).
func candidates(options) []kvbench.System {
	return []kvbench.System{rondokv.System{}}
}

// notes say, for the table's header, what a system's settings mean.
func notes(o options) map[string]string {
	off := "raft-boltdb with bolt's NoSync (every write still goes through bolt)"
	if o.hashicorpOff == hraft.InMemory {
		off = "raft's in-memory log store (no storage work at all)"
	}
	return map[string]string{
		"etcd":      "etcd: one WAL write per Ready, one fdatasync when the Ready must be durable; fsync off skips only the fdatasync",
		"hashicorp": "hashicorp: raft-boltdb log and stable store behind raft's LogCache; fsync off uses " + off,
		"rondo": "rondo: the replicated log (Multi-Paxos rounds) on Pebble, one fdatasync per batch of events (group commit), " +
			"links over TLS 1.3 (the peers use plain TCP); fsync off commits through Pebble's log without the fdatasync (DiskOptions.NoSync)",
	}
}
