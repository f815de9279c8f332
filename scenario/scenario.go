// Package scenario binds a protocol to what it takes to exercise it: the
// processes, the client workload, the properties checked on the run's history
// and the faults under which they must hold. The simulator, the real runtime
// and the CLI all run a Scenario the same way, so a property checked in
// simulation is the property checked over TCP.
package scenario

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/fault"
)

// Scenario describes one runnable protocol.
type Scenario struct {
	// Name is what the CLI calls it (rondo sim NAME).
	Name string
	// Model is the programming model it is written in: "event", "rounds",
	// "crdt", …
	Model string
	// Summary says in one line what it does.
	Summary string
	// Faults states the fault assumptions under which Check must pass, in
	// words and in fault-spec terms.
	Faults string
	// FaultModel names the fault model in a word: "benign", "crash",
	// "crash-recovery", "byzantine".
	FaultModel string
	// Threshold is the resilience bound in one phrase: "n > 3f", "f < n".
	Threshold string
	// Accepts refuses fault specs outside the model (nil accepts any). The
	// error says what to change.
	Accepts func(sp fault.Spec, n int) error
	// MinNodes is the smallest cluster the scenario makes sense for.
	MinNodes int
	// MaxNodes is the largest cluster it can serve (0: no limit of its own):
	// a limit of its representation (a 64-bit set of nodes) or of its cost
	// (messages per operation growing with n²). A larger -n is refused
	// before anything runs, with MaxNodesWhy as the reason.
	MaxNodes    int
	MaxNodesWhy string
	// Register adds the protocol's message types to a codec registry.
	Register func(r *core.Registry)
	// New builds node id's process for a cluster of n nodes. It is called
	// again for every restart.
	New func(id core.NodeID, n int) core.Process
	// Byzantine builds the process a Byzantine node runs instead of New's
	// (nil: the scenario does not tolerate Byzantine nodes).
	Byzantine func(id core.NodeID, n int) core.Process
	// Workload draws the client inputs of one run.
	Workload func(n int, rng *rand.Rand) []Input
	// Properties names what Check checks, for people reading a report.
	Properties []string
	// Check returns every property violated by a finished run.
	Check func(h *History) []Violation
	// Liveness names the properties of Properties that promise something
	// eventually happens (delivery, convergence, termination). They are
	// judged only on a run that finished its work: a run cut short by a
	// bound cannot show that something never happens. See Judge.
	Liveness []string
	// Done reports whether a run on the real runtime may stop early because
	// everything it waits for has happened (nil: run until the deadline). It
	// is asked only once the whole workload has been issued.
	Done func(h *History) bool
	// Instances returns the scenario with k protocol instances per run, for
	// protocols that run many (nil: the protocol has no instances).
	Instances func(k int) Scenario
	// Report adds protocol-specific figures to the run summary (optional).
	Report func(h *History) map[string]any
}

// Admits refuses a run of s on n nodes under sp that is outside what s is
// built for, with an error that says what to change. The rule is one rule
// everywhere: a fault spec outside the protocol's fault model is refused
// before the run (the CLI's exit status 2), so that a violation reported
// after a run (exit status 1) always means a bug. Outside the model are:
// more faulty nodes than the threshold, Byzantine nodes for a protocol that
// tolerates none, and (for every protocol, whose liveness needs fair-lossy
// links) faults that let no message through for ever: drop=1, or a
// partition never healed.
func (s Scenario) Admits(sp fault.Spec, n int) error {
	if n < max(s.MinNodes, 1) {
		return fmt.Errorf("%s needs at least %d nodes, got -n %d", s.Name, max(s.MinNodes, 1), n)
	}
	if s.MaxNodes > 0 && n > s.MaxNodes {
		return fmt.Errorf("%s serves at most %d nodes, got -n %d: %s", s.Name, s.MaxNodes, n, s.MaxNodesWhy)
	}
	if err := sp.Validate(n); err != nil {
		return err
	}
	if err := sp.EventuallyConnected(); err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	if s.Accepts != nil {
		if err := s.Accepts(sp, n); err != nil {
			return err
		}
	}
	if sp.Byzantine > 0 && s.Byzantine == nil {
		return fmt.Errorf("%s does not tolerate Byzantine nodes: drop byzantine=%d", s.Name, sp.Byzantine)
	}
	return nil
}

