package rounds

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// records is what a node of a Durable algorithm keeps of its instances in
// Storage: one record per instance, "rounds/<alg>/i/<instance, 16 hex
// digits>" = uvarint round ‖ Durable.Append(part), rewritten whenever the
// durable part changes (before the round that follows sends anything). A
// record outlives its instance's decision: until the node forgets the
// instance (Truncate), a restart rejoins it, and the rounds decide again
// what they decided before (agreement), or the peers answer with it.
type records[V comparable] struct {
	// restored lists the instances with a record found at Init, in order,
	// rejoined when the node restarts (restart).
	restored []uint64
	// due: restart has not run yet in this incarnation (wake).
	due bool
	// stored lists the instances whose record is in Storage: written in
	// this incarnation, or found at Init (below the floor too, where a
	// deletion was cut short). Truncate deletes exactly these, instead of
	// listing the prefix: in an LSM store a listing walks past every
	// record deleted since the last compaction, so it grows with the log.
	stored map[uint64]struct{}
}

// note records that instance inst has a record in Storage.
func (r *records[V]) note(inst uint64) {
	if r.stored == nil {
		r.stored = make(map[uint64]struct{})
	}
	r.stored[inst] = struct{}{}
}

func (rt *RuntimeOf[V]) recPrefix() string { return "rounds/" + rt.eng.name() + "/i/" }

func (rt *RuntimeOf[V]) recKey(inst uint64) string {
	return rt.recPrefix() + fmt.Sprintf("%016x", inst)
}

func (rt *RuntimeOf[V]) floorKey() string { return "rounds/" + rt.eng.name() + "/floor" }

// persist writes instance inst's record: the round about to send and the
// durable part (appendPart). A write that fails has stopped the node (the
// world's Storage called Fail).
func (rt *RuntimeOf[V]) persist(inst uint64, round int, appendPart func([]byte) ([]byte, error)) error {
	b, err := appendPart(binary.AppendUvarint(nil, uint64(round)))
	if err != nil {
		err = fmt.Errorf("rounds: cannot encode the durable state of instance %d: %w", inst, err)
		rt.fail(err)
		return err
	}
	if err := rt.ctx.Storage().Put(rt.recKey(inst), b); err != nil {
		return fmt.Errorf("rounds: cannot persist the durable state of instance %d: %w", inst, err)
	}
	rt.rec.note(inst)
	rt.stats.Persisted++
	return nil
}

// loadRecords lists the records an earlier incarnation left, to rejoin
// their instances at the restart. It reports false when a key does not
// parse (the node has stopped: it would not know what it voted).
func (rt *RuntimeOf[V]) loadRecords() bool {
	if !rt.eng.durable() {
		return true
	}
	prefix := rt.recPrefix()
	for _, k := range rt.ctx.Storage().Keys(prefix) {
		hex := strings.TrimPrefix(k, prefix)
		inst, err := strconv.ParseUint(hex, 16, 64)
		if err != nil || len(hex) != 16 {
			rt.fail(fmt.Errorf("rounds: a stored record has a malformed key %q", k))
			return false
		}
		rt.rec.note(inst)
		if inst <= rt.floor && rt.floor > 0 {
			continue // truncated; its deletion was cut short
		}
		rt.rec.restored = append(rt.rec.restored, inst)
		rt.touched = max(rt.touched, inst)
		rt.highest = max(rt.highest, inst)
	}
	return true
}

// loadFloor reads the truncation floor (Truncate). It reports false when it
// does not decode (the node has stopped).
func (rt *RuntimeOf[V]) loadFloor() bool {
	b, ok := rt.ctx.Storage().Get(rt.floorKey())
	if !ok {
		return true
	}
	if len(b) != 8 {
		rt.fail(fmt.Errorf("rounds: the stored truncation floor %q is corrupt: %d bytes, want 8", rt.floorKey(), len(b)))
		return false
	}
	rt.floor = binary.BigEndian.Uint64(b)
	rt.highest = max(rt.highest, rt.floor)
	rt.ord.next = max(rt.ord.next, rt.floor+1)
	return true
}

// restart rejoins every instance with a record, from the record, at the
// first round of the phase after the persisted round (a lease algorithm:
// no earlier than the adopted ballot). It runs once, at the Restart event
// or, in a world that sends none, at the first event.
func (rt *RuntimeOf[V]) restart() {
	rt.rec.due = false
	restored := rt.rec.restored
	rt.rec.restored = nil
	for _, inst := range restored {
		if inst <= rt.floor && rt.floor > 0 || rt.insts[inst] != nil {
			continue
		}
		b, ok := rt.ctx.Storage().Get(rt.recKey(inst))
		if !ok {
			continue
		}
		round, k := binary.Uvarint(b)
		if k <= 0 || round > MaxWireRound {
			rt.fail(fmt.Errorf("rounds: the stored state of instance %d is corrupt: bad round", inst))
			return
		}
		s := rt.newSlot(inst)
		if s == nil {
			rt.ctx.Logger().Warn("rounds: too many instances to rejoin them all after the restart", "left", inst)
			break
		}
		s.phase = phaseActive
		rt.stats.Rejoined++
		if err := s.m.rejoin(b[k:], rt.resumeAt(int(round))); err != nil {
			rt.fail(fmt.Errorf("rounds: the stored state of instance %d is corrupt: %w", inst, err))
			return
		}
		s.m.step()
	}
	rt.restartLease()
}

// resumeAt is where an instance persisted in round r rejoins: the first
// round of the next phase, and for a lease algorithm no earlier than the
// adopted ballot.
func (rt *RuntimeOf[V]) resumeAt(r int) int {
	k := rt.eng.phaseLen()
	at := (r/k + 1) * k
	if rt.eng.leased() {
		at = max(at, rt.lease.ballot*k)
	}
	return at
}

// dropRecords deletes the records at or below upTo (Truncate).
func (rt *RuntimeOf[V]) dropRecords(upTo uint64) error {
	var drop []uint64
	for inst := range rt.rec.stored {
		if inst <= upTo {
			drop = append(drop, inst)
		}
	}
	slices.Sort(drop) // in order, so that a run is a function of its seed
	st := rt.ctx.Storage()
	for _, inst := range drop {
		if err := st.Delete(rt.recKey(inst)); err != nil {
			return fmt.Errorf("rounds: cannot delete the record of instance %d: %w", inst, err)
		}
		delete(rt.rec.stored, inst)
	}
	return nil
}
