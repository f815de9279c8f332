package cluster

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/transport"
)

// persister stores every request's value under its own key and outputs
// the request's number: a client's write, acknowledged once durable.
type persister struct{}

type write struct {
	N     int
	Value []byte
}

func (persister) Init(core.Context) {}
func (persister) Handle(ctx core.Context, ev core.Event) {
	if r, ok := ev.(core.Request); ok {
		w := r.Body.(write)
		ctx.Storage().Put(fmt.Sprintf("w/%08d", w.N), w.Value)
		ctx.Output(w.N)
	}
}

// BenchmarkGroupCommit drives one node on a DiskStorage (in the
// benchmark's temporary directory: put TMPDIR on the disk to measure) with
// concurrent clients, each writing 128-byte values one after another and
// waiting for each to be acknowledged (output, after its commit). It
// reports writes per second, the p50 and p99 latency of a write, events
// per fsync and the p50 and p99 latency of a commit. maxbatch=1 commits
// after every event, as the node did before group commit.
//
//	go test ./cluster -run '^$' -bench GroupCommit -benchtime 5000x
func BenchmarkGroupCommit(b *testing.B) {
	for _, maxBatch := range []int{1, DefaultMaxBatch} {
		for _, clients := range []int{1, 16, 64, 256} {
			b.Run(fmt.Sprintf("maxbatch=%d/clients=%d", maxBatch, clients), func(b *testing.B) {
				benchGroupCommit(b, maxBatch, clients)
			})
		}
	}
}

func benchGroupCommit(b *testing.B, maxBatch, clients int) {
	ds, err := OpenDiskStorage(b.TempDir(), DiskOptions{Owner: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer ds.Close()
	st := &timedCommits{DiskStorage: ds}
	var mu sync.Mutex
	acks := map[int]chan struct{}{}
	n := startBenchNode(b, st, maxBatch, func(o Output) {
		mu.Lock()
		ch := acks[o.Value.(int)]
		mu.Unlock()
		close(ch)
	})
	defer n.Stop()
	value := make([]byte, 128)
	next := make(chan int, b.N)
	for i := range b.N {
		next <- i
		acks[i] = make(chan struct{})
	}
	close(next)
	lat := make([][]time.Duration, clients)
	fsyncs := ds.Fsyncs()
	b.ResetTimer()
	began := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range next {
				mu.Lock()
				ack := acks[i]
				mu.Unlock()
				t := time.Now()
				n.Submit(write{N: i, Value: value})
				<-ack
				lat[c] = append(lat[c], time.Since(t))
			}
		})
	}
	wg.Wait()
	wall := time.Since(began)
	b.StopTimer()
	fsyncs = ds.Fsyncs() - fsyncs
	all := slices.Concat(lat...)
	slices.Sort(all)
	commits := st.took()
	slices.Sort(commits)
	b.ReportMetric(float64(b.N)/wall.Seconds(), "writes/s")
	b.ReportMetric(float64(all[len(all)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100])/1e6, "p99-ms")
	b.ReportMetric(float64(b.N)/float64(fsyncs), "events/fsync")
	b.ReportMetric(float64(commits[len(commits)/2])/1e6, "commit-p50-ms")
	b.ReportMetric(float64(commits[len(commits)*99/100])/1e6, "commit-p99-ms")
}

// timedCommits times the commits of a DiskStorage that write something.
type timedCommits struct {
	*DiskStorage
	mu      sync.Mutex
	pending bool
	lat     []time.Duration
}

func (t *timedCommits) Put(key string, value []byte) error {
	t.pending = true
	return t.DiskStorage.Put(key, value)
}

func (t *timedCommits) Commit() error {
	start := time.Now()
	err := t.DiskStorage.Commit()
	if t.pending {
		t.mu.Lock()
		t.lat = append(t.lat, time.Since(start))
		t.mu.Unlock()
	}
	t.pending = false
	return err
}

func (t *timedCommits) took() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]time.Duration(nil), t.lat...)
}

func startBenchNode(b *testing.B, st core.Storage, maxBatch int, out func(Output)) *Node {
	ca, err := transport.NewCA("bench")
	if err != nil {
		b.Fatal(err)
	}
	idn, err := ca.Identity(0)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	reg := &core.Registry{}
	core.Register[int](reg, "int")
	n, err := StartNode(NodeConfig{
		ID: 0, Addrs: []string{ln.Addr().String()}, Listener: ln, Identity: idn, Codec: reg,
		New: func() core.Process { return persister{} }, Storage: st, MaxBatch: maxBatch, Output: out,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}
