package rounds

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/scenario"
)

// ScenarioOptions shape the scenario built by Scenario. The zero value
// gives the defaults.
type ScenarioOptions struct {
	// Name overrides the algorithm's name (e.g. to run a broken variant
	// under a name of its own).
	Name string
	// Instances is how many instances one run decides (default 3).
	Instances int
	// Values is the size of the input domain 0..Values-1 (default 3).
	Values int
	// ValueSize is the size in bytes of each input of an algorithm that
	// decides strings (default 16): input i is a string of ValueSize bytes
	// starting "v<i>|" (see DomainOf). Int64 inputs ignore it.
	ValueSize int
	// Spacing separates the instances' proposals (default 20ms).
	Spacing time.Duration
	// Jitter spreads one instance's proposals over the nodes (default 5ms;
	// always 0 in the crash model, whose rounds must start together).
	Jitter time.Duration
	// Runtime configures every node's runtime. Zero fields take the
	// runtime's defaults, except: MaxTimeout 200ms; in the crash model a
	// fixed 20ms round (Timeout = MinTimeout); MaxRounds 40 for an
	// algorithm whose progress is not a decision (leader).
	Runtime Config

	undecided bool // the algorithm's progress is not a decision
}

func (o ScenarioOptions) withDefaults(model Model) ScenarioOptions {
	if o.Instances <= 0 {
		o.Instances = 3
	}
	if o.Values <= 0 {
		o.Values = 3
	}
	if o.Spacing <= 0 {
		o.Spacing = 20 * time.Millisecond
	}
	if o.Jitter <= 0 {
		o.Jitter = 5 * time.Millisecond
	}
	if o.Runtime.MaxTimeout <= 0 {
		// Scenarios run in the simulator and on loopback or a LAN, where
		// no round needs this long. A lower cap also bounds how far apart
		// the nodes' timeouts (which only grow while no round ends early)
		// can drift, and with them the nodes' rounds.
		o.Runtime.MaxTimeout = scenarioMaxTimeout
	}
	if o.Runtime.MaxRounds <= 0 && o.undecided {
		// An algorithm whose progress is not a decision (an eventual
		// leader) runs each instance for a bounded number of rounds.
		o.Runtime.MaxRounds = 40
	}
	if model == Crash {
		// Synchronous rounds: everybody starts together and a round lasts
		// well beyond any message delay the scenario accepts.
		o.Jitter = 0
		if o.Runtime.Timeout <= 0 {
			o.Runtime.Timeout = crashRoundTimeout
		}
		if o.Runtime.MinTimeout <= 0 {
			o.Runtime.MinTimeout = o.Runtime.Timeout
		}
	}
	return o
}

// crashRoundTimeout is the crash model's round length, and crashMaxDelay the
// largest message delay it accepts: rounds are synchronous only if every
// message of a live process arrives within its round.
const (
	scenarioMaxTimeout = 200 * time.Millisecond
	crashRoundTimeout  = 20 * time.Millisecond
	crashMaxDelay      = 5 * time.Millisecond
)

