package sim

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/scenario"
	"github.com/rondo-dev/rondo/trace"
)

// Setup is a scenario run on n nodes under a fault spec.
type Setup struct {
	Scenario scenario.Scenario
	N        int
	Faults   fault.Spec
	// RoundTrip passes every message through the scenario's codec.
	RoundTrip bool
	// MaxTime bounds each run in virtual time (default DefaultMaxTime).
	MaxTime time.Duration
	// Progress, if set, is passed to each run as Config.Progress.
	Progress func(events int, now time.Duration)
}

// NewSetup parses a fault spec and returns the setup of sc on n nodes under
// it, with every message round-tripped through the codec, or the error that
// says why the scenario cannot run so.
func NewSetup(sc scenario.Scenario, n int, faults string) (Setup, error) {
	sp, err := fault.Parse(faults)
	if err != nil {
		return Setup{}, err
	}
	s := Setup{Scenario: sc, N: n, Faults: sp, RoundTrip: true}
	return s, s.Validate()
}

// Validate refuses a setup the scenario cannot be run under (see
// scenario.Scenario.Admits), and faults that would fall after the run's
// time bound.
func (s Setup) Validate() error {
	if err := s.Scenario.Admits(s.Faults, s.N); err != nil {
		return err
	}
	return s.Faults.Within(s.maxTime(), fmt.Sprintf("the run's time bound (--max-time %v)", s.maxTime()))
}

func (s Setup) maxTime() time.Duration {
	if s.MaxTime > 0 {
		return s.MaxTime
	}
	return DefaultMaxTime
}

// CheckWorkload refuses a seed whose workload issues inputs at or after the
// run's time bound: a run that never hands its nodes their work would pass
// vacuously.
func (s Setup) CheckWorkload(seed uint64) error {
	last := time.Duration(-1)
	for _, in := range s.Scenario.Inputs(s.N, seed) {
		last = max(last, in.At)
	}
	if end := s.maxTime(); last >= end {
		return fmt.Errorf("%s's workload issues its last input at %v, at or after the run's time bound (--max-time %v): raise --max-time or ask for less work", s.Scenario.Name, last, end)
	}
	return nil
}

// Outcome is one seeded run of a setup and the properties it violated.
type Outcome struct {
	Seed       uint64
	Result     *Result
	Violations []scenario.Violation
	// Incomplete says why the run stopped before finishing its work (a
	// bound was hit while the scenario was not done); empty when it
	// finished. An incomplete run without violations is not a pass.
	Incomplete string
}

// RunOne runs the setup once with seed, writing its trace to tr if non-nil.
func (s Setup) RunOne(ctx context.Context, seed uint64, tr *trace.Writer) (Outcome, error) {
	sc := s.Scenario
	inputs := sc.Inputs(s.N, seed)
	cfg := Config{
		Name: sc.Name, N: s.N, Seed: seed, Faults: s.Faults,
		New: sc.New, Byzantine: sc.Byzantine,
		Inputs: inputs, MaxTime: s.MaxTime, Trace: tr, Progress: s.Progress,
	}
	if s.RoundTrip {
		cfg.Codec = sc.Codec()
	}
	res, err := Run(ctx, cfg)
	if err != nil {
		return Outcome{Seed: seed}, err
	}
	out := Outcome{Seed: seed, Result: res, Incomplete: incomplete(sc, res, s.maxTime())}
	var unjudged []string
	out.Violations, unjudged = sc.Judge(res.History, out.Incomplete == "")
	if len(unjudged) > 0 {
		out.Incomplete += "; not judged: " + strings.Join(unjudged, ", ")
	}
	if tr != nil {
		for _, v := range out.Violations {
			tr.Write(trace.Event{At: res.End, Kind: trace.Violation, Node: -1, Peer: -1, Msg: v.Property, Detail: v.Detail})
		}
		if err := tr.Flush(); err != nil {
			return out, err
		}
	}
	return out, nil
}

// incomplete says why a run did not finish its work, or "".
func incomplete(sc scenario.Scenario, res *Result, bound time.Duration) string {
	switch {
	case res.HitMaxPending:
		return fmt.Sprintf("stopped after %d events with more than %d events pending: the run grows faster than it drains (use fewer nodes or less work)", res.Events, DefaultMaxPending)
	case res.HitMaxEvents:
		return fmt.Sprintf("stopped at the event bound (%d events) before the run finished (use fewer nodes or less work)", res.Events)
	case !res.Quiescent && sc.Done != nil && !sc.Done(res.History):
		return fmt.Sprintf("stopped at the time bound (--max-time %v) before the workload finished (raise --max-time)", bound)
	}
	return ""
}

// Campaign is the sum of many seeded runs.
type Campaign struct {
	Runs      int
	Events    int
	Sent      int
	Delivered int
	Virtual   time.Duration
	// Failures are the failing runs, lowest seed first. With StopAtFirst,
	// Failures[0] is the lowest failing seed among seeds first..first+runs-1.
	Failures []Outcome
	// Incomplete are the runs that stopped before finishing their work
	// without a violation, lowest seed first.
	Incomplete []Outcome
}

// CampaignOptions tune a campaign.
type CampaignOptions struct {
	// Workers run seeds in parallel (default GOMAXPROCS). Each run is still a
	// pure function of its seed.
	Workers int
	// KeepGoing runs every seed even after a failure.
	KeepGoing bool
	// Progress, if set, is called after each finished run.
	Progress func(done, failed int)
}

// RunCampaign runs seeds first, first+1, …, first+runs-1. Cancelling ctx
// stops it: runs in progress end with an error, and no new run starts.
func (s Setup) RunCampaign(ctx context.Context, first uint64, runs int, opt CampaignOptions) (Campaign, error) {
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, max(runs, 1))
	var (
		mu      sync.Mutex
		c       Campaign
		runErr  error
		next    int
		stopped bool
		wg      sync.WaitGroup
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if stopped || next >= runs {
			return 0, false
		}
		i := next
		next++
		return i, true
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i, ok := take()
				if !ok {
					return
				}
				out, err := s.RunOne(ctx, first+uint64(i), nil)
				mu.Lock()
				if err != nil {
					if runErr == nil {
						runErr = fmt.Errorf("seed %d: %w", first+uint64(i), err)
					}
					stopped = true
				} else {
					c.Runs++
					c.Events += out.Result.Events
					c.Sent += out.Result.Sent
					c.Delivered += out.Result.Delivered
					c.Virtual += out.Result.End
					if len(out.Violations) > 0 {
						c.Failures = append(c.Failures, out)
						if !opt.KeepGoing {
							stopped = true // seeds already taken still finish, so the lowest failure is found
						}
					} else if out.Incomplete != "" {
						c.Incomplete = append(c.Incomplete, out)
					}
				}
				if opt.Progress != nil {
					opt.Progress(c.Runs, len(c.Failures))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	bySeed := func(a, b Outcome) int { return cmp.Compare(a.Seed, b.Seed) }
	slices.SortFunc(c.Failures, bySeed)
	slices.SortFunc(c.Incomplete, bySeed)
	return c, runErr
}