// Judge checks a run's history. On a finished run it returns every
// violation. On a run cut short by a bound (finished false) it returns only
// the safety violations, and lists in unjudged the liveness properties that
// Check found unmet but that the run was too short to judge.
func (s Scenario) Judge(h *History, finished bool) (violations []Violation, unjudged []string) {
	if s.Check == nil {
		return nil, nil
	}
	all := s.Check(h)
	if finished {
		return all, nil
	}
	for _, v := range all {
		if slices.Contains(s.Liveness, v.Property) {
			if !slices.Contains(unjudged, v.Property) {
				unjudged = append(unjudged, v.Property)
			}
			continue
		}
		violations = append(violations, v)
	}
	return violations, unjudged
}

// Input is one client request: Body is handed to Node at time At.
type Input struct {
	At   time.Duration
	Node core.NodeID
	Body any
}

// Observation is an input a node accepted or an output it produced.
type Observation struct {
	At          time.Duration
	Node        core.NodeID
	Incarnation int
	Output      bool // false: an input (a core.Request) the node accepted
	Value       any
}

// History is what a run leaves for properties to be checked on.
type History struct {
	N            int
	Observations []Observation
	// Crashed marks nodes that crashed at least once during the run; the
	// others are the correct nodes.
	Crashed []bool
	// Byzantine marks nodes that were Byzantine.
	Byzantine []bool
	// Lost counts inputs addressed to a node that was down at the time.
	Lost int
	End  time.Duration
}

// NewHistory returns an empty history for n nodes.
func NewHistory(n int) *History {
	return &History{N: n, Crashed: make([]bool, n), Byzantine: make([]bool, n)}
}

// Correct reports whether node id never crashed and was not Byzantine.
func (h *History) Correct(id core.NodeID) bool {
	return int(id) < h.N && !h.Crashed[id] && !h.Byzantine[id]
}

// Violation is a property that did not hold.
type Violation struct {
	Property string `json:"property"`
	Detail   string `json:"detail"`
}

func (v Violation) String() string { return v.Property + ": " + v.Detail }

// Catalog is a set of scenarios by name.
type Catalog struct {
	list []Scenario
}

// Add registers s; names must be unique.
func (c *Catalog) Add(s Scenario) {
	if _, ok := c.Lookup(s.Name); ok {
		panic("scenario: duplicate name " + s.Name)
	}
	c.list = append(c.list, s)
}

// Lookup finds a scenario by name.
func (c *Catalog) Lookup(name string) (Scenario, bool) {
	for _, s := range c.list {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// All lists the scenarios in the order they were added.
func (c *Catalog) All() []Scenario { return c.list }

// Names lists the scenario names.
func (c *Catalog) Names() []string {
	names := make([]string, len(c.list))
	for i, s := range c.list {
		names[i] = s.Name
	}
	return names
}

// Unknown is the error for a name the catalog does not hold.
func (c *Catalog) Unknown(name string) error {
	return fmt.Errorf("unknown protocol %q; known: %v (see rondo list)", name, c.Names())
}

// WorkloadStream is the random stream a run's workload is drawn from,
// separate from the network's and the fault plan's, so that the same seed
// gives the same client inputs in the simulator, in rondo run and on every
// node started with rondo node, whatever the faults.
const WorkloadStream = 0x5eed_0f_10ad

// Inputs draws the workload of a run of n nodes with seed.
func (s Scenario) Inputs(n int, seed uint64) []Input {
	if s.Workload == nil {
		return nil
	}
	return s.Workload(n, rand.New(rand.NewPCG(seed, WorkloadStream)))
}

// Codec builds the registry for s.
func (s Scenario) Codec() *core.Registry {
	r := &core.Registry{}
	if s.Register != nil {
		s.Register(r)
	}
	return r
}
