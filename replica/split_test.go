package replica_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt"
	"github.com/rondo-dev/rondo/kv"
	"github.com/rondo-dev/rondo/lattice"
	"github.com/rondo-dev/rondo/replica"
)

type store = replica.Node[*kv.Store]

// stores starts a replica of the KV store on every desk node, and returns
// them with the campaign kind that draws their writes.
func stores(d *desk, writes, size int, tweak func(*replica.Config[*kv.Store])) ([]*store, replica.Kind[*kv.Store]) {
	k := kv.Campaign("t", writes, size)
	return startAll(d, k.Config, tweak), k
}

// write has node write its k-th value of the kind's workload.
func write(d *desk, r *store, k replica.Kind[*kv.Store], node core.NodeID, i int) {
	rng := rand.New(rand.NewPCG(uint64(node), uint64(i)))
	r.Handle(d.ctx(node), core.Request{Body: k.Op(rng, node, i)})
}

// registry encodes messages as the transport does, to measure them.
var registry = func() *core.Registry {
	r := &core.Registry{}
	replica.Register(r)
	return r
}()

// frame is the size of m's encoding: what the transport carries.
func frame(t *testing.T, m any) int {
	t.Helper()
	b, err := registry.Append(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// pump runs gossip rounds on every node and hands each message over with
// fate's say (how many copies; the batch is delivered in reverse, so that
// messages overtake each other), until a round sends nothing. It returns the
// rounds run; check sees the nodes after every delivery.
func pump(t *testing.T, d *desk, rs []*store, fate func(round int, e envelope) int, check func()) int {
	t.Helper()
	for round := 1; round <= 200; round++ {
		d.later(time.Second) // whatever was in flight is overdue: lost messages go again
		for i, r := range rs {
			r.Handle(d.ctx(core.NodeID(i)), gossip)
		}
		if len(d.sent) == 0 {
			return round
		}
		for len(d.sent) > 0 {
			batch := d.take()
			slices.Reverse(batch)
			for _, e := range batch {
				if n := frame(t, e.msg); n > core.MaxMessageSize {
					t.Fatalf("round %d: %v is %d bytes encoded, over the %d-byte frame limit", round, e.msg, n, core.MaxMessageSize)
				}
				for range fate(round, e) {
					rs[e.to].Handle(d.ctx(e.to), core.Message{From: e.from, Body: e.msg})
					if check != nil {
						check()
					}
				}
			}
		}
	}
	t.Fatal("anti-entropy still sending after 200 rounds")
	return 0
}

func once(int, envelope) int { return 1 }

// Eight 1 MiB writes at one replica, then a small one: the interval a peer
// lacks is 8 MiB, twice what one message carries, so it goes out as the
// longest prefixes that fit, each acknowledged and followed by the next.
// Every write reaches the peer, copies and reordering notwithstanding.
func TestAnIntervalLargerThanAFrameGoesOutInPrefixesThatFit(t *testing.T) {
	d := newDesk(2)
	rs, k := stores(d, 8, 1<<20, nil)
	for i := range 8 {
		write(d, rs[0], k, 0, i)
	}
	small := kv.Campaign("small", 1, 10).Op(rand.New(rand.NewPCG(0, 99)), 0, 8)
	rs[0].Handle(d.ctx(0), core.Request{Body: small})
	var deltas []string
	rounds := pump(t, d, rs, func(round int, e envelope) int {
		if m, ok := e.msg.(replica.Delta); ok {
			deltas = append(deltas, m.String())
		}
		return 1 + round%2 // every other round, everything twice
	}, nil)
	if !lattice.Equal(rs[0].State(), rs[1].State()) || rs[1].State().Len() != rs[0].State().Len() {
		t.Fatalf("replica 1 holds %s, replica 0 %s", kv.Digest(rs[1].State()), kv.Digest(rs[0].State()))
	}
	t.Logf("%d rounds; delta-groups sent: %v", rounds, deltas)
	if len(deltas) < 3 {
		t.Fatalf("8 MiB went in %d delta-groups", len(deltas))
	}
}

// An empty replica joins a peer that wrote 6 MB in 2,000 keys, more deltas
// than its buffer keeps: the whole state goes, in pieces that each fit in a
// message, and arrives though pieces are lost, duplicated and reordered.
// The session clock comes last, so the joiner never claims writes it lacks.
func TestAnEmptyReplicaCatchesUpPastTheFrameLimit(t *testing.T) {
	d := newDesk(2)
	rs, k := stores(d, 2000, 3000, nil)
	for i := range 2000 {
		write(d, rs[0], k, 0, i)
	}
	var pieces []string
	clockBeforeKeys := false
	rounds := pump(t, d, rs, func(round int, e envelope) int {
		if m, ok := e.msg.(replica.Piece); ok {
			pieces = append(pieces, m.String())
			if round == 1 && m.Index == 0 {
				return 0 // lost
			}
		}
		return 2
	}, func() {
		if !rs[1].State().Clock().IsBot() && rs[1].State().Len() < rs[0].State().Len() {
			clockBeforeKeys = true
		}
	})
	if !lattice.Equal(rs[0].State(), rs[1].State()) {
		t.Fatalf("replica 1 holds %s, replica 0 %s", kv.Digest(rs[1].State()), kv.Digest(rs[0].State()))
	}
	if clockBeforeKeys {
		t.Fatal("replica 1 held the session clock before every key: a session read there could miss its writes")
	}
	t.Logf("%d rounds; pieces sent: %v", rounds, pieces)
	if len(pieces) < 3 {
		t.Fatalf("6 MB went in %d pieces", len(pieces))
	}
}

// A local operation whose delta would not fit in one message is refused:
// anti-entropy could never ship it. The refusal says why, the state is as
// before (the mutator's change in place is undone), and the replica goes on.
func TestALocalOperationWhoseDeltaDoesNotFitIsRefused(t *testing.T) {
	d := newDesk(2)
	rs, k := stores(d, 2, 5<<20, nil)
	var outcome error
	big := k.Op(rand.New(rand.NewPCG(0, 0)), 0, 0)
	rs[0].Handle(d.ctx(0), core.Request{Body: replica.Op{Body: big, Done: func(err error) { outcome = err }}})
	if !errors.Is(outcome, replica.ErrTooLarge) {
		t.Fatalf("a 5 MiB write was answered %v, want ErrTooLarge", outcome)
	}
	a, ok := d.outputs[0][len(d.outputs[0])-1].(replica.Applied)
	if !ok || !strings.Contains(a.Error, "one message carries at most") {
		t.Fatalf("last output %v, want an Applied that says the delta is too large", d.outputs[0][len(d.outputs[0])-1])
	}
	if st := rs[0].State(); !st.IsBot() || rs[0].Seq() != 0 {
		t.Fatalf("the refused write left %s at c=%d", kv.Digest(st), rs[0].Seq())
	}
	rs[0].Handle(d.ctx(0), core.Request{Body: replica.Inc{By: 1}}) // not a KV write: refused by Apply
	rs[0].Handle(d.ctx(0), gossip)
	if len(d.take()) != 0 || rs[0].Seq() != 0 {
		t.Fatal("a refused operation left something to gossip")
	}
}

// failingStore fails every write, as a full disk does.
type failingStore struct{ core.MemStorage }

func (*failingStore) Put(string, []byte) error { return errors.New("no space left on device") }

// A replica whose change cannot be made durable stops for good before it
// acknowledges the change, reports it, or forwards it.
func TestAFailedPersistStopsTheReplicaBeforeItAcknowledges(t *testing.T) {
	d := newDesk(2)
	rs := counters(d, nil)
	d.store[1] = &failingStore{}
	rs[0].Handle(d.ctx(0), core.Request{Body: replica.Inc{By: 3}})
	rs[0].Handle(d.ctx(0), gossip)
	deliver(rs, d, d.take()[0])
	if d.failed[1] == nil || !strings.Contains(d.failed[1].Error(), "no space left") {
		t.Fatalf("node 1 failed with %v, want the storage error", d.failed[1])
	}
	if sent := d.take(); len(sent) != 0 {
		t.Fatalf("node 1 sent %v after its write failed", sent)
	}
	if len(d.outputs[1]) != 0 {
		t.Fatalf("node 1 output %v after its write failed", d.outputs[1])
	}
	called := false
	rs[1].Handle(d.ctx(1), core.Request{Body: replica.Op{Body: replica.Inc{By: 1}, Done: func(error) { called = true }}})
	if called || len(d.outputs[1]) != 0 {
		t.Fatal("a local operation that could not be persisted was reported")
	}
}

// A state no message can carry, of a lattice that cannot split, is not sent
// and not silently dropped: the replica logs it at WARN with its size, once
// however many rounds try, and counts it.
func TestAnOversizedStateThatCannotSplitIsLoggedNotSent(t *testing.T) {
	d := newDesk(2)
	// A 5 MiB register left in storage (by a version with larger limits,
	// say): a restart loads it and must ship it whole to its peer.
	big := crdt.LWW[string]{}
	big.Set(0, 1, strings.Repeat("x", 5<<20))
	b, _ := big.AppendBinary([]byte{1})
	d.store[0].Put("replica/state", b)
	cfg := replica.LWWKind().Config
	r := replica.New(cfg)
	r.Init(d.ctx(0))
	for range 5 {
		d.later(time.Minute / 10)
		r.Handle(d.ctx(0), gossip)
	}
	if sent := d.take(); len(sent) != 0 {
		t.Fatalf("sent %v", sent)
	}
	logs := d.logs.String()
	if n := strings.Count(logs, "larger than one message"); n != 1 || !strings.Contains(logs, fmt.Sprintf("bytes=%d", len(b)-1)) {
		t.Fatalf("%d warnings, want 1 naming the %d bytes:\n%s", n, len(b)-1, logs)
	}
}

// The envelope MaxPiece leaves is enough: the largest state, with the
// largest header, encodes within the frame limit.
func TestTheLargestPieceFitsInOneMessage(t *testing.T) {
	state := make([]byte, replica.MaxPiece)
	for _, m := range []any{
		replica.Piece{Seq: 1<<64 - 1, Index: 1<<31 - 2, Count: 1<<31 - 1, State: state},
		replica.Delta{Lo: 1<<64 - 2, Hi: 1<<64 - 1, State: state},
	} {
		if n := frame(t, m); n > core.MaxMessageSize {
			t.Fatalf("%v encodes to %d bytes, over %d", m, n, core.MaxMessageSize)
		}
	}
}

// catchUp has node 0 write writes values of size bytes, then an empty node
// 1 catch up over a lossless desk; it returns node 0's state size and the
// traffic: bytes and messages each way (anti-entropy message bodies).
func catchUp(writes, size int) (state int, stats0, stats1 replica.Stats) {
	d := newDesk(2)
	rs, k := stores(d, writes, size, nil)
	for i := range writes {
		write(d, rs[0], k, 0, i)
	}
	b, _ := rs[0].State().AppendBinary(nil)
	last := func(node int) replica.Stats {
		var s replica.Stats
		for _, o := range d.outputs[node] {
			if st, ok := o.(replica.Stats); ok {
				s = st
			}
		}
		return s
	}
	for range 100 {
		d.later(time.Second)
		rs[0].Handle(d.ctx(0), gossip)
		rs[1].Handle(d.ctx(1), gossip)
		if len(d.sent) == 0 {
			break
		}
		for len(d.sent) > 0 {
			for _, e := range d.take() {
				rs[e.to].Handle(d.ctx(e.to), core.Message{From: e.from, Body: e.msg})
			}
		}
	}
	if !lattice.Equal(rs[0].State(), rs[1].State()) {
		panic("the empty replica did not catch up")
	}
	return len(b), last(0), last(1)
}

// What an empty replica's catch-up after about 6 MB costs: the pieces of
// the state and their acknowledgements, then the pieces it forwards back
// (none: it never sends a peer what came from that peer).
func BenchmarkEmptyReplicaCatchUp6MB(b *testing.B) {
	var state int
	var s0, s1 replica.Stats
	for b.Loop() {
		state, s0, s1 = catchUp(2800, 3000)
	}
	b.ReportMetric(float64(state), "state-B")
	b.ReportMetric(float64(s0.BytesSent+s1.BytesSent), "sent-B")
	b.ReportMetric(float64(s0.Deltas+s0.Pieces+s0.Acks+s1.Deltas+s1.Pieces+s1.Acks), "messages")
	b.ReportMetric(float64(s0.Pieces), "pieces")
}
