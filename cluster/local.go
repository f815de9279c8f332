package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/fault"
	"github.com/rondo-dev/rondo/scenario"
	"github.com/rondo-dev/rondo/transport"
)

// planStream is the random stream the fault plan is drawn from; the workload
// comes from scenario.WorkloadStream, as in the simulator.
const planStream = 0x706c616e

// Workload draws a scenario's client inputs for seed, exactly as every
// node of a cluster and the simulator draw them.
func Workload(sc scenario.Scenario, n int, seed uint64) []scenario.Input {
	return sc.Inputs(n, seed)
}

// DefaultTimeout bounds a local run when LocalConfig.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// LocalConfig is a scenario run on N nodes over loopback TLS in this OS
// process.
type LocalConfig struct {
	Scenario scenario.Scenario
	N        int
	Faults   fault.Spec
	Seed     uint64
	// Timeout ends the run if the scenario's Done never holds.
	Timeout time.Duration
	// Logger receives every node's logs (default: discarded).
	Logger *slog.Logger
	// Registerer, if set, gets every node's transport metrics, labelled
	// node="i".
	Registerer prometheus.Registerer
	// Progress, if set, is called about once a second while the run waits,
	// with the outputs so far and the time since the start.
	Progress func(outputs int, wall time.Duration)
}

// LocalResult is what a local run leaves.
type LocalResult struct {
	History *scenario.History
	Inputs  []scenario.Input
	Plan    fault.Plan
	// Stats sums the transport counters of every node and incarnation.
	Stats transport.Stats
	Wall  time.Duration
	// Finished is true when the scenario's Done held before the timeout.
	Finished bool
}

// Validate refuses a run the scenario or the real runtime cannot do (see
// scenario.Scenario.Admits), and faults after the run's timeout.
func (c LocalConfig) Validate() error {
	if err := Injectable(c.Faults); err != nil {
		return err
	}
	if err := c.Scenario.Admits(c.Faults, c.N); err != nil {
		return err
	}
	if err := c.fitsFileLimit(); err != nil {
		return err
	}
	timeout := c.timeout()
	if err := c.Faults.Within(timeout, fmt.Sprintf("the run's --timeout %v", timeout)); err != nil {
		return err
	}
	last := time.Duration(-1)
	for _, in := range Workload(c.Scenario, c.N, c.Seed) {
		last = max(last, in.At)
	}
	if last >= timeout {
		return fmt.Errorf("%s's workload issues its last input at %v, at or after --timeout %v: raise --timeout or ask for less work", c.Scenario.Name, last, timeout)
	}
	return nil
}

// MaxLocalNodes bounds a local run: every node of it lives in this OS
// process, with a TLS connection to every other node.
const MaxLocalNodes = 256

// fitsFileLimit refuses a cluster whose connections would not fit in this
// process's file descriptors (one connection per pair of nodes, both of its
// ends here, plus a listener per node), or that is beyond MaxLocalNodes.
func (c LocalConfig) fitsFileLimit() error {
	if c.N > MaxLocalNodes {
		return fmt.Errorf("a local run holds every node in one process, at most %d; got -n %d: run larger clusters with rondo node, one process per node", MaxLocalNodes, c.N)
	}
	need := uint64(c.N)*uint64(c.N-1) + uint64(c.N) + 64
	if limit, ok := fileLimit(); ok && need > limit {
		return fmt.Errorf("-n %d needs about %d file descriptors for its connections, but this process may open %d: raise the limit (ulimit -n) or use fewer nodes", c.N, need, limit)
	}
	return nil
}

func (c LocalConfig) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// local is the state of one RunLocal.
type local struct {
	cfg    LocalConfig
	log    *slog.Logger
	ca     *transport.CA
	idn    []*transport.Identity
	addrs  []string
	codec  core.Codec
	faults *transport.Faults
	start  time.Time

	mu       sync.Mutex
	h        *scenario.History
	nodes    []*Node // nil while down
	incs     []int
	stores   []core.Storage
	stats    transport.Stats
	stopped  bool
	progress chan struct{} // poked on every observation
	// Inputs handed to each node's current incarnation, and how many of
	// them it has taken: an input counts as given once a node took it or
	// it was lost to a crash, and only then may Done end the run.
	submitted, taken []int
	given            int
}

