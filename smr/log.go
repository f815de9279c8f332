package smr

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rondo-dev/rondo/core"
)

// The log: "smr/log/<index in 16 hex digits>" = the batch decided at that
// index, written in the handler that applies it, for every index after the
// latest snapshot. A restart restores the snapshot and applies these
// entries again; a peer behind is served from them (catchup.go).
//
// Entries are lazy writes (core.LazyStorage): no fsync of their own. An
// entry need not be durable before the reply that depends on it leaves,
// because the value it holds is durable elsewhere: at a majority's
// acceptor records, which the runtime keeps until it is truncated. And
// truncation cannot outrun the entries: the runtime's floor is a strict
// write, always made after the entries it covers (in the same handler or
// a later one), so it makes them durable too (a strict write makes every
// earlier lazy one durable); a snapshot is strict likewise. A crash may
// thus lose only entries above the floor, as a suffix of the log: the
// restart applies the entries that remain, and the runtime (whose records
// for those instances are still there) or the peers (catch-up) hand the
// rest out again, the same values at the same indexes. Deleting entries a
// snapshot holds is lazy too: a deletion lost in a crash leaves entries
// at or below the snapshot's index, which a restart skips and the next
// snapshot deletes.

const logPrefix = "smr/log/"

func logKey(index uint64) string { return fmt.Sprintf("%s%016x", logPrefix, index) }

func parseLogKey(k string) (uint64, error) {
	hex := strings.TrimPrefix(k, logPrefix)
	idx, err := strconv.ParseUint(hex, 16, 64)
	if err != nil || len(hex) != 16 {
		return 0, fmt.Errorf("smr: a stored log entry has a malformed key %q", k)
	}
	return idx, nil
}

// recover rebuilds the state of the previous incarnation from Storage: the
// latest snapshot, then the entries after it, in order, as far as they go
// (a crash may have lost a suffix of them: see above). The runtime is
// truncated up to what the log holds, so that its decisions come out of
// Next from the next index on; its floor is never above that.
func (n *Node) recover() error {
	st := n.ctx.Storage()
	meta, ok, err := loadSnapMeta(st)
	if err != nil {
		return err
	}
	if ok {
		if err := n.restoreSnapshot(meta); err != nil {
			return err
		}
	}
	for _, k := range st.Keys(logPrefix) {
		idx, err := parseLogKey(k)
		if err != nil {
			return err
		}
		if idx <= n.applied {
			continue // below the snapshot: a deletion cut short
		}
		if idx != n.applied+1 {
			// Entries are written in order, one handler at a time: a gap
			// means the entries after it were fetched ahead (they will be
			// again).
			n.ctx.Logger().Warn("smr: a gap in the stored log; the rest will be fetched", "applied", n.applied, "next", idx)
			break
		}
		v, _ := st.Get(k)
		n.logBytes += len(v)
		n.apply(idx, string(v))
	}
	return n.truncateRuntime(n.applied)
}

// drain applies the runtime's decisions, in log order.
func (n *Node) drain() {
	for n.failed == nil {
		d, ok := n.rt.Next()
		if !ok {
			return
		}
		n.commit(d.Instance, d.Value)
	}
}

// commit writes the batch decided at index in the log (lazily) and
// applies it, if it is the next one; then it may take a snapshot and
// truncate the runtime, both strict writes made after the entry.
func (n *Node) commit(index uint64, v string) {
	if index != n.applied+1 {
		return // applied already (catch-up ran ahead of the runtime), or not yet
	}
	if err := core.PutLazy(n.ctx.Storage(), logKey(index), []byte(v)); err != nil {
		n.failed = fmt.Errorf("smr: cannot write log entry %d: %w", index, err) // the world's Storage called Fail
		return
	}
	n.logBytes += len(v)
	n.apply(index, v)
	n.maybeSnapshot()
	n.maybeTruncateRuntime()
}

// apply applies the batch at index to the state machine: each command at
// most once (the session table), answering the requests waiting here.
func (n *Node) apply(index uint64, v string) {
	cmds, err := decodeBatch(v)
	if err != nil {
		// Every replica decided these same bytes and skips them alike.
		n.ctx.Logger().Error("smr: a decided batch does not decode; skipped", "index", index, "err", err)
	}
	for _, c := range cmds {
		res, oc := n.sess.check(c.client, c.seq)
		switch oc {
		case fresh:
			data := n.sm.Apply(c.cmd)
			res = result{index: index, data: data}
			n.sess.record(c.client, c.seq, index, data)
			n.stats.Executed++
			if n.cfg.Observe {
				n.ctx.Output(Executed{Index: index, Client: c.client, Seq: c.seq})
			}
		case duplicate:
			n.stats.Duplicates++
		case expired:
			n.stats.Expired++
		}
		n.lead.forget(c.key())
		n.waiters.answer(n, c.key(), res, oc)
	}
	n.applied = index
	n.progress = n.ctx.Now()
	n.lead.decided(n, index, v)
}

// truncateRuntime forgets the runtime's instances up to upTo: their records
// and decisions are in this log (or a snapshot) now. A node that truncated
// an instance never takes part in it again; a peer that still needs its
// value fetches it from a log.
func (n *Node) truncateRuntime(upTo uint64) error {
	if upTo <= n.rtFloor {
		return nil
	}
	if err := n.rt.Truncate(n.ctx, upTo); err != nil {
		return err
	}
	n.rtFloor = upTo
	return nil
}

// maybeTruncateRuntime truncates the runtime a window behind the log, once
// per window: the runtime's decision log keeps answering a follower that
// missed the value of a recent instance (its fast path), and truncating
// costs a scan of its records.
func (n *Node) maybeTruncateRuntime() {
	lag := uint64(n.cfg.Window)
	if n.applied < n.rtFloor+2*lag {
		return
	}
	if err := n.truncateRuntime(n.applied - lag); err != nil {
		n.failed = err
	}
}

// deleteLog deletes the log entries up to upTo (a snapshot holds them,
// written before, strictly), lazily.
func (n *Node) deleteLog(upTo uint64) error {
	st := n.ctx.Storage()
	for _, k := range st.Keys(logPrefix) {
		idx, err := parseLogKey(k)
		if err != nil {
			return err
		}
		if idx > upTo {
			break
		}
		if err := core.DeleteLazy(st, k); err != nil {
			return fmt.Errorf("smr: cannot delete log entry %d: %w", idx, err)
		}
	}
	return nil
}
