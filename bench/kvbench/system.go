// Package kvbench drives replicated key-value systems through one
// closed-loop write workload and reports throughput and latency per cell
// (system × concurrent clients × fsync mode).
//
// A system plugs in by implementing System (and the Cluster it starts) in a
// package of its own and being named in cmd/kvbench's list of systems; the
// workload, the measurement and the table are shared, so every system is
// measured by the same code.
package kvbench

import "context"

// System starts fresh clusters of one replicated key-value system.
type System interface {
	// Name is the short name that the --systems flag and the table use.
	Name() string

	// Start brings up a new cluster of three replicas that keep their data
	// under dir (an empty directory on the disk being measured) and talk
	// to each other over loopback TCP. With fsync false the replicas still
	// write what they would persist but never wait for the disk to make it
	// durable. Start returns once the cluster has a leader and accepts Put.
	Start(dir string, fsync bool) (Cluster, error)
}

// Cluster is a running cluster started by a System.
type Cluster interface {
	// Put writes value under key and returns once the write is committed
	// by a quorum and applied by the replica that acknowledges it: the
	// moment a client of that system would be told "done". Put is called
	// from many goroutines at once, in the benchmark's own process, and
	// must not reach the cluster through a client-facing network hop the
	// other systems do not pay (the peers are called in process).
	Put(ctx context.Context, key string, value []byte) error

	// Close stops every replica and releases their files and sockets.
	Close() error
}
