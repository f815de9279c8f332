package kvbench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Workload is what every cell runs: closed-loop clients, each writing a
// value of ValueSize bytes under a key drawn uniformly from Keys keys and
// waiting for the write to be applied before it issues the next.
type Workload struct {
	Keys      int           `json:"keys"`        // size of the keyspace
	ValueSize int           `json:"value_size"`  // bytes per value
	Warmup    time.Duration `json:"warmup_ns"`   // run, but not measured, before the window
	Duration  time.Duration `json:"duration_ns"` // the measured window
}

// Sample is one measured run of one cell.
type Sample struct {
	Ops       int           `json:"ops"`    // writes acknowledged inside the window
	Errors    int           `json:"errors"` // Put errors inside the window
	OpsPerSec float64       `json:"ops_per_sec"`
	P50       time.Duration `json:"p50_ns"`
	P99       time.Duration `json:"p99_ns"`
	Load1     float64       `json:"load1"`      // 1-minute load average at the end of the window
	OthersCPU float64       `json:"others_cpu"` // share of the machine's CPU used by other processes in the window (-1 where unknown)
	StartTook time.Duration `json:"start_ns"`   // time Start took (not part of the window)
	// CPUPerOp is this process's CPU time (all replicas and clients) in the
	// window over the writes acknowledged in it: what one write costs,
	// which busy neighbours disturb less than they disturb ops/s.
	CPUPerOp time.Duration `json:"cpu_per_op_ns"`
}

// valuePool is how many distinct values the clients draw from; values are
// random bytes, so nothing downstream can compress them.
const valuePool = 1024

// stuckAfter is how long the driver waits for writes in flight when the
// window closes before cancelling them, and again before giving up.
const stuckAfter = 10 * time.Second

// errRetryPause keeps a client whose Put failed from spinning while the
// cluster has no leader; failures are counted, not hidden.
const errRetryPause = time.Millisecond

// Measure starts a fresh cluster of sys under a new directory inside dir,
// runs w with the given number of clients, and returns what the window saw.
// The cluster is closed and its directory removed before Measure returns.
func Measure(ctx context.Context, sys System, dir string, fsync bool, clients int, w Workload) (Sample, error) {
	if clients < 1 || w.Keys < 1 || w.ValueSize < 0 || w.Duration <= 0 || w.Warmup < 0 {
		return Sample{}, fmt.Errorf("kvbench: bad workload: %d clients, %+v", clients, w)
	}
	data, err := os.MkdirTemp(dir, "kvbench-"+sys.Name()+"-")
	if err != nil {
		return Sample{}, err
	}
	defer os.RemoveAll(data)

	began := time.Now()
	c, err := sys.Start(data, fsync)
	if err != nil {
		return Sample{}, fmt.Errorf("%s: start: %w", sys.Name(), err)
	}
	took := time.Since(began)
	s, runErr := drive(ctx, c, clients, w)
	closeErr := c.Close()
	s.StartTook = took
	if runErr != nil {
		return s, fmt.Errorf("%s: %w", sys.Name(), runErr)
	}
	if closeErr != nil {
		return s, fmt.Errorf("%s: close: %w", sys.Name(), closeErr)
	}
	return s, nil
}

// drive runs the closed-loop clients against c and measures the window.
func drive(ctx context.Context, c Cluster, clients int, w Workload) (Sample, error) {
	keys := make([]string, w.Keys)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%08d", i)
	}
	seed := rand.New(rand.NewPCG(1, 2))
	values := make([][]byte, valuePool)
	for i := range values {
		v := make([]byte, w.ValueSize)
		for j := range v {
			v[j] = byte(seed.Uint32())
		}
		values[i] = v
	}

	// Puts still in flight when the window closes get a grace period, then
	// their context is cancelled so that a lost write cannot hang the run.
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	start := time.Now()
	from := start.Add(w.Warmup)
	to := from.Add(w.Duration)
	var stop atomic.Bool
	type result struct {
		lat    []time.Duration
		errors int
		err    error
	}
	results := make([]result, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 7))
			res := &results[i]
			res.lat = make([]time.Duration, 0, 1024)
			for !stop.Load() {
				key := keys[r.IntN(len(keys))]
				val := values[r.IntN(len(values))]
				t0 := time.Now()
				err := c.Put(runCtx, key, val)
				t1 := time.Now()
				in := !t1.Before(from) && !t1.After(to)
				if err != nil {
					if runCtx.Err() != nil {
						return
					}
					if in {
						res.errors++
						res.err = err
					}
					time.Sleep(errRetryPause)
					continue
				}
				if in {
					res.lat = append(res.lat, t1.Sub(t0))
				}
			}
		}()
	}

	select {
	case <-time.After(time.Until(from)):
	case <-ctx.Done():
	}
	cpuFrom := readCPU()
	select {
	case <-time.After(time.Until(to)):
	case <-ctx.Done():
	}
	cpuTo := readCPU()
	stop.Store(true)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(stuckAfter):
		cancel()
		select {
		case <-done:
		case <-time.After(stuckAfter):
			// A Put that ignores its context (hashicorp's futures cannot
			// be abandoned) is released when Measure closes the cluster.
			return Sample{}, fmt.Errorf("writes still in flight %v after the window closed", 2*stuckAfter)
		}
	}
	if err := ctx.Err(); err != nil {
		return Sample{}, err
	}

	var all []time.Duration
	var s Sample
	var lastErr error
	for _, r := range results {
		all = append(all, r.lat...)
		s.Errors += r.errors
		if r.err != nil {
			lastErr = r.err
		}
	}
	slices.Sort(all)
	s.Ops = len(all)
	s.OpsPerSec = float64(s.Ops) / w.Duration.Seconds()
	s.P50 = quantile(all, 0.50)
	s.P99 = quantile(all, 0.99)
	s.Load1 = loadAverage()[0]
	s.OthersCPU = othersShare(cpuFrom, cpuTo)
	if cpuFrom.ok && cpuTo.ok && s.Ops > 0 {
		s.CPUPerOp = (cpuTo.self - cpuFrom.self) / time.Duration(s.Ops)
	}
	if s.Ops == 0 {
		if lastErr != nil {
			return s, fmt.Errorf("no write succeeded in the window: %w", lastErr)
		}
		return s, errors.New("no write succeeded in the window")
	}
	return s, nil
}

// quantile returns the nearest-rank q-quantile of sorted (0 when empty).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
