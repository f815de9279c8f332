package replica_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/crdt"
	"github.com/rondo-dev/rondo/lattice"
	"github.com/rondo-dev/rondo/replica"
)

type counter = replica.Node[*crdt.GCounter]

func counters(d *desk, tweak func(*replica.Config[*crdt.GCounter])) []*counter {
	return startAll(d, replica.GCounterKind().Config, tweak)
}

// startAll starts a replica of cfg (changed by tweak, if set) on every desk
// node.
func startAll[L lattice.Lattice[L]](d *desk, cfg replica.Config[L], tweak func(*replica.Config[L])) []*replica.Node[L] {
	if tweak != nil {
		tweak(&cfg)
	}
	var rs []*replica.Node[L]
	for _, id := range d.nodes {
		r := replica.New(cfg)
		r.Init(d.ctx(id))
		rs = append(rs, r)
	}
	return rs
}

var gossip = core.Timer{Key: "replica/gossip"}

func deliver(rs []*counter, d *desk, e envelope) {
	rs[e.to].Handle(d.ctx(e.to), core.Message{From: e.from, Body: e.msg})
}

// Delta-groups may arrive twice, late, or out of order: merging is
// idempotent and commutative, so the replica ends where one in-order
// delivery would have left it, and it acknowledges every copy.
func TestDuplicatedAndReorderedDeltaGroupsChangeNothing(t *testing.T) {
	d := newDesk(2)
	rs := counters(d, nil)
	rs[0].Handle(d.ctx(0), core.Request{Body: replica.Inc{By: 3}})
	rs[0].Handle(d.ctx(0), gossip)
	first := d.take() // Delta [0,1): +3
	rs[0].Handle(d.ctx(0), core.Request{Body: replica.Inc{By: 4}})
	rs[0].Handle(d.ctx(0), gossip)
	second := d.take() // Delta [0,2): +7, since node 1 acknowledged nothing yet
	if got := fmt.Sprint(first[0].msg, " ", second[0].msg); got != "Delta{[0,1) 4B} Delta{[0,2) 4B}" {
		t.Fatalf("sent %s", got)
	}

	for _, e := range []envelope{second[0], first[0], second[0], first[0]} {
		deliver(rs, d, e)
	}
	if v := rs[1].State().Value(); v != 7 {
		t.Fatalf("node 1 counts %d, want 7", v)
	}
	acks := d.take()
	if len(acks) != 4 || fmt.Sprint(acks[0].msg, acks[1].msg) != "Ack{2} Ack{1}" {
		t.Fatalf("node 1 answered %v", acks)
	}
	for _, e := range acks {
		deliver(rs, d, e)
	}
	// Everything is acknowledged: the next round sends nothing and the
	// replica reports its traffic.
	rs[0].Handle(d.ctx(0), gossip)
	if extra := d.take(); len(extra) != 0 {
		t.Fatalf("a quiet replica sent %v", extra)
	}
	last := d.outputs[0][len(d.outputs[0])-1]
	if s, ok := last.(replica.Stats); !ok || s.Deltas != 2 {
		t.Fatalf("last output %v, want Stats with 2 delta-groups", last)
	}
}

// Lost messages are resent from the last acknowledged point, and a peer
// whose acknowledgement is older than the retained delta buffer gets the
// whole state instead.
func TestALaggingPeerGetsTheWholeState(t *testing.T) {
	d := newDesk(2)
	rs := counters(d, func(c *replica.Config[*crdt.GCounter]) { c.MaxDeltas = 2 })
	rs[0].Handle(d.ctx(0), core.Request{Body: replica.Inc{By: 1}})
	rs[0].Handle(d.ctx(0), gossip)
	deliver(rs, d, d.take()[0]) // node 1 gets [0,1)
	deliver(rs, d, d.take()[0]) // node 0 gets Ack{1}
	for range 3 {
		rs[0].Handle(d.ctx(0), core.Request{Body: replica.Inc{By: 1}})
		rs[0].Handle(d.ctx(0), gossip)
		d.take() // lost
	}
	d.later(time.Second) // the lost piece's acknowledgement is overdue
	rs[0].Handle(d.ctx(0), gossip)
	msgs := d.take()
	if got := fmt.Sprint(msgs[0].msg); got != "Piece{1/1 of c=4 4B}" {
		t.Fatalf("sent %s, want the whole state: deltas 1..3 no longer fit the buffer", got)
	}
	deliver(rs, d, msgs[0])
	if v := rs[1].State().Value(); v != 4 {
		t.Fatalf("node 1 counts %d, want 4", v)
	}
}

