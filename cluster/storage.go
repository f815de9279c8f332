package cluster

import "github.com/rondo-dev/rondo/core"

// BatchStorage is a core.Storage that groups writes, for group commit: Put
// and Delete take effect at once for Get and Keys (a handler reads its own
// writes, and so does every later handler of the same batch) but become
// durable only at Commit, all together, or never, after Rollback.
//
// A node whose Storage is a BatchStorage handles events in batches, in the
// manner of etcd raft's Ready: it handles every event waiting in its inbox
// (up to NodeConfig.MaxBatch), holding back what they send and output,
// calls Commit once, and only then lets their messages and outputs leave.
// One fsync thus covers a whole batch, and no effect ever leaves before
// the state it depends on is durable. A Commit that fails stops the node
// for good (fail-stop): nothing of that batch leaves it. A node that stops
// in the middle of a batch (Stop, a crash) calls Rollback, so the next
// incarnation on the same Storage starts from what was committed.
//
// DiskStorage is the BatchStorage of the real runtime. A Storage that is not
// a BatchStorage (core.MemStorage) is written through at every Put; the node
// still holds a batch's effects until the batch ends.
type BatchStorage interface {
	core.Storage
	// Commit makes every Put and Delete since the last Commit (or
	// Rollback) durable at once, atomically: after a crash either all of
	// them are there or none. Committing nothing costs nothing. A
	// BatchStorage that is a core.LazyStorage may commit a batch of lazy
	// writes only without making it durable yet: the next Commit with an
	// ordinary write makes it durable, with every earlier batch (commits
	// become durable in order).
	Commit() error
	// Rollback forgets every Put and Delete since the last Commit.
	Rollback()
}

// fsyncCounter is a storage that counts the fsyncs it makes, for the
// rondo_storage_fsyncs_total metric.
type fsyncCounter interface {
	Fsyncs() uint64
}
