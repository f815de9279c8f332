package sim_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/scenario"
	"github.com/rondo-dev/rondo/sim"
)

// blob is a message of a chosen size.
type blob struct{ Data []byte }

func (b blob) AppendBinary(buf []byte) ([]byte, error) { return append(buf, b.Data...), nil }
func (b *blob) UnmarshalBinary(data []byte) error {
	b.Data = append([]byte(nil), data...)
	return nil
}

// sender sends one blob of the requested size to node 1 and outputs the
// sizes it receives.
type sender struct{}

func (sender) Init(core.Context) {}
func (sender) Handle(ctx core.Context, ev core.Event) {
	switch ev := ev.(type) {
	case core.Request:
		ctx.Send(1, blob{Data: make([]byte, ev.Body.(int))})
	case core.Message:
		ctx.Output(len(ev.Body.(blob).Data))
	}
}

func blobCodec() *core.Registry {
	r := &core.Registry{}
	core.Register[blob](r, "blob")
	return r
}

// The simulator refuses what the transport refuses: a message whose
// encoding exceeds the frame limit never arrives, and is counted.
func TestAMessageOverTheFrameLimitIsRefusedAsTheTransportRefusesIt(t *testing.T) {
	header := len("blob") + 1 // the registry's type name and its length
	fits := core.MaxMessageSize - header
	res, err := sim.Run(t.Context(), sim.Config{
		N: 2, Seed: 1, Codec: blobCodec(),
		New:    func(core.NodeID, int) core.Process { return sender{} },
		Inputs: []scenario.Input{{Node: 0, Body: fits}, {Node: 0, Body: fits + 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, o := range res.History.Observations {
		if o.Output {
			got = append(got, o.Value.(int))
		}
	}
	if len(got) != 1 || got[0] != fits {
		t.Fatalf("node 1 received blobs of %v bytes, want only the one of %d", got, fits)
	}
	if res.TooLarge != 1 || res.Dropped != 1 || res.Sent != 2 {
		t.Fatalf("too large %d, dropped %d, sent %d; want 1, 1, 2", res.TooLarge, res.Dropped, res.Sent)
	}
}

// failingStore fails every write after the first `budget` ones.
type failingStore struct {
	core.MemStorage
	budget int
}

func (s *failingStore) Put(key string, v []byte) error {
	if s.budget == 0 {
		return errors.New("no space left on device")
	}
	s.budget--
	return s.MemStorage.Put(key, v)
}

// persister persists every request before announcing it to node 1 — and
// ignores the error, as a careless protocol might.
type persister struct{}

func (persister) Init(core.Context) {}
func (persister) Handle(ctx core.Context, ev core.Event) {
	switch ev := ev.(type) {
	case core.Request:
		ctx.Storage().Put("last", []byte(ev.Body.(string)))
		ctx.Send(1, blob{Data: []byte(ev.Body.(string))})
		ctx.Output("persisted " + ev.Body.(string))
	case core.Message:
		ctx.Output("heard " + string(ev.Body.(blob).Data))
	}
}

// A failed storage write stops the node for good: nothing it does after the
// write leaves it, it handles nothing more, and the run reports it.
func TestAFailedStorageWriteStopsTheNode(t *testing.T) {
	res, err := sim.Run(t.Context(), sim.Config{
		N: 2, Seed: 1, Codec: blobCodec(),
		New: func(core.NodeID, int) core.Process { return persister{} },
		Storage: func(id core.NodeID) core.Storage {
			if id == 0 {
				return &failingStore{budget: 1}
			}
			return &core.MemStorage{}
		},
		Inputs: []scenario.Input{{Node: 0, Body: "a"}, {Node: 0, At: 1e6, Body: "b"}, {Node: 0, At: 2e6, Body: "c"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var outs []string
	for _, o := range res.History.Observations {
		if o.Output {
			outs = append(outs, o.Value.(string))
		}
	}
	if strings.Join(outs, ",") != "persisted a,heard a" {
		t.Fatalf("outputs %q; want only a, persisted and heard", outs)
	}
	if len(res.Failed) != 1 || res.Failed[0].Node != 0 || !strings.Contains(res.Failed[0].Reason, "no space left") {
		t.Fatalf("failed nodes %+v", res.Failed)
	}
	if !res.History.Crashed[0] || res.History.Lost != 1 {
		t.Fatalf("node 0 crashed=%v, inputs lost %d: a fail-stop node is faulty and gets no more input", res.History.Crashed[0], res.History.Lost)
	}
}

// flooder answers every message with two: the queue grows without end.
type flooder struct{}

func (flooder) Init(ctx core.Context) {
	if ctx.ID() == 0 {
		ctx.Send(1, blob{})
	}
}
func (flooder) Handle(ctx core.Context, ev core.Event) {
	if m, ok := ev.(core.Message); ok {
		ctx.Send(m.From, blob{})
		ctx.Send(m.From, blob{})
	}
}

// pinger answers every message with one: it never quiesces.
type pinger struct{}

func (pinger) Init(ctx core.Context) {
	if ctx.ID() == 0 {
		ctx.Send(1, blob{})
	}
}
func (pinger) Handle(ctx core.Context, ev core.Event) {
	if m, ok := ev.(core.Message); ok {
		ctx.Send(m.From, blob{})
	}
}

// A run stopped by a bound says which bound, so that nobody mistakes it
// for a run that finished.
func TestARunStoppedByABoundSaysWhichOne(t *testing.T) {
	res, err := sim.Run(t.Context(), sim.Config{N: 2, Seed: 1, MaxEvents: 5000,
		New: func(core.NodeID, int) core.Process { return pinger{} }})
	if err != nil {
		t.Fatal(err)
	}
	if !res.HitMaxEvents || res.HitMaxPending || res.Quiescent || res.Events != 5000 {
		t.Fatalf("ping-pong: events %d, hit max events %v, hit max pending %v, quiescent %v", res.Events, res.HitMaxEvents, res.HitMaxPending, res.Quiescent)
	}
	res, err = sim.Run(t.Context(), sim.Config{N: 2, Seed: 1, MaxPending: 10000,
		New: func(core.NodeID, int) core.Process { return flooder{} }})
	if err != nil {
		t.Fatal(err)
	}
	if !res.HitMaxPending || res.HitMaxEvents || res.Events > 20000 {
		t.Fatalf("flood: events %d, hit max pending %v, hit max events %v", res.Events, res.HitMaxPending, res.HitMaxEvents)
	}
}

// Cancelling the context stops a run that would otherwise go on.
func TestACancelledRunStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := sim.Run(ctx, sim.Config{N: 2, Seed: 1, New: func(core.NodeID, int) core.Process { return pinger{} }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
