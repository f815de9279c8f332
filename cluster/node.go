package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rondo-dev/rondo/core"
	"github.com/rondo-dev/rondo/transport"
)

// NodeConfig describes one incarnation of one node.
type NodeConfig struct {
	// ID is this node; Addrs lists every node's transport address by id.
	ID    core.NodeID
	Addrs []string
	// Listener, if set, is used instead of listening on Addrs[ID].
	Listener net.Listener
	// Identity authenticates the node (required: the runtime only speaks
	// TLS).
	Identity *transport.Identity
	// Codec encodes and decodes every message, including messages a node
	// sends itself: the same path the simulator can exercise.
	Codec core.Codec
	// New builds the process; it is called once per incarnation.
	New func() core.Process
	// Storage survives crashes (default: a fresh MemStorage). A
	// BatchStorage (DiskStorage) is committed once per batch of events,
	// before any effect of the batch leaves the node; any other Storage is
	// written through at every Put.
	Storage core.Storage
	// MaxBatch bounds the events handled in one batch, between two
	// commits (default DefaultMaxBatch).
	MaxBatch int
	// Incarnation is 0 for a first start; a restart passes the next number
	// and the process gets core.Restart after Init.
	Incarnation int
	// Seed seeds the process's Rand (mixed with id and incarnation).
	Seed uint64
	// Output receives what the process outputs, in order, once the batch
	// that output it is committed; OnRequest sees each client request just
	// before the process handles it. OnRequest runs on the node's
	// goroutine; Output on it too, or, with a PipelinedStorage
	// (DiskStorage), on the goroutine that waits for the disk. Neither may
	// block for long.
	Output    func(Output)
	OnRequest func(body any)
	// Faults injects message faults (optional).
	Faults *transport.Faults
	// Logger is the node's logger (default slog.Default()).
	Logger *slog.Logger
	// Registerer, if set, gets the transport's metrics.
	Registerer prometheus.Registerer
	// Transport tunables (zero values take the transport's defaults).
	MaxFrame               int
	BackoffMin, BackoffMax time.Duration
}

// Output is one value a process output.
type Output struct {
	Node        core.NodeID
	Incarnation int
	// At is the node's Now() when it output the value.
	At    time.Duration
	Value any
}

// Node is a running incarnation of a node.
type Node struct {
	cfg   NodeConfig
	log   *slog.Logger
	tr    *transport.Transport
	proc  core.Process
	start time.Time
	rng   *rand.Rand
	nodes []core.NodeID

	inbox    chan any
	local    []core.Message // messages to self, handled before the inbox
	timers   timers
	stopping chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	err      error // a panic or a fail-stop, set before done closes
	colls    []prometheus.Collector
	store    core.Storage // cfg.Storage with the fail-stop policy
	batcher  BatchStorage // cfg.Storage, if it commits in batches
	// commitAsync is the storage's pipelined commit (PipelinedStorage),
	// or nil.
	commitAsync func() (wait func() error, err error)
	// Pipelined commits (batch.go): the committer goroutine takes flights
	// in order; outstanding counts those not yet released; broken closes
	// when a commit failed (brokenErr, written by the committer before);
	// committed closes when the committer ends.
	flights     chan *flight
	outstanding atomic.Int32
	broken      chan struct{}
	brokenErr   error
	committed   chan struct{}
	cur         batch // the batch being handled
	metrics     *nodeMetrics
	maxMsg      int
	maxBatch    int
	// failed is set by Context.Fail (or a failed storage write) on the
	// node's goroutine; it silences the rest of the handler, and the loop
	// stops after it.
	failed error
	big    rateLimit // WARN lines about oversized messages
}

// inboxLen bounds the events waiting for a node's goroutine. A full inbox
// makes transport readers wait, which is back-pressure on the TCP
// connection, never loss.
const inboxLen = 4096

// DefaultMaxBatch is how many events a node handles at most between two
// storage commits, unless NodeConfig.MaxBatch says otherwise. A batch is
// whatever waits in the inbox when the previous one is committed, so it is
// as large as the load makes it; the bound keeps the first event's effects
// from waiting behind an unbounded number of others.
const DefaultMaxBatch = 1024

