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
	var took time.Duration
	if n.failed == nil && n.batcher != nil {
		start := time.Now()
		if err := n.batcher.Commit(); err != nil {
			n.failed = fmt.Errorf("storage commit failed: %w", err)
		}
		took = time.Since(start)
	}
	if n.failed != nil {
		n.discard()
		n.err = fmt.Errorf("node %d: %w: %w", n.cfg.ID, ErrFailStop, n.failed)
		n.log.Error("node stopped for good (fail-stop); fix the cause and restart it", "reason", n.failed.Error())
		return false
	}
	n.metrics.batched(n.cur.events, n.cur.wrote && n.batcher != nil, took)
	for _, s := range n.cur.sends {
		if err := n.tr.Send(s.to, s.payload); err != nil {
			n.log.Debug("send failed", "to", uint32(s.to), "reason", err.Error())
		}
	}
	if n.cfg.Output != nil {
		for _, o := range n.cur.outputs {
			n.cfg.Output(o)
		}
	}
	for _, ch := range n.cur.barriers {
		close(ch)
	}
	n.reset()
	return true
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
