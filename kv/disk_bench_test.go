package kv_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rondo-dev/rondo/cluster"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/kv"
	"github.com/rondo-dev/rondo/transport"
)

// BenchmarkLatticePutsOnDisk writes 128-byte values with 1 and 64
// concurrent HTTP clients to a lattice KV of one replica (the storage's
// figure) and of three (anti-entropy then costs more than the disk), whose
// replicas keep their storage on disk (each in its own directory under the benchmark's
// temporary directory: put TMPDIR on the disk to measure). It reports
// acknowledged PUTs per second and the p50 and p99 latency of a PUT, and,
// over the three replicas, the events their processes handled per fsync,
// the fsyncs per PUT, and the p50 and p99 latency of a commit. Clients
// spread over the replicas.
//
//	go test ./kv -run '^$' -bench LatticePutsOnDisk -benchtime 3000x
func BenchmarkLatticePutsOnDisk(b *testing.B) {
	for _, replicas := range []int{1, 3} {
		for _, clients := range []int{1, 64} {
			b.Run(fmt.Sprintf("replicas=%d/clients=%d", replicas, clients), func(b *testing.B) { benchPuts(b, replicas, clients) })
		}
	}
}

func benchPuts(b *testing.B, replicas, clients int) {
	urls, stores, regs := startDiskCluster(b, replicas)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	value := bytes.Repeat([]byte("v"), 128)
	next := make(chan int, b.N)
	for i := range b.N {
		next <- i
	}
	close(next)
	lat := make([][]time.Duration, clients)
	errs := make(chan error, clients)
	b.ResetTimer()
	began := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			url := urls[c%len(urls)]
			for i := range next {
				t := time.Now()
				req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/kv/k%d", url, i), bytes.NewReader(value))
				resp, err := hc.Do(req)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("PUT k%d: %s", i, resp.Status)
					return
				}
				lat[c] = append(lat[c], time.Since(t))
			}
		})
	}
	wg.Wait()
	wall := time.Since(began)
	b.StopTimer()
	var events, fsyncs float64
	var commits []time.Duration
	for i, st := range stores {
		events += gathered(b, regs[i], cluster.MetricEvents)
		fsyncs += float64(st.Fsyncs())
		commits = append(commits, st.took()...)
	}
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/wall.Seconds(), "puts/s")
	b.ReportMetric(float64(all[len(all)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100])/1e6, "p99-ms")
	b.ReportMetric(events/fsyncs, "events/fsync")
	b.ReportMetric(fsyncs/float64(b.N), "fsyncs/put")
	slices.Sort(commits)
	if len(commits) > 0 {
		b.ReportMetric(float64(commits[len(commits)/2])/1e6, "commit-p50-ms")
		b.ReportMetric(float64(commits[len(commits)*99/100])/1e6, "commit-p99-ms")
	}
}

// timedStore times the commits that write something.
type timedStore struct {
	*cluster.DiskStorage
	mu      sync.Mutex
	pending bool
	lat     []time.Duration
}

func (t *timedStore) Put(key string, value []byte) error {
	t.pending = true
	return t.DiskStorage.Put(key, value)
}

func (t *timedStore) Delete(key string) error {
	t.pending = true
	return t.DiskStorage.Delete(key)
}

func (t *timedStore) Commit() error {
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

func (t *timedStore) took() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]time.Duration(nil), t.lat...)
}

// gathered sums the values of a counter in reg.
func gathered(b *testing.B, reg *prometheus.Registry, name string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// startDiskCluster starts n lattice KV replicas, each on its own disk
// storage and with its own metrics registry, and returns their URLs, stores
// and registries.
func startDiskCluster(b *testing.B, n int) ([]string, []*timedStore, []*prometheus.Registry) {
	ca, err := transport.NewCA("kv bench")
	if err != nil {
		b.Fatal(err)
	}
	lns := make([]net.Listener, n)
	addrs := make([]string, n)
	for i := range n {
		if lns[i], err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			b.Fatal(err)
		}
		addrs[i] = lns[i].Addr().String()
	}
	var urls []string
	var stores []*timedStore
	var regs []*prometheus.Registry
	for i := range n {
		idn, err := ca.Identity(core.NodeID(i), "127.0.0.1")
		if err != nil {
			b.Fatal(err)
		}
		ds, err := cluster.OpenDiskStorage(b.TempDir(), cluster.DiskOptions{Owner: "kv bench"})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { ds.Close() }) // after the replica's Close (cleanups run last first)
		st := &timedStore{DiskStorage: ds}
		reg := prometheus.NewRegistry()
		r, err := kv.StartReplica(kv.ReplicaConfig{ID: core.NodeID(i), Addrs: addrs, Listener: lns[i], Identity: idn,
			Storage: st, Registerer: reg})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(r.Close)
		urls = append(urls, r.URL())
		stores = append(stores, st)
		regs = append(regs, reg)
	}
	return urls, stores, regs
}
