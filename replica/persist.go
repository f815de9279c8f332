package replica

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/rondo-dev/rondo/core"
)

// CompactEvery is how many logged deltas a replica keeps in Storage before
// it writes its whole state once and drops them.
const CompactEvery = 256

// Storage layout, under Config.StorageKey:
//
//	state            uvarint c ‖ encoded X (as of c)
//	log/%016x        encoded delta number l (l ≥ the c of state)
//
// Each change costs one Put of its delta, not of the whole state; every
// CompactEvery changes the state is rewritten and the log dropped. A crash
// between the two leaves deltas already in the state: merging them again
// is harmless, since merge is idempotent.

func (r *Node[L]) logKey(l uint64) string {
	return fmt.Sprintf("%slog/%016x", r.cfg.StorageKey, l)
}

// persist makes change r.seq-1, whose encoded delta is enc, durable. When
// Storage fails the node stops for good, and the caller must return at once:
// acknowledging, forwarding or even reporting what is not durable would let
// a restart forget it while peers or clients think it is here. (The Storage
// every world hands a process already stops it on a failed write; Fail here
// makes sure of it whatever the Storage.)
func (r *Node[L]) persist(ctx core.Context, enc []byte) error {
	st := ctx.Storage()
	err := st.Put(r.logKey(r.seq-1), enc)
	if err == nil {
		r.logged++
		if r.logged >= CompactEvery {
			err = r.compact(st)
		}
	}
	if err != nil {
		err = fmt.Errorf("replica %d: cannot persist change %d: %w", r.self, r.seq-1, err)
		ctx.Fail(err)
	}
	return err
}

// reload rebuilds the state from Storage — the join of every change
// recorded — dropping whatever a refused operation's mutator left in it. It
// reports false when that fails, which stops the node: its memory no longer
// matches what it made durable.
func (r *Node[L]) reload(ctx core.Context) bool {
	seq := r.seq
	r.state, r.seq, r.logged = r.cfg.Bottom(r.self), 0, 0
	err := r.restore(ctx.Storage())
	if err == nil && r.seq != seq {
		err = fmt.Errorf("storage holds %d changes, the replica recorded %d", r.seq, seq)
	}
	if err != nil {
		ctx.Fail(fmt.Errorf("replica %d: cannot reload the state after a refused operation: %w", r.self, err))
		return false
	}
	return true
}

func (r *Node[L]) compact(st core.Storage) error {
	b := binary.AppendUvarint(nil, r.seq)
	b, err := r.cfg.Codec.Append(b, r.state)
	if err != nil {
		return err
	}
	if err := st.Put(r.cfg.StorageKey+"state", b); err != nil {
		return err
	}
	for _, k := range st.Keys(r.cfg.StorageKey + "log/") {
		if err := st.Delete(k); err != nil {
			return err
		}
	}
	r.logged = 0
	return nil
}

// restore loads the state and replays the logged deltas after it.
func (r *Node[L]) restore(st core.Storage) error {
	if b, ok := st.Get(r.cfg.StorageKey + "state"); ok {
		c, k := binary.Uvarint(b)
		if k <= 0 {
			return fmt.Errorf("counter: %w", errTruncated)
		}
		s, err := r.cfg.Codec.Decode(b[k:])
		if err != nil {
			return err
		}
		r.state, r.seq = s, c
	}
	prefix := r.cfg.StorageKey + "log/"
	for _, key := range st.Keys(prefix) {
		var l uint64
		if _, err := fmt.Sscanf(strings.TrimPrefix(key, prefix), "%x", &l); err != nil {
			return fmt.Errorf("log key %q: %w", key, err)
		}
		b, _ := st.Get(key)
		d, err := r.cfg.Codec.Decode(b)
		if err != nil {
			return fmt.Errorf("log entry %d: %w", l, err)
		}
		r.state.Merge(d)
		r.seq = max(r.seq, l+1)
		r.logged++
	}
	return nil
}
