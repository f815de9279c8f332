package rounds_test

import (
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
	"github.com/rondo-dev/rondo/transport"
)

// loopback is an otr cluster of n rounds runtimes over loopback TLS, with
// every decision reported on a channel.
type loopback struct {
	nodes   []*cluster.Node
	rts     []*rounds.Runtime // the current incarnation's runtime, by node
	mu      sync.Mutex
	decided map[uint64]int // instance -> how many nodes decided it
	done    chan uint64    // an instance every node decided
}

// startLoopback starts n nodes. Only node 0 gets proposals; the others join
// an instance when its first message reaches them, with input(node, inst),
// as replicas of a replicated log do.
func startLoopback(tb testing.TB, n int, input func(node int, inst uint64) rounds.Value) *loopback {
	tb.Helper()
	ca, err := transport.NewCA("bench CA")
	if err != nil {
		tb.Fatal(err)
	}
	sc := rounds.Scenario(algos.OTR(), rounds.ScenarioOptions{})
	codec := sc.Codec()
	lns := make([]net.Listener, n)
	addrs := make([]string, n)
	for i := range n {
		if lns[i], err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			tb.Fatal(err)
		}
		addrs[i] = lns[i].Addr().String()
	}
	lb := &loopback{decided: map[uint64]int{}, done: make(chan uint64, 1<<16), rts: make([]*rounds.Runtime, n)}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i := range n {
		idn, err := ca.Identity(core.NodeID(i), "127.0.0.1")
		if err != nil {
			tb.Fatal(err)
		}
		node, err := cluster.StartNode(cluster.NodeConfig{
			ID: core.NodeID(i), Addrs: addrs, Listener: lns[i], Identity: idn, Codec: codec,
			New: func() core.Process {
				rt := rounds.NewRuntime(algos.OTR(), rounds.Config{
					Input: func(inst uint64) (rounds.Value, bool) { return input(i, inst), true },
				})
				lb.rts[i] = rt
				return rt
			},
			Logger: quiet,
			Output: func(o cluster.Output) {
				d, ok := o.Value.(rounds.Decision)
				if !ok {
					return
				}
				lb.mu.Lock()
				lb.decided[d.Instance]++
				all := lb.decided[d.Instance] == n
				if all {
					delete(lb.decided, d.Instance)
				}
				lb.mu.Unlock()
				if all {
					lb.done <- d.Instance
				}
			},
		})
		if err != nil {
			tb.Fatal(err)
		}
		lb.nodes = append(lb.nodes, node)
	}
	tb.Cleanup(func() {
		for _, nd := range lb.nodes {
			nd.Stop()
		}
	})
	// Wait until every pair is connected: one warm-up instance (id 0; ids
	// grow, as the runtime's decision log expects) decides.
	lb.propose(0, input(0, 0))
	select {
	case <-lb.done:
	case <-time.After(10 * time.Second):
		tb.Fatal("the loopback cluster did not decide a warm-up instance")
	}
	return lb
}

func (lb *loopback) propose(inst uint64, v rounds.Value) {
	lb.nodes[0].Submit(rounds.Propose{Instance: inst, Value: v}) // blocks while the inbox is full
}

// BenchmarkOTRLoopback measures decided otr instances per second on three
// nodes over loopback TLS, with up to 256 instances in flight at once
// (multiplexed by one runtime per node). A client proposes each instance to
// node 0; nodes 1 and 2 join it on its first message. "same": every node's
// input is 1 (OTR decides in one round); "mixed": node i's input is i (two
// rounds). An instance counts when all three nodes decided it.
func BenchmarkOTRLoopback(b *testing.B) {
	for _, mode := range []string{"same", "mixed"} {
		b.Run(mode, func(b *testing.B) {
			value := func(int, uint64) rounds.Value { return 1 }
			if mode == "mixed" {
				value = func(i int, inst uint64) rounds.Value { return rounds.Value(i) }
			}
			lb := startLoopback(b, 3, value)
			const window = 256
			b.ResetTimer()
			start := time.Now()
			inflight := 0
			for i := range b.N {
				for inflight >= window {
					<-lb.done
					inflight--
				}
				lb.propose(uint64(i+1), value(0, uint64(i+1)))
				inflight++
			}
			for ; inflight > 0; inflight-- {
				<-lb.done
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "instances/s")
			if testing.Verbose() {
				b.Logf("node 0 after %d instances: %+v; transport: %+v", b.N, lb.rts[0].Stats(), lb.nodes[0].Transport().Stats())
			}
		})
	}
}

// BenchmarkOTRLoopbackLatency measures one instance at a time on three nodes
// over loopback TLS: p50 and p99 from the proposal (to node 0) to the last
// node's decision.
func BenchmarkOTRLoopbackLatency(b *testing.B) {
	lb := startLoopback(b, 3, func(int, uint64) rounds.Value { return 1 })
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		lb.propose(uint64(i+1), 1)
		<-lb.done
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(q(0.5), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}
