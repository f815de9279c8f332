package cluster

import (
	"fmt"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// A node handles events in batches, for group commit (see BatchStorage):
// gather handles every event waiting in the inbox, up to the node's
// MaxBatch; commit then makes their storage writes durable with one
// Commit and only then releases what they sent and output. Timers are
// armed and cancelled at once: a timer firing is an event of the node
// itself, handled in a later batch, so it cannot leave anything early.
// Messages to self never leave the node either: they are handled in the
// same batch, in the order they were sent, before the next inbox event.

// batch holds the effects of the events handled since the last commit.
type batch struct {
	events   int  // events the process handled
	wrote    bool // a Put or Delete happened
	sends    []outgoing
	outputs  []Output
	barriers []chan struct{}
}

type outgoing struct {
	to      core.NodeID
	payload []byte
}

// barrier is an inbox event asking to be told when the batch it lands in
// is committed (Node.Barrier).
type barrier struct{ ch chan struct{} }

// gather handles events until the inbox is empty, the batch is full or
// the process failed; it waits for a first event when the batch is empty.
// It reports false when the node is stopping: the batch is then dropped,
// as a crash drops it.
func (n *Node) gather(ctx *nodeContext) bool {
	for n.cur.events < n.maxBatch && n.failed == nil {
		if len(n.local) > 0 {
			m := n.local[0]
			n.local = n.local[1:]
			n.handle(ctx, m)
			continue
		}
		var ev any
		if n.cur.events == 0 && len(n.cur.barriers) == 0 {
			select {
			case <-n.stopping:
				n.discard()
				return false
			case <-n.broken: // an earlier batch's commit failed
				return true // commit stops the node
			case ev = <-n.inbox:
			}
		} else {
			select {
			case <-n.stopping:
				n.discard()
				return false
			case ev = <-n.inbox:
			default:
				return true // the inbox is empty: commit what we have
			}
		}
		select {
		case <-n.stopping:
			n.discard() // a crash is immediate: nothing more is handled
			return false
		default:
		}
		switch ev := ev.(type) {
		case timerFired:
			if n.timers.fired(ev) {
				n.handle(ctx, core.Timer{Key: ev.key})
			}
		case core.Request:
			if n.cfg.OnRequest != nil {
				n.cfg.OnRequest(ev.Body)
			}
			n.handle(ctx, ev)
		case core.Message:
			n.handle(ctx, ev)
		case barrier:
			n.cur.barriers = append(n.cur.barriers, ev.ch)
		}
	}
	return true
}

func (n *Node) handle(ctx *nodeContext, ev core.Event) {
	n.proc.Handle(ctx, ev)
	n.cur.events++
}

// commit ends the batch: it commits the storage writes, then releases the
// batch's messages, outputs and barriers. It reports false when the node
// stops for good instead (the process failed, or the commit did): then
// nothing of the batch leaves the node.
func (n *Node) commit() bool {
	if n.failed == nil && n.commitAsync != nil {
		return n.commitPipelined()
	}
	var took time.Duration
	if n.failed == nil && n.batcher != nil {
		start := time.Now()
		if err := n.batcher.Commit(); err != nil {
			n.failed = fmt.Errorf("storage commit failed: %w", err)
		}
		took = time.Since(start)
	}
	if n.failed != nil {
		return n.failStop()
	}
	n.metrics.batched(n.cur.events, n.cur.wrote && n.batcher != nil, took)
	n.release(n.cur.sends, n.cur.outputs, n.cur.barriers)
	n.reset()
	return true
}

// failStop stops the node for good: nothing of the batch leaves it.
func (n *Node) failStop() bool {
	n.discard()
	n.err = fmt.Errorf("node %d: %w: %w", n.cfg.ID, ErrFailStop, n.failed)
	n.log.Error("node stopped for good (fail-stop); fix the cause and restart it", "reason", n.failed.Error())
	return false
}

// release lets a committed batch's effects out, in order.
func (n *Node) release(sends []outgoing, outputs []Output, barriers []chan struct{}) {
	for _, s := range sends {
		if err := n.tr.Send(s.to, s.payload); err != nil {
			n.log.Debug("send failed", "to", uint32(s.to), "reason", err.Error())
		}
	}
	if n.cfg.Output != nil {
		for _, o := range outputs {
			n.cfg.Output(o)
		}
	}
	for _, ch := range barriers {
		close(ch)
	}
}

// Pipelined commits. With a PipelinedStorage (DiskStorage) the node does
// not wait for the disk between two batches: commitPipelined makes the
// batch's writes visible (so the next batch reads them) and hands the
// batch's effects, with the wait for its fsync, to the node's committer
// goroutine, which releases them once the writes are durable, batch after
// batch in order. Meanwhile the node handles the next events; a leader
// handles its followers' answers and new requests while its own log is
// being synced, as etcd raft's server does. The rule is unchanged: no
// effect of a batch leaves the node before its writes, and every earlier
// batch's, are durable (Pebble syncs its log in order: a sync covers
// every earlier commit).

// PipelinedStorage is a BatchStorage that a node commits without waiting
// for the disk. A *DiskStorage is committed this way; a type that embeds
// one is not, unless it says so with PipelineCommits: a wrapper that
// overrides Commit (to watch or fail it) must not be bypassed by the
// CommitAsync it inherits.
type PipelinedStorage interface {
	BatchStorage
	// CommitAsync starts the commit of every write since the last one and
	// makes them visible to every later read at once; wait (nil when there
	// is nothing to wait for) returns once they are durable. Commits
	// become durable in the order they were made.
	CommitAsync() (wait func() error, err error)
	// PipelineCommits marks a type whose CommitAsync is its Commit in two
	// steps; it does nothing.
	PipelineCommits()
}

// pipelined is the storage's pipelined commit, if the node may use it.
func pipelined(st core.Storage) (commitAsync func() (func() error, error), ok bool) {
	switch s := st.(type) {
	case *DiskStorage:
		return s.CommitAsync, true
	case PipelinedStorage:
		return s.CommitAsync, true
	}
	return nil, false
}

// maxFlights bounds the batches committed and not yet released: past it
// the node waits for the disk, so a slow disk slows the node down rather
// than letting held effects pile up.
const maxFlights = 4

// flight is a committed batch whose effects wait for its writes to be
// durable.
type flight struct {
	wait     func() error
	wrote    bool
	events   int
	start    time.Time
	sends    []outgoing
	outputs  []Output
	barriers []chan struct{}
}

// commitPipelined ends the batch with a PipelinedStorage.
func (n *Node) commitPipelined() bool {
	select {
	case <-n.broken:
		n.failed = fmt.Errorf("storage commit failed: %w", n.brokenErr)
		return n.failStop()
	default:
	}
	start := time.Now()
	wait, err := n.commitAsync()
	if err != nil {
		n.failed = fmt.Errorf("storage commit failed: %w", err)
		return n.failStop()
	}
	if wait == nil && n.outstanding.Load() == 0 {
		// Nothing to wait for, and nothing before it still waits.
		n.metrics.batched(n.cur.events, n.cur.wrote, time.Since(start))
		n.release(n.cur.sends, n.cur.outputs, n.cur.barriers)
		n.reset()
		return true
	}
	f := &flight{wait: wait, wrote: n.cur.wrote, events: n.cur.events, start: start,
		sends: n.cur.sends, outputs: n.cur.outputs, barriers: n.cur.barriers}
	n.cur = batch{} // the flight owns the buffers now
	n.outstanding.Add(1)
	n.flights <- f // the committer takes every flight, even once broken
	return true
}

// committer releases the flights in order, each once its writes are
// durable. After a failed wait it releases nothing more (it still waits
// for every flight, which the store requires before it closes) and tells
// the node, which stops for good. Once the node is stopping (a crash) it
// releases nothing either: a crash may drop a batch whose commit was under
// way.
func (n *Node) committer() {
	defer close(n.committed)
	for f := range n.flights {
		var err error
		if f.wait != nil {
			err = f.wait()
		}
		switch {
		case n.brokenErr != nil:
		case err != nil:
			n.brokenErr = err
			close(n.broken)
		case n.isStopping():
		default:
			n.metrics.batched(f.events, f.wrote, time.Since(f.start))
			n.release(f.sends, f.outputs, f.barriers)
		}
		n.outstanding.Add(-1)
	}
}

func (n *Node) isStopping() bool {
	select {
	case <-n.stopping:
		return true
	default:
		return false
	}
}

// endFlights lets the committer finish, when the node's goroutine ends.
func (n *Node) endFlights() {
	if n.commitAsync != nil {
		close(n.flights)
		<-n.committed
	}
}

// discard drops the batch: its uncommitted writes and every effect.
func (n *Node) discard() {
	if n.batcher != nil {
		n.batcher.Rollback()
	}
	n.reset()
}

// reset empties the batch, keeping its buffers for the next one.
func (n *Node) reset() {
	clear(n.cur.sends)
	clear(n.cur.outputs)
	clear(n.cur.barriers)
	n.cur = batch{sends: n.cur.sends[:0], outputs: n.cur.outputs[:0], barriers: n.cur.barriers[:0]}
}

// writeMarker notes that the batch wrote to storage.
type writeMarker struct {
	core.Storage
	wrote *bool
}

func (w writeMarker) Put(key string, value []byte) error {
	*w.wrote = true
	return w.Storage.Put(key, value)
}

func (w writeMarker) Delete(key string) error {
	*w.wrote = true
	return w.Storage.Delete(key)
}

// PutLazy passes a lazy write on as one (core.LazyStorage), if the storage
// takes them.
func (w writeMarker) PutLazy(key string, value []byte) error {
	*w.wrote = true
	return core.PutLazy(w.Storage, key, value)
}

// DeleteLazy passes a lazy delete on as one.
func (w writeMarker) DeleteLazy(key string) error {
	*w.wrote = true
	return core.DeleteLazy(w.Storage, key)
}
