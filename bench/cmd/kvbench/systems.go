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

// notes say, for the table's header, what a system's settings mean.
func notes(o options) map[string]string {
	off := "raft-boltdb with bolt's NoSync (every write still goes through bolt)"
	if o.hashicorpOff == hraft.InMemory {
		off = "raft's in-memory log store (no storage work at all)"
	}
	return map[string]string{
		"etcd":      "etcd: one WAL write per Ready, one fdatasync when the Ready must be durable; fsync off skips only the fdatasync",
		"hashicorp": "hashicorp: raft-boltdb log and stable store behind raft's LogCache; fsync off uses " + off,
	}
}