// RunLocal runs cfg's scenario on real TLS connections over loopback: it
// makes an ephemeral CA, starts N nodes on ports the OS picks, hands the
// workload's inputs to their nodes at their times, applies the fault plan,
// and stops when the scenario's Done holds (after the last input and fault)
// or the timeout passes. The caller checks the returned history with the
// scenario's Check. Cancelling ctx ends the run early, as the timeout does.
func RunLocal(ctx context.Context, cfg LocalConfig) (*LocalResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	n := cfg.N
	l := &local{
		cfg: cfg, log: cfg.Logger, codec: cfg.Scenario.Codec(),
		h:         scenario.NewHistory(n),
		nodes:     make([]*Node, n),
		incs:      make([]int, n),
		stores:    make([]core.Storage, n),
		submitted: make([]int, n),
		taken:     make([]int, n),
		progress:  make(chan struct{}, 1),
		faults:    transport.NewFaults(cfg.Faults, n, cfg.Seed),
	}
	var err error
	if l.ca, err = transport.NewCA("rondo ephemeral CA"); err != nil {
		return nil, err
	}
	lns := make([]net.Listener, n)
	for i := range n {
		if lns[i], err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			closeAll(lns)
			return nil, fmt.Errorf("binding a loopback port: %w", err)
		}
		l.addrs = append(l.addrs, lns[i].Addr().String())
		idn, err := l.ca.Identity(core.NodeID(i), "127.0.0.1")
		if err != nil {
			closeAll(lns)
			return nil, err
		}
		l.idn = append(l.idn, idn)
		l.stores[i] = &core.MemStorage{}
	}
	inputs := Workload(cfg.Scenario, n, cfg.Seed)
	plan := cfg.Faults.Plan(n, rand.New(rand.NewPCG(cfg.Seed, planStream)))
	l.start = time.Now()
	for i := range n {
		if err := l.startNode(core.NodeID(i), lns[i]); err != nil {
			closeAll(lns[i+1:])
			l.stopAll()
			return nil, err
		}
	}
	drove := make(chan struct{})
	stopDriving := make(chan struct{})
	go func() {
		defer close(drove)
		l.drive(inputs, plan.Actions, stopDriving)
	}()
	finished := l.wait(ctx, drove, len(inputs), cfg.Timeout)
	close(stopDriving)
	<-drove
	wall := time.Since(l.start)
	panicked := l.stopAll()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.h.End = wall
	res := &LocalResult{History: l.h, Inputs: inputs, Plan: plan, Stats: l.stats, Wall: wall, Finished: finished}
	return res, panicked
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		if ln != nil {
			ln.Close()
		}
	}
}

// startNode starts node id's next incarnation; ln is its listener, or nil
// to listen on its address again after a crash.
func (l *local) startNode(id core.NodeID, ln net.Listener) error {
	l.mu.Lock()
	inc := l.incs[id]
	l.mu.Unlock()
	var reg prometheus.Registerer
	if l.cfg.Registerer != nil {
		reg = prometheus.WrapRegistererWith(prometheus.Labels{"node": strconv.Itoa(int(id))}, l.cfg.Registerer)
	}
	sc := l.cfg.Scenario
	cfg := NodeConfig{
		ID: id, Addrs: l.addrs, Listener: ln, Identity: l.idn[id], Codec: l.codec,
		New:     func() core.Process { return sc.New(id, l.cfg.N) },
		Storage: l.stores[id], Incarnation: inc, Seed: l.cfg.Seed,
		Faults: l.faults, Logger: l.log, Registerer: reg,
		// Peers of a crashed node redial it quickly once it is back.
		BackoffMin: 5 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
		Output: func(o Output) {
			l.observe(scenario.Observation{Node: o.Node, Incarnation: o.Incarnation, Output: true, Value: o.Value})
		},
		OnRequest: func(body any) {
			l.mu.Lock()
			l.taken[id]++
			l.given++
			l.mu.Unlock()
			l.observe(scenario.Observation{Node: id, Incarnation: inc, Value: body})
		},
	}
	var node *Node
	var err error
	for try := 0; ; try++ {
		node, err = StartNode(cfg)
		// A restarted node listens on its old port; the kernel may take a
		// moment to release it.
		if err == nil || ln != nil || try == 50 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("starting node %d: %w", id, err)
	}
	l.mu.Lock()
	l.nodes[id] = node
	l.mu.Unlock()
	return nil
}