// StartNode starts the transport and the node's goroutine, which calls Init
// (and Handle(Restart) for a restart) before anything else.
func StartNode(cfg NodeConfig) (*Node, error) {
	if cfg.New == nil || cfg.Codec == nil {
		return nil, errors.New("cluster: NodeConfig needs New and Codec")
	}
	if cfg.Identity == nil {
		return nil, fmt.Errorf("cluster: node %d has no TLS identity (rondo certs makes one)", cfg.ID)
	}
	if cfg.Storage == nil {
		cfg.Storage = &core.MemStorage{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	n := &Node{
		cfg:      cfg,
		log:      cfg.Logger.With("node", uint32(cfg.ID), "incarnation", cfg.Incarnation),
		rng:      rand.New(rand.NewPCG(cfg.Seed, uint64(cfg.ID)<<32|uint64(cfg.Incarnation))),
		inbox:    make(chan any, inboxLen),
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
	}
	for i := range cfg.Addrs {
		n.nodes = append(n.nodes, core.NodeID(i))
	}
	n.batcher, _ = cfg.Storage.(BatchStorage)
	if n.commitAsync, _ = pipelined(cfg.Storage); n.commitAsync != nil {
		n.flights = make(chan *flight, maxFlights)
		n.broken = make(chan struct{})
		n.committed = make(chan struct{})
	}
	n.store = core.FailStop(writeMarker{cfg.Storage, &n.cur.wrote}, func(err error) { (&nodeContext{n}).Fail(err) })
	n.metrics = newNodeMetrics(cfg.Storage)
	n.maxMsg = cfg.MaxFrame
	if n.maxMsg <= 0 {
		n.maxMsg = core.MaxMessageSize
	}
	n.maxBatch = cfg.MaxBatch
	if n.maxBatch <= 0 {
		n.maxBatch = DefaultMaxBatch
	}
	n.timers.init(n)
	tr, err := transport.New(context.Background(), transport.Config{
		ID: cfg.ID, Addrs: cfg.Addrs, Listener: cfg.Listener, Identity: cfg.Identity,
		Handler: n.receive, MaxFrame: cfg.MaxFrame, Faults: cfg.Faults, Logger: cfg.Logger,
		BackoffMin: cfg.BackoffMin, BackoffMax: cfg.BackoffMax,
	})
	if err != nil {
		return nil, err
	}
	n.tr = tr
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{tr.Collector(), n.metrics} {
			if err := cfg.Registerer.Register(c); err != nil {
				n.unregister()
				tr.Close()
				return nil, fmt.Errorf("cluster: registering node %d metrics: %w", cfg.ID, err)
			}
			n.colls = append(n.colls, c)
		}
	}
	n.start = time.Now()
	n.proc = cfg.New()
	if n.commitAsync != nil {
		go n.committer()
	}
	go n.loop()
	return n, nil
}

// receive runs on a transport reader goroutine: decoding there spreads the
// work over peers, and a payload that does not decode closes the sender's
// connection (transport logs the reason) instead of reaching the process.
func (n *Node) receive(from core.NodeID, payload []byte) error {
	body, err := n.cfg.Codec.Decode(payload)
	if err != nil {
		return err
	}
	n.post(core.Message{From: from, Body: body})
	return nil
}

// post hands an event to the node's goroutine; it gives up if the node stops.
func (n *Node) post(ev any) bool {
	select {
	case <-n.done: // stopped by itself: a buffered inbox must not say yes
		return false
	default:
	}
	select {
	case n.inbox <- ev:
		return true
	case <-n.stopping:
		return false
	case <-n.done: // the process panicked
		return false
	}
}

// Submit hands a client request to the process. It reports false if the
// node has stopped.
func (n *Node) Submit(body any) bool {
	return n.post(core.Request{Body: body})
}

// Stop ends the incarnation as a crash does: the goroutine stops between
// events, timers are cancelled and every connection is closed. Volatile
// state is gone; Storage is whatever the process made durable.
func (n *Node) Stop() {
	n.stopOnce.Do(func() {
		close(n.stopping)
		<-n.done
		n.timers.stopAll()
		n.tr.Close()
		n.unregister()
	})
}

func (n *Node) unregister() {
	for _, c := range n.colls {
		n.cfg.Registerer.Unregister(c)
	}
	n.colls = nil
}

// Barrier returns a channel that is closed once every event handed to the
// node before the call (by Submit, or by the network) has been handled and
// the batch it was in committed: what those events stored is durable, and
// what they sent and output has left the node. Only their ordinary writes,
// that is: a lazy write (core.LazyStorage) does not hold a barrier up, so
// a batch that made only lazy writes releases its barriers without an
// fsync, once every earlier batch is durable. A service that answers a
// client from inside a handler (through a callback, as package kv does)
// waits for it before answering, so that no client ever sees state a crash
// could take back. If the node stops first the channel is never closed:
// wait on Done as well.
func (n *Node) Barrier() <-chan struct{} {
	ch := make(chan struct{})
	n.post(barrier{ch})
	return ch
}

// Done is closed when the node's goroutine has ended (Stop, a panic in the
// process, or a fail-stop).
func (n *Node) Done() <-chan struct{} { return n.done }

// Err is why the node stopped by itself (a panic in the process, or a
// fail-stop: Context.Fail or a failed storage write), or nil after Stop;
// valid after Done. A fail-stop error wraps ErrFailStop.
func (n *Node) Err() error { return n.err }

// ErrFailStop wraps the error of a node that stopped itself for good.
var ErrFailStop = errors.New("node stopped (fail-stop)")

// Transport is the node's transport, for its statistics.
func (n *Node) Transport() *transport.Transport { return n.tr }

// Addr is the address the node listens on.
func (n *Node) Addr() net.Addr { return n.tr.Addr() }

func (n *Node) loop() {
	defer close(n.done)
	defer n.endFlights()
	defer func() {
		if r := recover(); r != nil {
			// A bug in the protocol stops this node like a crash; the panic
			// is reported rather than taking down every node in the process.
			n.discard()
			n.err = fmt.Errorf("node %d process panicked: %v", n.cfg.ID, r)
			n.log.Error("process panicked; node stopped", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	ctx := &nodeContext{n}
	n.proc.Init(ctx)
	n.cur.events++
	if n.failed == nil && n.cfg.Incarnation > 0 {
		n.proc.Handle(ctx, core.Restart{Incarnation: n.cfg.Incarnation})
		n.cur.events++
	}
	for n.commit() && n.gather(ctx) {
	}
}
