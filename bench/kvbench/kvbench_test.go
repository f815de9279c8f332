package kvbench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestQuantilesAreNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50}, {0.99, 99}, {1, 100}, {0, 1}} {
		if got := quantile(d, c.q); got != c.want {
			t.Errorf("quantile(1..100, %v) = %v, want %v", c.q, got, c.want)
		}
	}
	if quantile(nil, 0.5) != 0 {
		t.Error("the quantile of no samples is not 0")
	}
}

// recorder is a Cluster that applies writes to a map after a short pause,
// recording how many Puts ran at once.
type recorder struct {
	mu       sync.Mutex
	kv       map[string][]byte
	inFlight atomic.Int64
	maxIn    atomic.Int64
	closed   bool
}

func (r *recorder) Put(ctx context.Context, key string, value []byte) error {
	n := r.inFlight.Add(1)
	defer r.inFlight.Add(-1)
	for {
		m := r.maxIn.Load()
		if n <= m || r.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(50 * time.Microsecond) // a write takes a while, so clients overlap
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kv[key] = append([]byte(nil), value...)
	return nil
}

func (r *recorder) Close() error { r.closed = true; return nil }

type recorderSystem struct{ c *recorder }

func (s recorderSystem) Name() string { return "recorder" }
func (s recorderSystem) Start(dir string, fsync bool) (Cluster, error) {
	return s.c, nil
}

func TestEachClientWaitsForItsWriteBeforeIssuingTheNext(t *testing.T) {
	rec := &recorder{kv: map[string][]byte{}}
	w := Workload{Keys: 50, ValueSize: 128, Warmup: 20 * time.Millisecond, Duration: 200 * time.Millisecond}
	s, err := Measure(context.Background(), recorderSystem{rec}, t.TempDir(), false, 8, w)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.maxIn.Load(); got > 8 {
		t.Errorf("%d writes were in flight at once with 8 closed-loop clients", got)
	}
	if s.Ops == 0 || s.P50 <= 0 || s.P99 < s.P50 || s.Errors != 0 {
		t.Errorf("sample %+v: want writes, a positive p50 and p99 ≥ p50, no errors", s)
	}
	if !rec.closed {
		t.Error("Measure left the cluster open")
	}
	for k, v := range rec.kv {
		if len(v) != 128 || !strings.HasPrefix(k, "key-") {
			t.Fatalf("wrote %q = %d bytes; want keys from the keyspace and 128-byte values", k, len(v))
		}
	}
	if len(rec.kv) > 50 {
		t.Errorf("wrote %d distinct keys from a keyspace of 50", len(rec.kv))
	}
}

type failing struct{}

func (failing) Name() string                                     { return "failing" }
func (failing) Start(string, bool) (Cluster, error)              { return failingCluster{}, nil }
func (failingCluster) Put(context.Context, string, []byte) error { return errors.New("no quorum") }
func (failingCluster) Close() error                              { return nil }

type failingCluster struct{}

func TestACellWhereNoWriteSucceedsIsAnErrorThatSaysWhy(t *testing.T) {
	w := Workload{Keys: 10, ValueSize: 128, Duration: 50 * time.Millisecond}
	_, err := Measure(context.Background(), failing{}, t.TempDir(), false, 2, w)
	if err == nil || !strings.Contains(err.Error(), "no quorum") {
		t.Fatalf("Measure = %v, want an error carrying the cluster's", err)
	}
	if _, err := Measure(context.Background(), failing{}, t.TempDir(), false, 0, w); err == nil {
		t.Fatal("Measure accepted zero clients")
	}
}

func sample(ops float64, p99ms float64) Sample {
	return Sample{Ops: int(ops), OpsPerSec: ops, P50: time.Millisecond, P99: time.Duration(p99ms * float64(time.Millisecond)), OthersCPU: 0.01}
}

func TestACandidateIsComparedWithTheBetterPeerOfItsOwnCell(t *testing.T) {
	r := &Report{Peers: []string{"a", "b"}, Candidates: []string{"c"}, Runs: 3}
	cell := func(sys string, fsync bool, ops ...float64) *Cell {
		c := &Cell{System: sys, Fsync: fsync, Clients: 16}
		for _, o := range ops {
			c.Samples = append(c.Samples, sample(o, 2))
		}
		return c
	}
	r.Cells = []*Cell{
		cell("a", true, 100, 110, 90), cell("b", true, 300, 310, 290), cell("c", true, 600, 650, 590),
		cell("a", false, 1000, 1000, 1000), cell("b", false, 500, 500, 500), cell("c", false, 500, 500, 500),
	}
	r.Summarize()
	on, off := r.Cells[2].Summary, r.Cells[5].Summary
	if on.BetterPeer != "b" || *on.Ratio != 2 {
		t.Errorf("fsync on: better peer %q ratio %v, want b and 2", on.BetterPeer, *on.Ratio)
	}
	if off.BetterPeer != "a" || *off.Ratio != 0.5 || *off.P99Ratio != 1 {
		t.Errorf("fsync off: better peer %q ratio %v p99 ratio %v, want a, 0.5 and 1", off.BetterPeer, *off.Ratio, *off.P99Ratio)
	}
	if r.Cells[0].Summary.Ratio != nil {
		t.Error("a peer got a ratio")
	}
	if r.Cells[0].Summary.OpsPerSec != 100 || r.Cells[0].Summary.MinOps != 90 || r.Cells[0].Summary.MaxOps != 110 {
		t.Errorf("peer a's summary %+v, want median 100 in 90–110", r.Cells[0].Summary)
	}

	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"× better peer", "2.00 (b)", "0.50 (a)", "ops/s"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, table.String())
		}
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatalf("the report does not encode as JSON: %v", err)
	}
}

func TestACellOnABusyMachineOrWithScatteredRunsIsMarkedUnreliable(t *testing.T) {
	busy := []Sample{sample(100, 1), sample(100, 1), sample(100, 1)}
	for i := range busy {
		busy[i].OthersCPU = 0.5
	}
	for name, ss := range map[string][]Sample{
		"busy":      busy,
		"scattered": {sample(50, 1), sample(100, 1), sample(150, 1)},
	} {
		if !summarize(ss).Unreliable {
			t.Errorf("a %s cell is not marked unreliable", name)
		}
	}
	if summarize([]Sample{sample(100, 1), sample(105, 1), sample(98, 1)}).Unreliable {
		t.Error("a quiet, consistent cell is marked unreliable")
	}
	failed := &Report{Peers: []string{"a"}, Cells: []*Cell{{System: "a", Clients: 1, Errors: []string{"start: no leader"}}}}
	failed.Summarize()
	var out bytes.Buffer
	failed.WriteTable(&out)
	if !strings.Contains(out.String(), "failed: start: no leader") {
		t.Errorf("a failed cell does not say why:\n%s", out.String())
	}
}

func TestTheProbesMeasureARoundTripAndAnFsync(t *testing.T) {
	p, err := Probe(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if p.LoopbackRTT <= 0 || p.AppendFsync <= 0 || p.PreallocSync <= 0 {
		t.Fatalf("probes %+v: want positive durations", p)
	}
	m := Describe(t.TempDir())
	if m.CPUs < 1 || m.Go == "" || m.Filesystem == "" {
		t.Fatalf("machine %+v", m)
	}
}
