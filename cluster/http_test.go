package cluster

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/transport"
)

func TestDebugServerServesMetricsAndPprof(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ca, err := transport.NewCA("t")
	if err != nil {
		t.Fatal(err)
	}
	var lns []net.Listener
	var addrs []string
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns, addrs = append(lns, ln), append(addrs, ln.Addr().String())
	}
	reg := prometheus.NewRegistry()
	codec := &core.Registry{}
	core.Register[string](codec, "string")
	var out outputs
	var nodes []*Node
	for i := range 2 {
		idn, err := ca.Identity(core.NodeID(i))
		if err != nil {
			t.Fatal(err)
		}
		n, err := StartNode(NodeConfig{
			ID: core.NodeID(i), Addrs: addrs, Listener: lns[i], Identity: idn, Codec: codec,
			New: func() core.Process { return sendProc{} }, Output: out.add, Logger: quiet,
			// Two nodes of one process share a registry, told apart by label.
			Registerer: prometheus.WrapRegistererWith(prometheus.Labels{"node": string(rune('0' + i))}, reg),
		})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Stop()
		nodes = append(nodes, n)
	}
	srv, err := ServeDebug("127.0.0.1:0", prometheus.Gatherers{ProcessRegistry(), reg}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	// Node 0 sends node 1 a message through the process's context.
	nodes[0].Submit("hi")
	get := func(path string) string {
		resp, err := http.Get("http://" + srv.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		return string(b)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := get("/metrics")
		if strings.Contains(m, `rondo_transport_messages_received_total{node="1",peer="0"} 1`) &&
			strings.Contains(m, `rondo_transport_messages_sent_total{node="0",peer="1"} 1`) &&
			strings.Contains(m, `rondo_transport_connection_events_total{event="dial",node="0",peer="1"} 1`) &&
			strings.Contains(m, "go_goroutines") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics never showed the message:\n%s", m)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if p := get("/debug/pprof/"); !strings.Contains(p, "goroutine") {
		t.Fatalf("pprof index does not list profiles:\n%s", p)
	}
}

// sendProc sends every request's body to node 1 and outputs what it gets.
type sendProc struct{}

func (sendProc) Init(core.Context) {}

func (sendProc) Handle(ctx core.Context, ev core.Event) {
	switch ev := ev.(type) {
	case core.Request:
		ctx.Send(1, ev.Body)
	case core.Message:
		ctx.Output(ev.Body)
	}
}