// Scenario turns a round-based algorithm into a scenario that the
// simulator, the real runtime and the CLI run: every node runs a Runtime,
// the workload proposes an input per node for a few instances, Byzantine
// nodes (byzantine=F) equivocate with the messages Spec.Forge allows, and
// Check evaluates the algorithm's Spec.Properties on the decisions of the
// run plus termination of the correct nodes when the faults stay within the
// algorithm's threshold.
//
// The inputs are drawn from DomainOf[V](opt.Values, opt.ValueSize): the
// integers 0..Values-1, or as many strings of ValueSize bytes.
func Scenario[S, M, V comparable](alg *AlgorithmOf[S, M, V], opt ScenarioOptions) scenario.Scenario {
	if err := alg.Validate(); err != nil {
		panic(err)
	}
	spec := &alg.Spec
	given := opt
	opt.undecided = !decides(alg)
	opt = opt.withDefaults(spec.Model)
	dom := DomainOf[V](opt.Values, opt.ValueSize)
	name := alg.Name
	if opt.Name != "" {
		name = opt.Name
	}
	sc := scenario.Scenario{
		Name:       name,
		Model:      "rounds",
		Summary:    alg.Summary,
		Faults:     faultsText(alg),
		FaultModel: spec.Model.String(),
		Threshold:  spec.Threshold,
		MinNodes:   1,
		Accepts:    func(sp fault.Spec, n int) error { return accepts(alg, sp, n) },
		Register:   func(r *core.Registry) { RegisterRuntime(alg, r) },
		New: func(core.NodeID, int) core.Process {
			return NewRuntime(alg, configFor[V](opt.Runtime))
		},
		Workload:    func(n int, rng *rand.Rand) []scenario.Input { return workload(n, rng, opt, dom) },
		Properties:  propertyNames(alg),
		Liveness:    []string{"termination"},
		MaxNodes:    MaxN,
		MaxNodesWhy: "process sets (heard-of sets, quorums) are 64-bit masks",
		Check:       func(h *scenario.History) []scenario.Violation { return check(alg, dom, h) },
		Done:        done[V],
		Report:      report[V],
	}
	sc.Instances = func(k int) scenario.Scenario {
		o := given
		o.Instances = k
		return Scenario(alg, o)
	}
	if spec.Model == Byzantine {
		intAlg, ok := any(alg).(*Algorithm[S, M])
		if !ok {
			panic(fmt.Sprintf("rounds: %s: a Byzantine algorithm's scenario decides int64 values (its adversary forges from 0..Values-1)", alg.Name))
		}
		sc.Byzantine = func(id core.NodeID, n int) core.Process {
			return NewAdversary(intAlg, opt.Values)
		}
	}
	return sc
}

// configFor is a scenario's runtime configuration for an algorithm over V:
// every field of c but Input, which only an int64 algorithm can take.
func configFor[V comparable](c Config) ConfigOf[V] {
	if cv, ok := any(c).(ConfigOf[V]); ok {
		return cv
	}
	if c.Input != nil {
		panic("rounds: ScenarioOptions.Runtime.Input gives int64 inputs; this algorithm decides other values")
	}
	return ConfigOf[V]{Timeout: c.Timeout, MinTimeout: c.MinTimeout, MaxTimeout: c.MaxTimeout,
		MaxAhead: c.MaxAhead, MaxInstances: c.MaxInstances, LogSize: c.LogSize, Linger: c.Linger,
		MaxRounds: c.MaxRounds, PendingTTL: c.PendingTTL, Reserve: c.Reserve, TimerKey: c.TimerKey,
		LogBytes: c.LogBytes, Ordered: c.Ordered, First: c.First, Window: c.Window, SuspectAfter: c.SuspectAfter}
}

// DomainOf is the input domain of a scenario (and of a checker's
// exploration): the integers 0..k-1 for int64 values, and for strings k
// strings of size bytes each (default 16), the i-th starting "v<i>|" and
// filled with a pattern that depends on i, so that values are told apart
// by their first bytes when they print (ShowValue). It panics for any other
// value type: a programming error found at start-up.
func DomainOf[V comparable](k, size int) []V {
	vs := make([]V, k)
	for i := range vs {
		switch p := any(&vs[i]).(type) {
		case *int64:
			*p = int64(i)
		case *string:
			if size <= 0 {
				size = 16
			}
			b := fmt.Appendf(make([]byte, 0, size), "v%d|", i)
			for j := 0; len(b) < size; j++ {
				b = append(b, byte('a'+(i+j)%26))
			}
			*p = string(b)
		default:
			panic(fmt.Sprintf("rounds: no input domain for values of type %T (int64 and string have one)", vs[i]))
		}
	}
	return vs
}

func maxFaults[S, M, V comparable](alg *AlgorithmOf[S, M, V], n int) int {
	if alg.Spec.MaxFaults == nil {
		return 0
	}
	return alg.Spec.MaxFaults(n)
}

