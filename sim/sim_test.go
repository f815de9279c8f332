package sim_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/broadcast"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/scenario"
	"github.com/rondo-dev/rondo/sim"
	"github.com/rondo-dev/rondo/trace"
)

func mustSpec(t *testing.T, s string) fault.Spec {
	t.Helper()
	sp, err := fault.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func digest(t *testing.T, spec string, seed uint64) (string, []byte) {
	t.Helper()
	s := sim.Setup{Scenario: broadcast.Scenario(), N: 5, Faults: mustSpec(t, spec), RoundTrip: true}
	var buf bytes.Buffer
	tw := trace.NewWriter(&buf)
	if _, err := s.RunOne(t.Context(), seed, tw); err != nil {
		t.Fatal(err)
	}
	return tw.Digest(), buf.Bytes()
}

// The same code, seed and fault spec give a byte-identical trace; another
// seed gives another.
func TestRunsAreAPureFunctionOfTheSeed(t *testing.T) {
	spec := "drop=0.2,dup=0.05,reorder=0.1,delay=1ms..20ms,crashes=1,partitions=1"
	d1, b1 := digest(t, spec, 7)
	d2, b2 := digest(t, spec, 7)
	d3, _ := digest(t, spec, 8)
	if d1 != d2 || !bytes.Equal(b1, b2) {
		t.Fatal("seed 7 gave two different traces")
	}
	if d1 == d3 {
		t.Fatal("seeds 7 and 8 gave the same trace")
	}
	// The trace records every kind of event the faults produce.
	for _, kind := range []string{"send", "deliver", "drop", "dup", "timer", "crash", "restart", "partition", "heal", "input", "output"} {
		if !bytes.Contains(b1, []byte(`"ev":"`+kind+`"`)) {
			t.Errorf("trace of seed 7 has no %s event", kind)
		}
	}
	h, evs, err := trace.Read(bytes.NewReader(b1))
	if err != nil {
		t.Fatal(err)
	}
	if h.Faults != mustSpec(t, spec).String() || h.Seed != 7 || len(evs) == 0 || len(h.Plan) == 0 {
		t.Fatalf("trace header %+v with %d events", h, len(evs))
	}
}

// probe is a tiny process for testing the world: it remembers things in
// memory and in storage, sets a timer, and reports what it sees.
type probe struct {
	volatile string
}

type note struct{ Text string }

func (p *probe) Init(ctx core.Context) {
	p.volatile = "fresh"
	ctx.SetTimer("tick", 100*time.Millisecond)
}

func (p *probe) Handle(ctx core.Context, ev core.Event) {
	switch ev := ev.(type) {
	case core.Request:
		p.volatile = ev.Body.(string)
		ctx.Storage().Put("kept", []byte(ev.Body.(string)))
		for _, to := range ctx.Nodes() {
			if to != ctx.ID() {
				ctx.Send(to, note{Text: ev.Body.(string)})
			}
		}
	case core.Restart:
		kept, _ := ctx.Storage().Get("kept")
		ctx.Output("restarted inc=" + itoa(ev.Incarnation) + " volatile=" + p.volatile + " stored=" + string(kept))
	case core.Timer:
		ctx.Output("timer " + ev.Key + " at " + ctx.Now().String())
	case core.Message:
		ctx.Output("got " + ev.Body.(note).Text + " from " + ev.From.String())
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

func outputs(res *sim.Result, node core.NodeID) []string {
	var out []string
	for _, o := range res.History.Observations {
		if o.Output && o.Node == node {
			out = append(out, o.Value.(string))
		}
	}
	return out
}

func TestCrashLosesVolatileStateAndKeepsStorage(t *testing.T) {
	res, err := sim.Run(t.Context(), sim.Config{
		N: 2, Seed: 1, Faults: mustSpec(t, "crash@50ms=0,restart@300ms=0"),
		New:    func(core.NodeID, int) core.Process { return &probe{} },
		Inputs: []scenario.Input{{At: 10 * time.Millisecond, Node: 0, Body: "hello"}, {At: 200 * time.Millisecond, Node: 0, Body: "lost"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(outputs(res, 0), " | ")
	// The first incarnation's timer (due at 100ms) never fires: it died with
	// the crash at 50ms. The restarted node arms a new one at 300ms+100ms.
	want := "restarted inc=1 volatile=fresh stored=hello | timer tick at 400ms"
	if got != want {
		t.Fatalf("node 0 output:\n got %s\nwant %s", got, want)
	}
	if res.History.Lost != 1 {
		t.Fatalf("the input sent to node 0 while it was down should be lost, Lost=%d", res.History.Lost)
	}
	if !res.History.Crashed[0] || res.History.Crashed[1] {
		t.Fatalf("Crashed = %v, want only node 0", res.History.Crashed)
	}
	if got := strings.Join(outputs(res, 1), " | "); got != "got hello from n0 | timer tick at 100ms" {
		t.Fatalf("node 1 output: %s", got)
	}
}

func TestPartitionDropsMessagesAcrossSidesUntilHealed(t *testing.T) {
	res, err := sim.Run(t.Context(), sim.Config{
		N: 3, Seed: 1, Faults: mustSpec(t, "partition@0s={0}|{1,2},heal@1s"),
		New: func(core.NodeID, int) core.Process { return &probe{} },
		Inputs: []scenario.Input{
			{At: 10 * time.Millisecond, Node: 1, Body: "inside"},
			{At: 20 * time.Millisecond, Node: 0, Body: "across"},
			{At: 2 * time.Second, Node: 0, Body: "healed"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	n2 := strings.Join(outputs(res, 2), " | ")
	if !strings.Contains(n2, "got inside from n1") || strings.Contains(n2, "across") || !strings.Contains(n2, "got healed from n0") {
		t.Fatalf("node 2 saw: %s", n2)
	}
}

type unencodable struct{ C chan int }

type chatty struct{}

func (chatty) Init(ctx core.Context) {
	if ctx.ID() == 0 {
		ctx.Send(1, unencodable{C: make(chan int)})
	}
}
func (chatty) Handle(core.Context, core.Event) {}

// A message the real network could not carry fails in the simulator first.
func TestCodecRoundTripCatchesUnencodableMessages(t *testing.T) {
	reg := &core.Registry{}
	core.Register[unencodable](reg, "unencodable")
	_, err := sim.Run(t.Context(), sim.Config{N: 2, New: func(core.NodeID, int) core.Process { return chatty{} }, Codec: reg})
	if err == nil || !strings.Contains(err.Error(), "codec cannot encode") {
		t.Fatalf("want a codec error, got %v", err)
	}
	_, err = sim.Run(t.Context(), sim.Config{N: 2, New: func(core.NodeID, int) core.Process { return chatty{} }, Codec: &core.Registry{}})
	if err == nil || !strings.Contains(err.Error(), "not registered") {
		t.Fatalf("want an unregistered-type error, got %v", err)
	}
}

func TestSetupRefusesWhatTheScenarioCannotTolerate(t *testing.T) {
	for spec, want := range map[string]string{
		"byzantine=1": "Byzantine",
		"drop=1":      "fair-lossy",
		"crash@1s=9":  "nodes 0..4",
	} {
		err := sim.Setup{Scenario: broadcast.Scenario(), N: 5, Faults: mustSpec(t, spec)}.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error mentioning %q", spec, err, want)
		}
	}
}

// A campaign that stops at the first failure still reports the lowest
// failing seed, whatever order its parallel workers finished in.
func TestCampaignReportsTheLowestFailingSeed(t *testing.T) {
	sc := scenario.Scenario{
		Name: "always-fails",
		New:  func(core.NodeID, int) core.Process { return chatty{} },
		Check: func(*scenario.History) []scenario.Violation {
			return []scenario.Violation{{Property: "never", Detail: "fails every run"}}
		},
	}
	c, err := sim.Setup{Scenario: sc, N: 2}.RunCampaign(t.Context(), 10, 100, sim.CampaignOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Failures) == 0 || c.Failures[0].Seed != 10 {
		t.Fatalf("first failure %v, want seed 10", c.Failures)
	}
	if c.Runs >= 100 {
		t.Fatalf("campaign ran all %d seeds after the first failure", c.Runs)
	}
}

// rearm arms a long timer and cancels it at once, then does its real work
// with a short one.
type rearm struct{}

func (rearm) Init(ctx core.Context) {
	ctx.SetTimer("long", 10*time.Second)
	ctx.CancelTimer("long")
	ctx.SetTimer("short", 10*time.Millisecond)
}
func (rearm) Handle(ctx core.Context, ev core.Event) { ctx.Output("fired") }

// A cancelled timer is not an event: the run ends when the last real one
// happened, not when the cancelled timer would have fired.
func TestCancelledTimersDoNotExtendTheRun(t *testing.T) {
	res, err := sim.Run(t.Context(), sim.Config{N: 1, New: func(core.NodeID, int) core.Process { return rearm{} }})
	if err != nil {
		t.Fatal(err)
	}
	if res.End != 10*time.Millisecond || res.Events != 1 {
		t.Fatalf("run ended at %v after %d events, want 10ms and 1", res.End, res.Events)
	}
}
