package rounds_test

import (
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/rounds"
	"github.com/rondo-dev/rondo/rounds/algos"
	"github.com/rondo-dev/rondo/transport"
)

// mpLoopback is a Multi-Paxos cluster of n rounds runtimes over loopback
// TLS: node 0 leads and proposes; the others join each instance on the
// leader's accept, with a no-op input (Config.Input), as a replicated log's
// followers do. It reports, per instance, when the leader decided (the
// commit) and when every node had.
type mpLoopback struct {
	nodes   []*cluster.Node
	rts     []*rounds.RuntimeOf[string]
	mu      sync.Mutex
	decided map[uint64]int
	start   map[uint64]time.Time
	commit  chan time.Duration // the leader's decision, after the proposal
	done    chan uint64        // every node decided
}

// startMPLoopback starts the cluster; disk, when set, gives node i its
// storage (default: in memory).
func startMPLoopback(tb testing.TB, n int, disk func(i int) core.Storage) *mpLoopback {
	tb.Helper()
	ca, err := transport.NewCA("bench CA")
	if err != nil {
		tb.Fatal(err)
	}
	alg := algos.MultiPaxos[string]()
	sc := rounds.Scenario(alg, rounds.ScenarioOptions{})
	codec := sc.Codec()
	lns := make([]net.Listener, n)
	addrs := make([]string, n)
	for i := range n {
		if lns[i], err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			tb.Fatal(err)
		}
		addrs[i] = lns[i].Addr().String()
	}
	lb := &mpLoopback{decided: map[uint64]int{}, start: map[uint64]time.Time{},
		commit: make(chan time.Duration, 1<<16), done: make(chan uint64, 1<<16), rts: make([]*rounds.RuntimeOf[string], n)}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i := range n {
		idn, err := ca.Identity(core.NodeID(i), "127.0.0.1")
		if err != nil {
			tb.Fatal(err)
		}
		cfg := cluster.NodeConfig{
			ID: core.NodeID(i), Addrs: addrs, Listener: lns[i], Identity: idn, Codec: codec,
			New: func() core.Process {
				rt := rounds.NewRuntime(alg, rounds.ConfigOf[string]{
					Input: func(uint64) (string, bool) { return "", true },
				})
				lb.rts[i] = rt
				return rt
			},
			Logger: quiet,
			Output: func(o cluster.Output) { lb.output(n, o) },
		}
		if disk != nil {
			cfg.Storage = disk(i)
		}
		node, err := cluster.StartNode(cfg)
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
	// Warm up until every pair is connected and the leader holds the
	// lease: instances decide (ids grow, as the decision log expects).
	deadline := time.Now().Add(10 * time.Second)
	for inst := uint64(1); ; inst++ {
		lb.propose(inst, "warm-up")
		select {
		case <-lb.done:
		case <-time.After(10 * time.Second):
			tb.Fatal("the loopback cluster did not decide a warm-up instance")
		}
		<-lb.commit
		if inst >= 3 {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatal("no lease after 10s")
		}
	}
	return lb
}

func (lb *mpLoopback) output(n int, o cluster.Output) {
	d, ok := o.Value.(rounds.DecisionOf[string])
	if !ok {
		return
	}
	lb.mu.Lock()
	lb.decided[d.Instance]++
	all := lb.decided[d.Instance] == n
	if all {
		delete(lb.decided, d.Instance)
	}
	var lat time.Duration
	leader := o.Node == 0
	if leader {
		lat = time.Since(lb.start[d.Instance])
		delete(lb.start, d.Instance)
	}
	lb.mu.Unlock()
	if leader {
		lb.commit <- lat
	}
	if all {
		lb.done <- d.Instance
	}
}

func (lb *mpLoopback) propose(inst uint64, v string) {
	lb.mu.Lock()
	lb.start[inst] = time.Now()
	lb.mu.Unlock()
	lb.nodes[0].Submit(rounds.ProposeOf[string]{Instance: inst, Value: v}) // blocks while the inbox is full
}

