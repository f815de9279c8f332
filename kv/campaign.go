package kv

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/replica"
)

func (w write) String() string {
	if w.Delete {
		return fmt.Sprintf("delete(%s)", w.Key)
	}
	return fmt.Sprintf("put(%s, %d bytes)", w.Key, len(w.Value))
}

// Campaign is the KV store's convergence campaign for the simulator, at a
// chosen size: each replica makes writes PUTs of size-byte values — mostly
// to keys of its own, some to keys every replica writes, and a delete now
// and then — and anti-entropy must bring every replica to the same store,
// the join of every write applied. With megabytes in play (1 MiB values,
// or thousands of kilobyte values) the state outgrows one message, so the
// campaign exercises delta-groups cut to the frame budget and whole-state
// transfers in pieces. Writes are stamped with the simulator's clock.
// Replicas output their state only when they fall quiet (Kind.QuietState),
// and Snapshot.Value is a digest of the store, equal on equal stores.
func Campaign(name string, writes, size int) replica.Kind[*Store] {
	return replica.Kind[*Store]{
		Name:    name,
		Summary: fmt.Sprintf("lattice KV store, %d writes of %d bytes per replica, replicated by delta-interval anti-entropy", writes, size),
		Config: replica.Config[*Store]{
			Bottom: func(core.NodeID) *Store { return &Store{} },
			Codec:  replica.BinaryCodec(func() *Store { return &Store{} }),
			Apply: func(ctx core.Context, st *Store, op any) (*Store, error) {
				w, ok := op.(write)
				if !ok {
					return nil, fmt.Errorf("%v is not a KV write", op)
				}
				v := Version{Time: uint64(ctx.Now()) + 1, Node: ctx.ID()}
				if cur := st.Get(w.Key); cur != nil && !cur.Version.Less(v) {
					v.Time = cur.Version.Time + 1
				}
				return st.Write(ctx.ID(), w.Key, &Entry{Version: v, Value: w.Value, Deleted: w.Delete}), nil
			},
			Value:              Digest,
			SkipFullStateStats: true,
		},
		Op: func(rng *rand.Rand, node core.NodeID, k int) any {
			if k > 2 && rng.IntN(10) == 0 {
				return write{Key: fmt.Sprintf("n%d/%d", node, rng.IntN(k)), Delete: true}
			}
			key := fmt.Sprintf("n%d/%d", node, k)
			if rng.IntN(8) == 0 {
				key = fmt.Sprintf("shared/%d", rng.IntN(4))
			}
			v := make([]byte, size)
			fill := byte(rng.Uint32())
			for i := range v {
				v[i] = fill + byte(i)
			}
			copy(v, key)
			return write{Key: key, Value: v}
		},
		OpsPerNode: writes,
		QuietState: true,
	}
}

// Digest sums a hash of every key's version, tombstone flag and value
// length, and of the session clock: equal stores have equal digests, in
// time linear in the keys (no sorting), so that it can label every change of
// a large store. (It leaves out the causal map, which the campaign does not
// use.)
func Digest(s *Store) string {
	var sum uint64
	h := fnv.New64a()
	var b []byte
	for k, e := range s.keys {
		b = append(b[:0], k...)
		b = binary.AppendUvarint(append(b, 0), e.Version.Time)
		b = binary.AppendUvarint(b, uint64(e.Version.Node))
		b = binary.AppendUvarint(b, uint64(len(e.Value)))
		if e.Deleted {
			b = append(b, 1)
		}
		h.Reset()
		h.Write(b)
		sum += h.Sum64()
	}
	for _, n := range s.clock.Nodes() {
		b = binary.AppendUvarint(append(b[:0], "\x00clock"...), uint64(n))
		b = binary.AppendUvarint(b, s.clock.Get(n))
		h.Reset()
		h.Write(b)
		sum += h.Sum64()
	}
	return fmt.Sprintf("%d keys %016x", len(s.keys), sum)
}
