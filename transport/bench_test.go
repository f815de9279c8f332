package transport

import (
	"context"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
)

// benchPair starts node 0 and node 1 on loopback, with TLS or plain TCP
// and the same framing, queueing and coalescing either way.
func benchPair(b *testing.B, secure bool, h0, h1 Handler) (*Transport, *Transport) {
	b.Helper()
	var lns [2]net.Listener
	addrs := make([]string, 2)
	for i := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		lns[i], addrs[i] = ln, ln.Addr().String()
	}
	var ca *CA
	if secure {
		var err error
		if ca, err = NewCA("bench"); err != nil {
			b.Fatal(err)
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var ts [2]*Transport
	for i, h := range []Handler{h0, h1} {
		cfg := Config{ID: core.NodeID(i), Addrs: addrs, Listener: lns[i], Handler: h, Logger: quiet, Insecure: !secure}
		if secure {
			idn, err := ca.Identity(core.NodeID(i))
			if err != nil {
				b.Fatal(err)
			}
			cfg.Identity = idn
		}
		tr, err := New(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { tr.Close() })
		ts[i] = tr
	}
	deadline := time.Now().Add(10 * time.Second)
	for !ts[0].Connected(1) || !ts[1].Connected(0) {
		if time.Now().After(deadline) {
			b.Fatal("nodes did not connect")
		}
		time.Sleep(time.Millisecond)
	}
	return ts[0], ts[1]
}

// BenchmarkThroughput sends messages one way, as fast as the sender's
// queue lets it, and reports delivered messages and payload MB per second:
// plain TCP and TLS side by side, for 64-byte messages (the figure that
// matters for protocols) and 16 KiB ones (how close bulk transfer gets to
// the loopback limit).
func BenchmarkThroughput(b *testing.B) {
	for _, mode := range []struct {
		name   string
		secure bool
		size   int
	}{{"tcp/64B", false, 64}, {"tls/64B", true, 64}, {"tcp/16KiB", false, 16 << 10}, {"tls/16KiB", true, 16 << 10}} {
		b.Run(mode.name, func(b *testing.B) {
			var got atomic.Int64
			done := make(chan struct{})
			target := int64(b.N)
			recv := func(core.NodeID, []byte) error {
				if got.Add(1) == target {
					close(done)
				}
				return nil
			}
			a, _ := benchPair(b, mode.secure, nil2, recv)
			msg := make([]byte, mode.size)
			ctx := context.Background()
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			cpu0 := cpuTime()
			start := time.Now()
			for range b.N {
				if err := a.SendWait(ctx, 1, msg); err != nil {
					b.Fatal(err)
				}
			}
			<-done
			el := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
			// CPU per message (both nodes, user+system) is steadier than
			// wall-clock rates on a shared, noisy machine.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/msg")
		})
	}
}

func nil2(core.NodeID, []byte) error { return nil }

// BenchmarkRoundTrip bounces one 64-byte message between two nodes and
// reports the median round trip.
func BenchmarkRoundTrip(b *testing.B) {
	for _, mode := range []struct {
		name   string
		secure bool
	}{{"tcp", false}, {"tls", true}} {
		b.Run(mode.name, func(b *testing.B) {
			back := make(chan struct{}, 1)
			var echo *Transport
			h0 := func(core.NodeID, []byte) error { back <- struct{}{}; return nil }
			h1 := func(_ core.NodeID, p []byte) error { return echo.Send(0, p) }
			a, e := benchPair(b, mode.secure, h0, h1)
			echo = e
			msg := make([]byte, 64)
			rtts := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				if err := a.Send(1, msg); err != nil {
					b.Fatal(err)
				}
				<-back
				rtts = append(rtts, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(rtts)
			b.ReportMetric(float64(rtts[len(rtts)/2].Nanoseconds())/1e3, "µs-p50")
			b.ReportMetric(float64(rtts[len(rtts)*99/100].Nanoseconds())/1e3, "µs-p99")
		})
	}
}

// cpuTime is the CPU time (user+system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
