package cluster

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/transport"
)

// timerProc exercises timers: on request "go" it arms "cancelled" and then
// cancels it, arms "rearmed" far in the future and re-arms it soon, and
// arms "plain". Every Timer event becomes an output.
type timerProc struct{}

func (timerProc) Init(core.Context) {}

func (timerProc) Handle(ctx core.Context, ev core.Event) {
	switch ev := ev.(type) {
	case core.Request:
		ctx.SetTimer("cancelled", time.Millisecond)
		ctx.CancelTimer("cancelled")
		ctx.SetTimer("rearmed", time.Hour)
		ctx.SetTimer("rearmed", 2*time.Millisecond)
		ctx.SetTimer("plain", 20*time.Millisecond)
		ctx.Send(ctx.ID(), fmt.Sprint(ev.Body))
	case core.Timer:
		ctx.Output("timer " + ev.Key)
	case core.Message:
		ctx.Output(fmt.Sprintf("self %v", ev.Body))
	}
}

type outputs struct {
	mu sync.Mutex
	v  []string
}

func (o *outputs) add(out Output) {
	o.mu.Lock()
	o.v = append(o.v, fmt.Sprint(out.Value))
	o.mu.Unlock()
}

func (o *outputs) get() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.v...)
}

func TestTimersCancelledOrReplacedNeverFire(t *testing.T) {
	ca, err := transport.NewCA("t")
	if err != nil {
		t.Fatal(err)
	}
	idn, err := ca.Identity(0)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reg := &core.Registry{}
	core.Register[string](reg, "string")
	var out outputs
	n, err := StartNode(NodeConfig{
		ID: 0, Addrs: []string{ln.Addr().String()}, Listener: ln, Identity: idn, Codec: reg,
		New: func() core.Process { return timerProc{} }, Output: out.add,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	n.Submit("go")
	deadline := time.Now().Add(5 * time.Second)
	for len(out.get()) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// Wait past every timer's original time before judging what fired.
	time.Sleep(50 * time.Millisecond)
	got := out.get()
	want := map[string]int{"self go": 1, "timer rearmed": 1, "timer plain": 1}
	count := map[string]int{}
	for _, g := range got {
		count[g]++
	}
	if len(got) != 3 || count["self go"] != 1 || count["timer rearmed"] != 1 || count["timer plain"] != 1 {
		t.Fatalf("outputs %v, want exactly %v", got, want)
	}
}
