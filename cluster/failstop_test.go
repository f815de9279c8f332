package cluster

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/transport"
)

// fullDisk refuses every write, as a full disk does.
type fullDisk struct{ core.MemStorage }

func (*fullDisk) Put(string, []byte) error { return errors.New("no space left on device") }

// persistThenSend persists each request, then sends it to itself and
// outputs it: the send and the output depend on the write.
type persistThenSend struct{}

func (persistThenSend) Init(core.Context) {}
func (persistThenSend) Handle(ctx core.Context, ev core.Event) {
	switch ev := ev.(type) {
	case core.Request:
		ctx.Storage().Put("k", []byte(ev.Body.(string))) // error ignored on purpose
		ctx.Send(ctx.ID(), ev.Body)
		ctx.SetTimer("t", time.Millisecond)
		ctx.Output("after the write")
	case core.Message, core.Timer:
		ctx.Output("still running")
	}
}

// On the real runtime a failed write stops the node too: nothing after the
// write leaves the node, and Err says why it stopped.
func TestAFailedWriteStopsARealNode(t *testing.T) {
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
		New: func() core.Process { return persistThenSend{} }, Output: out.add, Storage: &fullDisk{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	n.Submit("v")
	select {
	case <-n.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the node kept running after its storage failed")
	}
	if err := n.Err(); !errors.Is(err, ErrFailStop) || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("Err() = %v, want a fail-stop that names the cause", err)
	}
	time.Sleep(20 * time.Millisecond)
	if got := out.get(); len(got) != 0 {
		t.Fatalf("the node output %q after a failed write", got)
	}
	if n.Submit("again") {
		t.Fatal("a stopped node accepted a request")
	}
}