func (l *local) observe(o scenario.Observation) {
	l.mu.Lock()
	if !l.stopped {
		o.At = time.Since(l.start)
		l.h.Observations = append(l.h.Observations, o)
	}
	l.mu.Unlock()
	select {
	case l.progress <- struct{}{}:
	default:
	}
}

// step is one timed thing the driver does: an input or a fault.
type step struct {
	at     time.Duration
	input  *scenario.Input
	action *fault.Action
}

// drive hands out inputs and applies faults at their times.
func (l *local) drive(inputs []scenario.Input, actions []fault.Action, stop <-chan struct{}) {
	var steps []step
	for i := range inputs {
		steps = append(steps, step{at: inputs[i].At, input: &inputs[i]})
	}
	for i := range actions {
		steps = append(steps, step{at: actions[i].At, action: &actions[i]})
	}
	slices.SortStableFunc(steps, func(a, b step) int { return cmp.Compare(a.at, b.at) })
	for _, s := range steps {
		if wait := s.at - time.Since(l.start); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-stop:
				t.Stop()
				return
			}
		}
		if s.input != nil {
			id := s.input.Node
			l.mu.Lock()
			node := l.nodes[id]
			if node == nil {
				l.h.Lost++
				l.given++
			} else {
				l.submitted[id]++
			}
			l.mu.Unlock()
			if node != nil {
				node.Submit(s.input.Body)
			}
			continue
		}
		l.apply(*s.action)
	}
}

func (l *local) apply(a fault.Action) {
	l.log.Info("fault", "action", a.String())
	switch a.Kind {
	case fault.Partition:
		l.faults.Partition(a.Groups)
	case fault.Heal:
		l.faults.Heal()
	case fault.Crash:
		l.mu.Lock()
		node := l.nodes[a.Node]
		l.nodes[a.Node] = nil
		l.h.Crashed[a.Node] = true
		l.mu.Unlock()
		if node != nil {
			l.retire(node)
			// Inputs the node had queued but not taken died with it.
			l.mu.Lock()
			lost := l.submitted[a.Node] - l.taken[a.Node]
			l.h.Lost += lost
			l.given += lost
			l.submitted[a.Node], l.taken[a.Node] = 0, 0
			l.mu.Unlock()
		}
	case fault.Restart:
		l.mu.Lock()
		up := l.nodes[a.Node] != nil
		if !up {
			l.incs[a.Node]++
		}
		l.mu.Unlock()
		if !up {
			if err := l.startNode(a.Node, nil); err != nil {
				l.log.Error("restart failed; the node stays down", "node", uint32(a.Node), "reason", err.Error())
			}
		}
	}
}

// retire stops a node and keeps its transport figures.
func (l *local) retire(node *Node) {
	node.Stop()
	s := node.Transport().Stats()
	l.mu.Lock()
	l.stats.MessagesSent += s.MessagesSent
	l.stats.BytesSent += s.BytesSent
	l.stats.MessagesReceived += s.MessagesReceived
	l.stats.BytesReceived += s.BytesReceived
	l.stats.MessagesDropped += s.MessagesDropped
	l.mu.Unlock()
}

// wait returns true once the driver is done, every input was taken by its
// node (or lost to a crash) and the scenario's Done holds; false at the
// timeout.
func (l *local) wait(ctx context.Context, drove <-chan struct{}, inputs int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	driving := drove
	for {
		select {
		case <-deadline.C:
			return false
		case <-ctx.Done():
			return false
		case <-tick.C:
			if l.cfg.Progress != nil {
				l.mu.Lock()
				outs := 0
				for _, o := range l.h.Observations {
					if o.Output {
						outs++
					}
				}
				l.mu.Unlock()
				l.cfg.Progress(outs, time.Since(l.start))
			}
			continue
		case <-driving:
			driving = nil // all inputs given and faults applied
		case <-l.progress:
		}
		if driving == nil && l.cfg.Scenario.Done != nil {
			l.mu.Lock()
			done := l.given == inputs && l.cfg.Scenario.Done(l.h)
			l.mu.Unlock()
			if done {
				return true
			}
		}
	}
}

// stopAll stops every running node and reports any process panic.
func (l *local) stopAll() error {
	l.mu.Lock()
	l.stopped = true
	nodes := slices.Clone(l.nodes)
	clear(l.nodes)
	l.mu.Unlock()
	var errs []error
	for _, node := range nodes {
		if node != nil {
			l.retire(node)
			if err := node.Err(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