// A restarted replica reloads the state and counter it persisted before it
// acknowledged anything, and ships its whole state once, since its delta
// buffer is gone.
func TestARestartedReplicaRecoversFromStorage(t *testing.T) {
	d := newDesk(2)
	rs := counters(d, nil)
	rs[1].Handle(d.ctx(1), core.Request{Body: replica.Inc{By: 5}})
	rs[0].Handle(d.ctx(0), core.Request{Body: replica.Inc{By: 2}})
	rs[0].Handle(d.ctx(0), gossip)
	deliver(rs, d, d.take()[0]) // node 1 now counts 7 and acknowledges
	d.take()

	again := counters(d, nil)[1] // node 1 crashes and restarts: a fresh value
	again.Handle(d.ctx(1), core.Restart{Incarnation: 1})
	if v := again.State().Value(); v != 7 || again.Seq() != 2 {
		t.Fatalf("restarted node 1 counts %d at c=%d, want 7 at c=2", v, again.Seq())
	}
	again.Handle(d.ctx(1), gossip)
	if got := fmt.Sprint(d.take()[0].msg); got != "Piece{1/1 of c=2 6B}" {
		t.Fatalf("restarted node sent %s", got)
	}
}

// A delta-group that does not decode is dropped without an
// acknowledgement, so that its sender sends it again.
func TestAMalformedDeltaGroupIsDroppedUnacknowledged(t *testing.T) {
	d := newDesk(2)
	rs := counters(d, nil)
	deliver(rs, d, envelope{0, 1, replica.Delta{Lo: 0, Hi: 1, State: []byte{0xff, 0xff}}})
	if sent := d.take(); len(sent) != 0 {
		t.Fatalf("node 1 answered a malformed group with %v", sent)
	}
}

// The wire format round-trips and refuses what does not fit.
func TestMessagesRoundTripThroughTheCodec(t *testing.T) {
	r := &core.Registry{}
	replica.Register(r)
	for _, m := range []any{
		replica.Delta{Lo: 3, Hi: 9, State: []byte("xyz")}, replica.Ack{Seq: 300},
		replica.Piece{Seq: 1 << 40, Index: 6, Count: 7, State: []byte("abc")}, replica.PieceAck{Seq: 12, Index: 300},
	} {
		b, err := r.Append(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := r.Decode(b)
		if err != nil || fmt.Sprint(back) != fmt.Sprint(m) {
			t.Fatalf("%v came back as %v (%v)", m, back, err)
		}
	}
	for _, bad := range [][]byte{{}, {5, 3}, {1, 2, 7, 0}, {1, 2, 0, 9, 'a'}} {
		var dm replica.Delta
		if dm.UnmarshalBinary(bad) == nil {
			t.Errorf("Delta accepted %v", bad)
		}
	}
	for _, bad := range [][]byte{{}, {1, 3, 3, 0}, {1, 0, 0, 0}, {1, 0, 1, 2, 'a'}, {1, 0, 1, 0, 9}} {
		var p replica.Piece
		if p.UnmarshalBinary(bad) == nil {
			t.Errorf("Piece accepted %v", bad)
		}
	}
	for _, bad := range [][]byte{{}, {1}, {1, 2, 3}} {
		var a replica.PieceAck
		if a.UnmarshalBinary(bad) == nil {
			t.Errorf("PieceAck accepted %v", bad)
		}
	}
}

func FuzzDeltaDecode(f *testing.F) {
	b, _ := replica.Delta{Lo: 1, Hi: 2, State: []byte{1}}.AppendBinary(nil)
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var d replica.Delta
		if d.UnmarshalBinary(data) != nil {
			return
		}
		if _, err := d.AppendBinary(nil); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzPieceDecode(f *testing.F) {
	b, _ := replica.Piece{Seq: 9, Index: 1, Count: 3, State: []byte{1}}.AppendBinary(nil)
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var p replica.Piece
		if p.UnmarshalBinary(data) != nil {
			return
		}
		if p.Index >= p.Count {
			t.Fatalf("decoded piece %d of %d", p.Index, p.Count)
		}
		if _, err := p.AppendBinary(nil); err != nil {
			t.Fatal(err)
		}
	})
}

// Storage holds the state as of the last compaction plus a log of the
// deltas since; a restart replays both, whichever side of a compaction the
// crash fell on.
func TestStateSurvivesRestartsAcrossLogCompactions(t *testing.T) {
	d := newDesk(1)
	for total, incs := uint64(0), 0; incs < replica.CompactEvery*2+10; {
		r := counters(d, nil)[0]
		if got := r.State().Value(); got != total {
			t.Fatalf("after %d increments and a restart the counter reads %d, want %d", incs, got, total)
		}
		for range 97 { // restarts fall at varying distances from a compaction
			r.Handle(d.ctx(0), core.Request{Body: replica.Inc{By: 2}})
			total += 2
			incs++
		}
	}
	if logged := len(d.store[0].Keys("replica/log/")); logged >= replica.CompactEvery {
		t.Fatalf("%d deltas logged: compaction never ran", logged)
	}
}