func faultsText[S, M, V comparable](alg *AlgorithmOf[S, M, V]) string {
	sp := &alg.Spec
	switch sp.Model {
	case Byzantine:
		return fmt.Sprintf("Byzantine model (%s): byzantine=F plus crash=F/crashes=K up to f faulty in all; any loss short of drop=1, delay, reordering, partitions that heal (partial synchrony)", sp.Threshold)
	case Crash:
		return fmt.Sprintf("crash model, synchronous rounds (%s): crash=F and crashes=K up to f; no loss, reordering or partitions; delays up to %v", sp.Threshold, crashMaxDelay)
	}
	return fmt.Sprintf("benign model (%s): crash=F and crashes=K up to f; any loss short of drop=1, duplication, delay, reordering, partitions that heal; not byzantine", sp.Threshold)
}

// accepts refuses a system larger than MaxN and a fault spec beyond the
// algorithm's threshold.
func accepts[S, M, V comparable](alg *AlgorithmOf[S, M, V], sp fault.Spec, n int) error {
	if err := CheckSize(n); err != nil {
		return fmt.Errorf("%s: %w", alg.Name, err)
	}
	f := maxFaults(alg, n)
	th := alg.Spec.Threshold
	faulty := sp.CrashStop + sp.Crashes + sp.Byzantine
	if alg.Spec.Model != Byzantine && sp.Byzantine > 0 {
		return fmt.Errorf("%s is a %s-model algorithm and tolerates no Byzantine node: drop byzantine=%d", alg.Name, alg.Spec.Model, sp.Byzantine)
	}
	if faulty > f {
		return fmt.Errorf("%s tolerates at most f=%d faulty node(s) of n=%d (%s), but the spec makes %d faulty (crash=%d, crashes=%d, byzantine=%d)",
			alg.Name, f, n, th, faulty, sp.CrashStop, sp.Crashes, sp.Byzantine)
	}
	if alg.Spec.Model == Crash {
		switch {
		case sp.Drop > 0 || sp.Partitions > 0 || sp.Reorder > 0 || hasPartition(sp):
			return fmt.Errorf("%s assumes synchronous rounds with crash faults (%s): messages of live nodes are never lost, so drop, reorder and partitions are refused", alg.Name, th)
		case sp.DelayMax > crashMaxDelay:
			return fmt.Errorf("%s assumes synchronous rounds (%s): delays beyond %v are refused (got %v)", alg.Name, th, crashMaxDelay, sp.DelayMax)
		}
	}
	return nil
}

func hasPartition(sp fault.Spec) bool {
	return slices.ContainsFunc(sp.Schedule, func(a fault.Action) bool { return a.Kind == fault.Partition })
}

// workload proposes an input to every node for each instance.
func workload[V comparable](n int, rng *rand.Rand, opt ScenarioOptions, dom []V) []scenario.Input {
	var in []scenario.Input
	for k := range opt.Instances {
		base := time.Duration(k) * opt.Spacing
		for id := range n {
			at := base
			if opt.Jitter > 0 {
				at += time.Duration(rng.Int64N(int64(opt.Jitter)))
			}
			in = append(in, scenario.Input{At: at, Node: core.NodeID(id),
				Body: ProposeOf[V]{Instance: uint64(k + 1), Value: dom[rng.Int64N(int64(opt.Values))]}})
		}
	}
	slices.SortStableFunc(in, func(a, b scenario.Input) int { return int(a.At - b.At) })
	return in
}

func propertyNames[S, M, V comparable](alg *AlgorithmOf[S, M, V]) []string {
	var names []string
	for _, p := range properties(alg) {
		if !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	if decides(alg) {
		names = append(names, "termination")
	}
	return names
}

func properties[S, M, V comparable](alg *AlgorithmOf[S, M, V]) []PropertyOf[S, V] {
	return alg.Spec.Properties
}

// decides reports whether the algorithm's liveness promise is a decision
// of every correct process (rather than a predicate such as "everybody
// trusts the same leader"), so that termination can be checked on outputs.
func decides[S, M, V comparable](alg *AlgorithmOf[S, M, V]) bool {
	return alg.Spec.Liveness.Window != nil && alg.Spec.Liveness.Holds == nil
}
