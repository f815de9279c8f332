package sim

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
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

// Validate refuses a setup the scenario cannot be run under.
func (s Setup) Validate() error {
	sc := s.Scenario
	if s.N < max(sc.MinNodes, 1) {
		return fmt.Errorf("%s needs at least %d nodes, got -n %d", sc.Name, max(sc.MinNodes, 1), s.N)
	}
	if err := s.Faults.Validate(s.N); err != nil {
		return err
	}
	if sc.Accepts != nil {
		if err := sc.Accepts(s.Faults, s.N); err != nil {
			return err
		}
	}
	if s.Faults.Byzantine > 0 && sc.Byzantine == nil {
		return fmt.Errorf("%s does not tolerate Byzantine nodes: drop byzantine=%d", sc.Name, s.Faults.Byzantine)
	}
	return nil
}

// Outcome is one seeded run of a setup and the properties it violated.
type Outcome struct {
	Seed       uint64
	Result     *Result
	Violations []scenario.Violation
}

// RunOne runs the setup once with seed, writing its trace to tr if non-nil.
func (s Setup) RunOne(seed uint64, tr *trace.Writer) (Outcome, error) {
	sc := s.Scenario
	inputs := sc.Inputs(s.N, seed)
	cfg := Config{
		Name: sc.Name, N: s.N, Seed: seed, Faults: s.Faults,
		New: sc.New, Byzantine: sc.Byzantine,
		Inputs: inputs, MaxTime: s.MaxTime, Trace: tr,
	}
	if s.RoundTrip {
		cfg.Codec = sc.Codec()
	}
	res, err := Run(cfg)
	if err != nil {
		return Outcome{Seed: seed}, err
	}
	out := Outcome{Seed: seed, Result: res}
	if sc.Check != nil {
		out.Violations = sc.Check(res.History)
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

// RunCampaign runs seeds first, first+1, …, first+runs-1.
func (s Setup) RunCampaign(first uint64, runs int, opt CampaignOptions) (Campaign, error) {
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
				out, err := s.RunOne(first+uint64(i), nil)
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
	slices.SortFunc(c.Failures, func(a, b Outcome) int { return cmp.Compare(a.Seed, b.Seed) })
	return c, runErr
}