// BenchmarkMultiPaxosLoopback measures decided Multi-Paxos instances per
// second on three nodes over loopback TLS, the leader holding the lease,
// with up to 256 instances in flight, for values of 128 bytes and 64 KiB
// (a batch of commands). An instance counts when all three nodes decided
// it; commit-p50 is the leader's decision latency under that load. Storage
// is in memory ("mem") or on disk ("disk": cluster.DiskStorage, whose node
// loop commits each batch of events with one fsync).
func BenchmarkMultiPaxosLoopback(b *testing.B) {
	for _, st := range []string{"mem", "disk"} {
		for _, size := range []int{128, 64 << 10} {
			b.Run(st+"/"+sizeName(size), func(b *testing.B) {
				var disk func(int) core.Storage
				if st == "disk" {
					disk = func(int) core.Storage {
						ds, err := cluster.OpenDiskStorage(b.TempDir(), cluster.DiskOptions{Owner: "multipaxos benchmark"})
						if err != nil {
							b.Fatal(err)
						}
						b.Cleanup(func() { ds.Close() })
						return ds
					}
				}
				lb := startMPLoopback(b, 3, disk)
				value := strings.Repeat("c", size)
				// At most 256 instances, and 2 MiB of values, in flight: a
				// deeper pipe of big values keeps acknowledgements queued
				// for longer than a round timeout; the leader must size its
				// window in bytes (as a replicated log's batching does).
				window := min(256, benchWindowBytes/size)
				lats := make([]time.Duration, 0, b.N)
				b.SetBytes(int64(size))
				b.ResetTimer()
				start := time.Now()
				inflight := 0
				for i := range b.N {
					for inflight >= window {
						<-lb.done
						lats = append(lats, <-lb.commit)
						inflight--
					}
					lb.propose(uint64(i+10), value)
					inflight++
				}
				for ; inflight > 0; inflight-- {
					<-lb.done
					lats = append(lats, <-lb.commit)
				}
				el := time.Since(start)
				b.StopTimer()
				slices.Sort(lats)
				b.ReportMetric(float64(b.N)/el.Seconds(), "instances/s")
				b.ReportMetric(float64(lats[len(lats)/2].Microseconds()), "commit-p50-µs")
				s := lb.rts[0].Stats()
				b.ReportMetric(float64(s.Leased)/float64(max(s.Started, 1)), "leased/started")
				if testing.Verbose() {
					b.Logf("leader after %d instances: %+v; lease %+v", b.N, s, lb.rts[0].Lease())
				}
			})
		}
	}
}

// BenchmarkMultiPaxosLoopbackLatency measures one instance at a time on
// three nodes over loopback TLS (storage in memory): p50 and p99 from the
// proposal to the leader's decision (one round trip to a majority: accept,
// acknowledgement) and to the last node's.
func BenchmarkMultiPaxosLoopbackLatency(b *testing.B) {
	for _, size := range []int{128, 64 << 10} {
		b.Run(sizeName(size), func(b *testing.B) {
			lb := startMPLoopback(b, 3, nil)
			value := strings.Repeat("c", size)
			commits := make([]time.Duration, 0, b.N)
			alls := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				t0 := time.Now()
				lb.propose(uint64(i+10), value)
				commits = append(commits, <-lb.commit)
				<-lb.done
				alls = append(alls, time.Since(t0))
			}
			b.StopTimer()
			q := func(l []time.Duration, p float64) float64 {
				slices.Sort(l)
				return float64(l[int(p*float64(len(l)-1))].Microseconds())
			}
			b.ReportMetric(q(commits, 0.5), "commit-p50-µs")
			b.ReportMetric(q(commits, 0.99), "commit-p99-µs")
			b.ReportMetric(q(alls, 0.5), "all-p50-µs")
		})
	}
}

// benchWindowBytes bounds the bytes of values in flight (BENCH_WINDOW_KIB
// overrides it, to explore).
var benchWindowBytes = func() int {
	if k, err := strconv.Atoi(os.Getenv("BENCH_WINDOW_KIB")); err == nil && k > 0 {
		return k << 10
	}
	return 2 << 20
}()

func sizeName(size int) string {
	if size >= 1<<10 {
		return strconv.Itoa(size>>10) + "KiB"
	}
	return strconv.Itoa(size) + "B"
}
