package rounds_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
)

func TestSetsArePlainBitMasks(t *testing.T) {
	s := rounds.SetOf(0, 2, 3)
	if s.Len() != 3 || !s.Has(2) || s.Has(1) || s.String() != "{0,2,3}" {
		t.Fatalf("SetOf(0,2,3) = %v (len %d)", s, s.Len())
	}
	if got := slices.Collect(s.Remove(2).Add(1).IDs()); !slices.Equal(got, []core.NodeID{0, 1, 3}) {
		t.Fatalf("ids %v", got)
	}
	if rounds.All(4) != rounds.SetOf(0, 1, 2, 3) || rounds.All(64).Len() != 64 || !rounds.Set(0).Empty() {
		t.Fatal("All")
	}
}

func TestAnOutboxHoldsOneMessagePerReceiver(t *testing.T) {
	out := rounds.NewOutbox[string](3)
	out.Broadcast("all")
	out.To(1, "one")
	out.To(7, "nobody") // out of range: ignored
	if m, ok := out.Get(1); !ok || m != "one" {
		t.Fatalf("to 1: %q %v", m, ok)
	}
	if m, _ := out.Get(2); m != "all" || out.Receivers() != rounds.All(3) {
		t.Fatalf("to 2: %q, receivers %v", m, out.Receivers())
	}
	out.Reset(3)
	if out.Receivers() != 0 {
		t.Fatal("Reset kept receivers")
	}
}

func TestAMailboxListsSendersInOrder(t *testing.T) {
	mb := rounds.NewMailbox[int](4)
	mb.Put(3, 30)
	mb.Put(1, 10)
	var from []core.NodeID
	for p, m := range mb.All() {
		from = append(from, p)
		if m != int(p)*10 {
			t.Fatalf("message from %d is %d", p, m)
		}
	}
	if !slices.Equal(from, []core.NodeID{1, 3}) || mb.Len() != 2 || mb.Senders() != rounds.SetOf(1, 3) {
		t.Fatalf("senders %v", from)
	}
	if _, ok := mb.Get(0); ok {
		t.Fatal("a message from 0 appeared")
	}
	if mb.Count(func(m int) bool { return m > 15 }) != 1 {
		t.Fatal("Count")
	}
	mb.Reset()
	if mb.Len() != 0 {
		t.Fatal("Reset")
	}
}

func TestDecidingTwiceDifferentlyIsRecordedAsRevoked(t *testing.T) {
	r := rounds.Ctx{ID: 1, N: 3, Round: 5}
	r.Decide(4)
	r.Decide(4)
	if v, ok := r.Decided(); !ok || v != 4 || r.Status.Revoked {
		t.Fatalf("status %+v", r.Status)
	}
	r.Decide(5)
	if v, _ := r.Decided(); v != 4 || !r.Status.Revoked {
		t.Fatalf("a second, different decision: %+v", r.Status)
	}
	if r.Phase(4) != 1 || r.Coin() {
		t.Fatal("Phase / Coin")
	}
	r.Exit()
	if !r.Status.Exited {
		t.Fatal("Exit")
	}
}

func TestProgressValuesDescribeHowARoundWaits(t *testing.T) {
	for _, c := range []struct {
		p    rounds.Progress
		want string
	}{
		{rounds.Progress{}, "timeout"},
		{rounds.Timeout(20 * time.Millisecond), "timeout(20ms)"},
		{rounds.StrictTimeout(0), "strict-timeout"},
		{rounds.WaitMessage(), "wait"},
		{rounds.GoAhead(), "go-ahead"},
		{rounds.Sync(2), "sync(2)"},
		{rounds.Unchanged(), "unchanged"},
	} {
		if got := c.p.String(); got != c.want {
			t.Errorf("%v: got %q", c.want, got)
		}
	}
	if p := rounds.Sync(3).Strict(); p.Kind() != rounds.ProgressSync || p.K() != 3 || !p.IsStrict() {
		t.Errorf("Sync(3).Strict() = %v", p)
	}
}

func TestValidateNamesWhatIsMissing(t *testing.T) {
	alg := &rounds.Algorithm[int, int]{Name: "x", Init: func(core.NodeID, int, rounds.Value) int { return 0 }}
	if err := alg.Validate(); err == nil {
		t.Fatal("no rounds accepted")
	}
	send := func(int, rounds.View, *rounds.Outbox[int]) {}
	alg.Rounds = []rounds.Round[int, int]{{Send: send}}
	if err := alg.Validate(); err == nil {
		t.Fatal("a round with neither Update nor Event accepted")
	}
	alg.Rounds[0].Event = &rounds.EventRound[int, int]{
		Receive: func(*int, core.NodeID, int, *rounds.Ctx) rounds.Progress { return rounds.Unchanged() },
		Finish:  func(*int, bool, *rounds.Ctx) {},
	}
	if err := alg.Validate(); err != nil {
		t.Fatal(err)
	}
	if alg.Phase(7) != &alg.Rounds[0] || alg.Info().Rounds != 1 {
		t.Fatal("Phase / Info")
	}
	alg.Durable = &rounds.Durable[int]{Part: func(s int) int { return s }}
	if err := alg.Validate(); err == nil || !strings.Contains(err.Error(), "Durable") {
		t.Fatalf("a Durable without Append and Load: %v", err)
	}
	alg.Durable = nil
	alg.Lease = &rounds.Lease[int]{Fresh: func(int) int { return 0 }}
	if err := alg.Validate(); err == nil || !strings.Contains(err.Error(), "Lease") {
		t.Fatalf("a Lease without Leader: %v", err)
	}
}

func TestPropertiesJudgeGlobalStates(t *testing.T) {
	g := &rounds.Global[int]{N: 3, States: make([]int, 3), Inputs: []rounds.Value{0, 1, 1},
		Status: []rounds.Status{{Decided: true, Decision: 1}, {}, {Decided: true, Decision: 1}}}
	for _, p := range rounds.Consensus[int]() {
		if ok, why := p.Holds(g); !ok {
			t.Errorf("%s: %s", p.Name, why)
		}
	}
	g.Status[1] = rounds.Status{Decided: true, Decision: 0}
	if ok, why := rounds.Agreement[int]().Holds(g); ok || why != "process 0 decided 1 but process 1 decided 0" {
		t.Errorf("agreement: %v %q", ok, why)
	}
	g.Faulty = rounds.SetOf(1) // a Byzantine process's decision does not count
	if ok, _ := rounds.Agreement[int]().Holds(g); !ok {
		t.Error("agreement counted a Byzantine process")
	}
	g.Status[2].Decision = 2
	if ok, _ := rounds.Validity[int]().Holds(g); ok {
		t.Error("validity accepted a decision nobody proposed")
	}
	g.Inputs = []rounds.Value{1, 0, 1}
	if ok, _ := rounds.UnanimityValidity[int]().Holds(g); ok {
		t.Error("unanimity validity accepted 2 when every honest input is 1")
	}
}
